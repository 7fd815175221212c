"""Normalised bookings: one shape for every source, broken records reported, never raised."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, NamedTuple, TypedDict, Unpack
import unicodedata

from .window import MAX_STAY, in_range


class BookingStatus(StrEnum):
    """What a booking means for the door."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    #: An owner's blocked period: no guest, no code.
    BLOCKED = "blocked"


class RejectReason(StrEnum):
    """Why a record was skipped (translation keys in the integration)."""

    MISSING_DATES = "missing_dates"
    DEPARTURE_NOT_AFTER_ARRIVAL = "departure_not_after_arrival"
    MISSING_UNIT = "missing_unit"
    UNKNOWN_UNIT = "unknown_unit"
    MISSING_GUEST_NAME = "missing_guest_name"
    NO_ROOMS = "no_rooms"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    STAY_TOO_LONG = "stay_too_long"


class BookingKey(NamedTuple):
    """A booking across sources: the source name and its id in that source."""

    source: str
    booking_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.booking_id}"


class UnitKey(NamedTuple):
    """A bookable unit: a Smoobu apartment id or a HotelRunner room type (`inv_code`)."""

    source: str
    unit_id: str


@dataclass(frozen=True, slots=True)
class KeypadRef:
    """A keypad of a lock (a door), as the unit map names it."""

    lock_id: int
    keypad_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking:
    """A stay as the engine sees it, whatever the source."""

    key: BookingKey
    unit_id: str
    status: BookingStatus
    arrival: date
    departure: date
    guest_name: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    language: str | None = None
    adults: int | None = None
    children: int | None = None
    #: Expected arrival / departure times, when the source gives them.
    check_in: time | None = None
    check_out: time | None = None
    channel: str = ""
    modified: datetime | None = None

    @property
    def unit(self) -> UnitKey:
        """The unit this stay is in."""
        return UnitKey(self.key.source, self.unit_id)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be used, and why. Its codes are left as they are."""

    key: BookingKey
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class Normalised:
    """A source's answer after normalisation."""

    bookings: tuple[Booking, ...] = ()
    rejected: tuple[Rejection, ...] = ()


class _Details(TypedDict, total=False):
    """The optional fields of a Booking, as each source fills them."""

    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    language: str | None
    adults: int | None
    children: int | None
    check_in: time | None
    check_out: time | None
    channel: str
    modified: datetime | None


#: Direction overrides and isolates: they can make a name read as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(text: str) -> str:
    """A name fit for a keypad code: no control characters, one space between words.

    Joiners and variation selectors stay (str.isprintable() says no to them): they hold an
    emoji sequence such as 👨‍👩‍👧 or 🏳️‍🌈 together.
    """
    kept = []
    for char in text:
        kind = unicodedata.category(char)
        if char in _BIDI_CONTROLS:
            continue
        kept.append(" " if kind == "Cc" or kind.startswith("Z") else char)
    return " ".join("".join(kept).split())


#: The same cleaning for names typed by the host (the create_code action).
clean_name = clean_text


def full_name(guest_name: str, first: str, last: str) -> str:
    """The guest's name as given, else from its parts."""
    return clean_text(guest_name) or clean_text(f"{first} {last}")


def _is_newer(candidate: Booking, current: Booking) -> bool:
    if candidate.modified is None or current.modified is None:
        return current.modified is None
    return candidate.modified >= current.modified


class Collector:
    """Validates records into bookings; keeps the newest copy of a key seen twice."""

    def __init__(self, known_units: Collection[str | int] | None) -> None:
        self._known = None if known_units is None else {str(unit) for unit in known_units}
        self._bookings: dict[BookingKey, Booking] = {}
        self._rejected: dict[BookingKey, Rejection] = {}

    def add(
        self,
        key: BookingKey,
        unit_id: str | None,
        arrival: date | None,
        departure: date | None,
        status: BookingStatus,
        guest_name: str,
        **details: Unpack[_Details],
    ) -> None:
        """Keep the record as a booking, or reject it with the first problem found."""
        reason = None
        if arrival is None or departure is None:
            reason = RejectReason.MISSING_DATES
        elif not in_range(arrival, departure):
            reason = RejectReason.DATE_OUT_OF_RANGE
        elif departure <= arrival:
            reason = RejectReason.DEPARTURE_NOT_AFTER_ARRIVAL
        elif departure - arrival > MAX_STAY:
            reason = RejectReason.STAY_TOO_LONG
        elif not unit_id:
            reason = RejectReason.MISSING_UNIT
        elif self._known is not None and unit_id not in self._known:
            reason = RejectReason.UNKNOWN_UNIT
        elif status is BookingStatus.CONFIRMED and not guest_name:
            reason = RejectReason.MISSING_GUEST_NAME
        # The None tests repeat the checks above for the type checker.
        if reason is not None or unit_id is None or arrival is None or departure is None:
            self.reject(key, reason or RejectReason.MISSING_DATES)
            return
        booking = Booking(
            key=key,
            unit_id=unit_id,
            status=status,
            arrival=arrival,
            departure=departure,
            guest_name=guest_name,
            **details,
        )
        current = self._bookings.get(key)
        if current is None or _is_newer(booking, current):
            self._bookings[key] = booking
        self._rejected.pop(key, None)

    def reject(self, key: BookingKey, reason: RejectReason) -> None:
        """Skip a record (a good copy of the same booking, another page or line, wins)."""
        if key not in self._bookings:
            self._rejected[key] = Rejection(key, reason)

    def result(self) -> Normalised:
        """The bookings and rejections collected."""
        return Normalised(tuple(self._bookings.values()), tuple(self._rejected.values()))


def to_dict(booking: Booking) -> dict[str, Any]:
    """JSON-able form of a booking, for a source that must remember what it was told."""
    return {
        "source": booking.key.source,
        "id": booking.key.booking_id,
        "unit_id": booking.unit_id,
        "status": str(booking.status),
        "arrival": booking.arrival.isoformat(),
        "departure": booking.departure.isoformat(),
        "guest_name": booking.guest_name,
        "first_name": booking.first_name,
        "last_name": booking.last_name,
        "phone": booking.phone,
        "email": booking.email,
        "language": booking.language,
        "adults": booking.adults,
        "children": booking.children,
        "check_in": booking.check_in.isoformat() if booking.check_in else None,
        "check_out": booking.check_out.isoformat() if booking.check_out else None,
        "channel": booking.channel,
        "modified": booking.modified.isoformat() if booking.modified else None,
    }


def from_dict(data: Any) -> Booking | None:
    """The booking `to_dict` gave, or None for anything unreadable (a corrupt store)."""
    try:
        booking = Booking(
            key=BookingKey(str(data["source"]), str(data["id"])),
            unit_id=str(data["unit_id"]),
            status=BookingStatus(data["status"]),
            arrival=date.fromisoformat(data["arrival"]),
            departure=date.fromisoformat(data["departure"]),
            guest_name=str(data.get("guest_name") or ""),
            first_name=str(data.get("first_name") or ""),
            last_name=str(data.get("last_name") or ""),
            phone=data.get("phone"),
            email=data.get("email"),
            language=data.get("language"),
            adults=data.get("adults"),
            children=data.get("children"),
            check_in=time.fromisoformat(data["check_in"]) if data.get("check_in") else None,
            check_out=time.fromisoformat(data["check_out"]) if data.get("check_out") else None,
            channel=str(data.get("channel") or ""),
            modified=datetime.fromisoformat(data["modified"]) if data.get("modified") else None,
        )
    except (KeyError, TypeError, ValueError):
        return None
    return booking if in_range(booking.arrival, booking.departure) else None
