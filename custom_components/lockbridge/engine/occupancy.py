"""Who is where, and when: a unit's stays seen from a moment in time (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from .bookings import Booking


class Occupancy(StrEnum):
    """A unit's day, as housekeeping sees it."""

    VACANT = "vacant"
    ARRIVING_TODAY = "arriving_today"
    OCCUPIED = "occupied"
    DEPARTING_TODAY = "departing_today"
    TURNOVER = "turnover"


@dataclass(frozen=True, slots=True)
class UnitStay:
    """A confirmed booking of a unit: its code's window and its guest's times (aware)."""

    booking: Booking
    #: The code's validity, buffers included: who is in the unit is decided by it.
    start: datetime
    end: datetime
    #: Check-in and check-out as the guest is told (the booking's or the unit's times).
    check_in: datetime
    check_out: datetime


def current_stay(stays: Iterable[UnitStay], now: datetime) -> UnitStay | None:
    """The stay whose window holds `now` (the earliest, should two overlap)."""
    return min(
        (stay for stay in stays if stay.start <= now < stay.end),
        key=lambda stay: stay.start,
        default=None,
    )


def next_stay(stays: Iterable[UnitStay], now: datetime) -> UnitStay | None:
    """The first stay that starts after `now`."""
    return min(
        (stay for stay in stays if stay.start > now), key=lambda stay: stay.start, default=None
    )


def focus_stay(stays: Iterable[UnitStay], now: datetime) -> UnitStay | None:
    """The guest a host thinks of: the one in now, else the next one."""
    stays = tuple(stays)
    return current_stay(stays, now) or next_stay(stays, now)


def arriving(stays: Iterable[UnitStay], day: date) -> list[UnitStay]:
    """Stays whose arrival date is `day`."""
    return sorted((s for s in stays if s.booking.arrival == day), key=lambda s: s.start)


def departing(stays: Iterable[UnitStay], day: date) -> list[UnitStay]:
    """Stays whose departure date is `day`."""
    return sorted((s for s in stays if s.booking.departure == day), key=lambda s: s.end)


def occupancy(stays: Sequence[UnitStay], now: datetime, today: date) -> Occupancy:
    """Today's state of the unit: arrivals and departures win over a stay in progress."""
    arrives = bool(arriving(stays, today))
    departs = bool(departing(stays, today))
    if arrives and departs:
        return Occupancy.TURNOVER
    if departs:
        return Occupancy.DEPARTING_TODAY
    if arrives:
        return Occupancy.ARRIVING_TODAY
    if current_stay(stays, now) is not None:
        return Occupancy.OCCUPIED
    return Occupancy.VACANT
