"""HotelRunner's records: reservations as bookings (one per room line), and pushed calls read.

Pure (no Home Assistant).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
import json
from typing import Any, Final
from urllib.parse import parse_qs

from ..api import HotelRunnerReservation
from ..api.hotelrunner import parse_reservation
from ..engine.bookings import (
    BookingKey,
    BookingStatus,
    Collector,
    Normalised,
    RejectReason,
    clean_text,
    full_name,
)

KIND: Final = "hotelrunner"
#: Reservations read from one pushed call; the rest would be the poll's.
MAX_PUSHED = 50


def _status(*states: str) -> BookingStatus:
    # States are reserved (initial) -> confirmed or canceled (American spelling); a stay
    # is live in the first two. Either the reservation or its line can be cancelled.
    cancelled = {"canceled", "cancelled"}
    return (
        BookingStatus.CANCELLED
        if any(state.lower() in cancelled for state in states)
        else BookingStatus.CONFIRMED
    )


def from_hotelrunner(
    reservations: Iterable[HotelRunnerReservation], known_units: Collection[str | int] | None = None
) -> Normalised:
    """One stay per `rooms[]` line, keyed `<hr_number>/<inv_code>`.

    A second line of the same room type gets `#2`, and so on, in the order listed.
    `known_units` are the property's room types (`inv_code`).
    """
    out = Collector(known_units)
    for item in reservations:
        if not item.rooms:
            out.reject(BookingKey(KIND, item.hr_number), RejectReason.NO_ROOMS)
            continue
        guest = full_name(item.guest_name, item.firstname, item.lastname)
        lines_seen: dict[str, int] = {}
        for line in item.rooms:
            count = lines_seen[line.inv_code] = lines_seen.get(line.inv_code, 0) + 1
            suffix = f"#{count}" if count > 1 else ""
            key = BookingKey(KIND, f"{item.hr_number}/{line.inv_code}{suffix}")
            out.add(
                key,
                line.inv_code,
                line.checkin or item.checkin,
                line.checkout or item.checkout,
                _status(item.state, line.state),
                guest,
                first_name=clean_text(item.firstname),
                last_name=clean_text(item.lastname),
                phone=item.phone,
                email=item.email,
                adults=line.adults,
                channel=item.channel_display or item.channel,
                modified=item.updated_at or item.completed_at,
            )
    return out.result()


def pushed_reservations(body: bytes) -> tuple[HotelRunnerReservation, ...] | None:
    """The reservations of a HotelRunner call, or None when it is not one.

    The docs show two payloads (hotelrunner-api.md §8): `{"reservations": [...]}` and a single
    reservation with a `reason`. Both are read; a record without hr_number is skipped.
    """
    try:
        form = parse_qs(body.decode(), max_num_fields=16, strict_parsing=False)
        payload = json.loads(form["data"][0])
    except (UnicodeDecodeError, ValueError, KeyError, RecursionError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("reservations"), list):
        items: list[Any] = payload["reservations"][:MAX_PUSHED]
    elif isinstance(payload, dict) and "hr_number" in payload:
        items = [payload]
    else:
        return None
    return tuple(found for item in items if (found := parse_reservation(item)) is not None)
