"""The guest at the door: check-ins seen in a lock's activity, and each unit's day (pure).

A stay is checked in on positive evidence only: an opening by its own code, on its own lock,
inside its own window, or the host's word. Nothing here reads a missing, foreign or
out-of-window entry as anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from ..api import LockActivity, LogAction
from .bookings import BookingKey
from .occupancy import UnitStay


class DayState(StrEnum):
    """A unit's day, from booked to left."""

    VACANT = "vacant"
    RESERVED = "reserved"
    ARRIVING = "arriving"
    IN_HOUSE = "in_house"
    DEPARTED = "departed"


class Housekeeping(StrEnum):
    """A unit's housekeeping state."""

    DIRTY = "dirty"
    CLEANING = "cleaning"
    READY = "ready"


class SeenHow(StrEnum):
    """How a check-in was known."""

    KEYPAD = "keypad"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Arrival:
    """A stay's check-in: when, how it was known, and whether before its check-in time."""

    at: datetime
    how: SeenHow
    early: bool = False


@dataclass(frozen=True, slots=True)
class Watched:
    """A stay whose guest's first use of its code is looked for, on the lock holding it."""

    stay: UnitStay
    lock_id: int
    code_id: int


@dataclass(frozen=True, slots=True)
class HousekeepingMark:
    """The housekeeping state last set (by the host, or a rule), and when."""

    state: Housekeeping
    since: datetime


def first_uses(watched: Iterable[Watched], activity: LockActivity) -> dict[BookingKey, Arrival]:
    """Each watched stay's first opening by its own code on its own lock, inside its window."""
    found: dict[BookingKey, Arrival] = {}
    for item in watched:
        if item.lock_id != activity.lock_id:
            continue
        stay = item.stay
        # A keypad code's times are whole minutes: it opens from the minute its stay starts in.
        opens = stay.start.replace(second=0, microsecond=0)
        uses = [
            entry
            for entry in activity.entries
            if entry.share_id == item.code_id
            and entry.action is LogAction.OPEN
            and opens <= entry.at < stay.end
        ]
        if uses:
            first = min(uses, key=lambda entry: (entry.at, entry.id))
            found[stay.booking.key] = Arrival(first.at, SeenHow.KEYPAD, first.at < stay.check_in)
    return found


def not_arrived_at(stay: UnitStay, delay: timedelta) -> datetime:
    """When a guest not seen yet counts as not arrived."""
    return stay.check_in + delay


#: A guest late after midnight (a late check-in, a long delay) is late for this long at least.
LATE_AT_LEAST = timedelta(hours=1)


def arrival_window_end(stay: UnitStay, delay: timedelta) -> datetime:
    """When a guest not seen stops being looked for, and being late.

    At the end of their arrival day (in the lock's zone, the check-in's), or later if they
    became late after it.
    """
    midnight = datetime.combine(
        stay.booking.arrival + timedelta(days=1), time(0), stay.check_in.tzinfo
    )
    return min(stay.end, max(midnight, not_arrived_at(stay, delay) + LATE_AT_LEAST))


def window_after_check_in(delay: timedelta) -> timedelta:
    """The longest an arrival window lasts after a check-in on its arrival day.

    To the day's end (a DST day has 25 hours), or an hour past the delay. A check-in moved
    to another day (an override) can be further from its window's end.
    """
    return max(timedelta(hours=25), delay + LATE_AT_LEAST)


def is_watched(stay: UnitStay, arrived: bool, now: datetime, delay: timedelta) -> bool:
    """Its code works now, its guest is not seen yet, and its arrival window is open."""
    return not arrived and stay.start <= now < arrival_window_end(stay, delay)


def is_late(stay: UnitStay, arrived: bool, now: datetime, delay: timedelta) -> bool:
    """Not seen when check-in and the delay passed, within the arrival window."""
    return not arrived and not_arrived_at(stay, delay) <= now < arrival_window_end(stay, delay)


def unit_day(
    stays: Sequence[UnitStay], arrivals: Mapping[BookingKey, Arrival], now: datetime, today: date
) -> tuple[DayState, UnitStay | None]:
    """The unit's day now, and the stay it is about.

    In house: a guest seen in (or past their arrival day, when nobody could say). Arriving:
    a guest due today, not seen yet. Departed: a guest left today and nobody is due or in.
    Two guests in at once (the next one let in before the last one's check-out): the newest.
    """
    for stay in reversed(stays):
        arrived = stay.booking.key in arrivals
        if stay.start <= now < stay.check_out and (
            arrived or (stay.check_in <= now and stay.booking.arrival < today)
        ):
            return DayState.IN_HOUSE, stay
    due = [
        s
        for s in stays
        if s.booking.arrival == today and now < s.check_out and s.booking.key not in arrivals
    ]
    left = [s for s in stays if s.booking.departure == today and s.check_out <= now]
    if due and (not left or now >= due[0].start):
        return DayState.ARRIVING, due[0]
    if left:
        return DayState.DEPARTED, max(left, key=lambda s: s.check_out)
    coming = [s for s in stays if s.check_in > now]
    if coming:
        return DayState.RESERVED, min(coming, key=lambda s: s.check_in)
    return DayState.VACANT, None


def housekeeping(
    mark: HousekeepingMark | None, stays: Iterable[UnitStay], now: datetime
) -> Housekeeping:
    """Dirty once a guest left after the last mark; else the mark (ready when none)."""
    left = max((s.check_out for s in stays if s.check_out <= now), default=None)
    if left is not None and (mark is None or mark.since < left):
        return Housekeeping.DIRTY
    return mark.state if mark is not None else Housekeeping.READY


def cleaning_started(
    windows: Iterable[tuple[frozenset[int], datetime, datetime]], activity: LockActivity
) -> datetime | None:
    """The first opening by a cleaner's code (its code ids) inside its turnover window."""
    uses = [
        entry.at
        for codes, start, end in windows
        for entry in activity.entries
        if entry.share_id in codes
        and entry.action is LogAction.OPEN
        and start.replace(second=0, microsecond=0) <= entry.at < end
    ]
    return min(uses, default=None)
