"""Frozen data models returned by the cloud clients.

PINs and guests' contact details are left out of ``repr`` so that logging a model by
mistake cannot leak them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

# --- The Keys -------------------------------------------------------------------------


class LockState(StrEnum):
    """Lock state as reported by the cloud (`etat`)."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Keypad:
    """A keypad ("digicode", accessory type 2) paired with a lock."""

    #: The label id used in code URLs (`id_accessoire`), not the numeric accessory id.
    id: str
    name: str
    accessory_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """A The Keys smart lock of the account."""

    id: int
    name: str
    timezone: str | None
    state: LockState
    battery_raw: int | None
    keypads: tuple[Keypad, ...]
    has_gateway: bool
    serial: str | None = None
    model: str | None = None
    firmware: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """The Keys account: its user id, its holder's name and its locks."""

    user_id: int | None
    username: str
    locks: tuple[Lock, ...]
    #: "Jean Dupont", or "" when the cloud gives no name (never the phone number).
    name: str = ""

    @property
    def unique_id(self) -> str:
        """The cloud's user id; the phone number only if the cloud gives none."""
        return str(self.user_id) if self.user_id is not None else self.username

    @property
    def title(self) -> str:
        """What the entry and the account's device are called: never the phone number."""
        return self.name or "The Keys account"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeFields:
    """Everything a keypad code carries; create and update always send all of it."""

    name: str
    pin: str = field(repr=False)
    start_date: date | None
    end_date: date | None
    start_time: time | None = None
    end_time: time | None = None
    description: str = ""
    active: bool = True
    notify: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessCode(CodeFields):
    """A keypad code (`partage accessoire`) as listed by the cloud."""

    id: int
    lock_id: int
    keypad_id: str


# --- Smoobu ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmoobuUser:
    """The Smoobu account behind an API key."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class SmoobuApartment:
    """A Smoobu property (apartment)."""

    id: int
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SmoobuReservation:
    """A Smoobu booking, blocked period or cancellation, fields kept as the cloud gave them."""

    id: int
    type: str
    apartment_id: int | None
    apartment_name: str
    arrival: date | None
    departure: date | None
    check_in: time | None
    check_out: time | None
    guest_name: str
    firstname: str
    lastname: str
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    language: str | None = None
    adults: int | None = None
    children: int | None = None
    channel_id: int | None = None
    channel_name: str = ""
    reference_id: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    is_blocked: bool = False

    @property
    def is_cancelled(self) -> bool:
        """Smoobu marks cancellations by type (listed only with showCancellation)."""
        return self.type == "cancellation"


@dataclass(frozen=True, slots=True)
class SmoobuPlaceholder:
    """A custom placeholder: Smoobu writes `value` where a message template says `[key]`."""

    id: int
    key: str
    value: str = field(repr=False)  # often a door PIN
    #: 1 = booking, 2 = apartment (0 when the cloud gave a type we cannot read).
    type: int
    #: The booking or apartment id the placeholder belongs to.
    foreign_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmoobuMessage:
    """One message of a booking's thread."""

    id: int | None
    subject: str
    body: str = field(repr=False)
    #: 1 = from the guest, 2 = to the guest (smoobu-api.md §8), None when unknown.
    type: int | None
    created_at: datetime | None = None


# --- HotelRunner ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotelRunnerRoom:
    """A row of the room list: a rate plan of a room type (`inv_code`)."""

    inv_code: str
    rate_code: str
    name: str
    is_master: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HotelRunnerRoomStay:
    """One `rooms[]` line of a reservation: a room type for a date range."""

    inv_code: str
    rate_code: str
    name: str
    state: str
    checkin: date | None
    checkout: date | None
    adults: int | None = None
    guests: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HotelRunnerReservation:
    """A HotelRunner reservation with its room lines."""

    hr_number: str
    reservation_id: int | None
    state: str
    guest_name: str
    firstname: str
    lastname: str
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    country: str | None = None
    channel: str = ""
    channel_display: str = ""
    checkin: date | None = None
    checkout: date | None = None
    total_guests: int | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    #: Delivery messages to acknowledge (queue listings can hold several per reservation).
    message_uids: tuple[str, ...] = ()
    rooms: tuple[HotelRunnerRoomStay, ...] = ()
