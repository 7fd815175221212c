"""The unit's day and its housekeeping, from stays and check-ins (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.lockbridge.api import LockActivity, LockState, LogAction, LogEntry
from custom_components.lockbridge.engine.arrivals import (
    Arrival,
    DayState,
    Housekeeping,
    HousekeepingMark,
    SeenHow,
    Watched,
    arrival_window_end,
    first_uses,
    housekeeping,
    is_late,
    is_watched,
    unit_day,
    window_after_check_in,
)
from custom_components.lockbridge.engine.bookings import Booking, BookingKey, BookingStatus
from custom_components.lockbridge.engine.occupancy import UnitStay

DAY = date(2026, 11, 23)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def stay(id_: str, arrival: int, departure: int) -> UnitStay:
    booking = Booking(
        key=BookingKey("smoobu", id_),
        unit_id="101",
        status=BookingStatus.CONFIRMED,
        arrival=date(2026, 11, arrival),
        departure=date(2026, 11, departure),
        guest_name="Zoë Müller",
    )
    return UnitStay(booking, at(arrival, 14), at(departure, 12), at(arrival, 15), at(departure, 11))


def test_a_turnover_day_from_in_house_to_departed_to_arriving_to_in_house() -> None:
    lars, zoe = stay("1", 20, 23), stay("2", 23, 27)
    stays = (lars, zoe)
    assert unit_day(stays, {}, at(23, 9), DAY) == (DayState.IN_HOUSE, lars)
    assert unit_day(stays, {}, at(23, 11, 30), DAY) == (DayState.DEPARTED, lars)
    assert unit_day(stays, {}, at(23, 14, 30), DAY) == (DayState.ARRIVING, zoe)
    seen = {zoe.booking.key: Arrival(at(23, 15), SeenHow.KEYPAD)}
    assert unit_day(stays, seen, at(23, 15, 5), DAY) == (DayState.IN_HOUSE, zoe)
    # Not seen on her arrival day: the next day she is taken to be in.
    assert unit_day(stays, {}, at(24, 9), date(2026, 11, 24)) == (DayState.IN_HOUSE, zoe)
    assert unit_day(stays, {}, at(19, 9), date(2026, 11, 19)) == (DayState.RESERVED, lars)
    assert unit_day(stays, {}, at(28, 9), date(2026, 11, 28)) == (DayState.VACANT, None)


def test_the_next_guest_let_in_before_the_last_one_leaves_is_the_days_guest() -> None:
    """Zoë's code moved to 08:00 and used at 09:00 while Lars is still in: the day is hers."""
    lars = stay("1", 20, 23)
    early = stay("2", 23, 27)
    zoe = UnitStay(early.booking, at(23, 8), early.end, at(23, 8), early.check_out)
    seen = {zoe.booking.key: Arrival(at(23, 9), SeenHow.KEYPAD)}
    assert unit_day((lars, zoe), seen, at(23, 9, 5), DAY) == (DayState.IN_HOUSE, zoe)
    assert unit_day((lars, zoe), {}, at(23, 7), DAY) == (DayState.IN_HOUSE, lars)


def test_only_an_opening_by_the_stays_own_code_on_its_lock_in_its_window_counts() -> None:
    zoe = stay("2", 23, 27)

    def log(id_: int, when: datetime, share: int | None, action: LogAction) -> LogEntry:
        return LogEntry(id_, when, action, share, None, None)

    activity = LockActivity(
        lock_id=1,
        entries=(
            log(1, at(23, 13), 7, LogAction.OPEN),  # before her window
            log(2, at(23, 14, 10), 8, LogAction.OPEN),  # another code
            log(3, at(23, 14, 20), 7, LogAction.UNKNOWN),
            log(4, at(23, 14, 30), 7, LogAction.REFUSED),
            log(6, at(23, 16), 7, LogAction.OPEN),
            log(5, at(23, 14, 40), 7, LogAction.OPEN),  # the first use, listed out of order
        ),
        state=LockState.LOCKED,
        battery_raw=None,
    )
    assert first_uses([Watched(zoe, 2, 7)], activity) == {}  # another lock's stay
    [(key, arrival)] = first_uses([Watched(zoe, 1, 7)], activity).items()
    assert key == zoe.booking.key
    assert arrival == Arrival(at(23, 14, 40), SeenHow.KEYPAD, early=True)


def test_housekeeping_turns_dirty_after_a_departure_since_the_last_mark() -> None:
    lars = stay("1", 20, 23)
    assert housekeeping(None, (lars,), at(23, 10)) is Housekeeping.READY
    assert housekeeping(None, (lars,), at(23, 12)) is Housekeeping.DIRTY
    mark = HousekeepingMark(Housekeeping.CLEANING, at(23, 12, 30))
    assert housekeeping(mark, (lars,), at(23, 13)) is Housekeeping.CLEANING
    early = HousekeepingMark(Housekeeping.READY, at(23, 10))
    assert housekeeping(early, (lars,), at(23, 13)) is Housekeeping.DIRTY
    assert housekeeping(early, (lars,), at(23, 13) - timedelta(hours=3)) is Housekeeping.READY


def test_a_guest_is_late_in_their_arrival_window_only() -> None:
    zoe = stay("2", 23, 27)
    three = timedelta(hours=3)
    assert not is_late(zoe, False, at(23, 17, 59), three)
    assert is_late(zoe, False, at(23, 18), three)
    assert not is_late(zoe, True, at(23, 18), three)  # seen
    assert not is_late(zoe, False, at(24, 0), three)  # her arrival day is over
    assert arrival_window_end(zoe, three) == at(24, 0)
    # Late after midnight (a long delay): late for an hour at least.
    assert arrival_window_end(zoe, timedelta(hours=10)) == at(24, 2)
    assert is_watched(zoe, False, at(23, 23, 59), three)
    assert not is_watched(zoe, False, at(23, 13), three)  # her code does not work yet


def test_a_code_opens_from_the_minute_its_stay_starts_in() -> None:
    """An early check-in set at 14:10:42 makes a code from 14:10: a use at 14:10:05 counts."""
    zoe = stay("2", 23, 27)
    moved = UnitStay(
        zoe.booking, at(23, 14, 10) + timedelta(seconds=42), zoe.end, zoe.check_in, zoe.check_out
    )
    use = LogEntry(1, at(23, 14, 10) + timedelta(seconds=5), LogAction.OPEN, 7, None, None)
    activity = LockActivity(lock_id=1, entries=(use,), state=LockState.LOCKED, battery_raw=None)
    assert moved.booking.key in first_uses([Watched(moved, 1, 7)], activity)
    early = LogEntry(2, at(23, 14, 9) + timedelta(seconds=59), LogAction.OPEN, 7, None, None)
    before = LockActivity(lock_id=1, entries=(early,), state=LockState.LOCKED, battery_raw=None)
    assert first_uses([Watched(moved, 1, 7)], before) == {}


@pytest.mark.parametrize("hours", [0, 3, 12, 24])
@pytest.mark.parametrize(
    ("arrival", "check_in"),
    [
        (date(2026, 11, 23), "00:00"),
        (date(2026, 11, 23), "15:00"),
        (date(2026, 11, 23), "23:59"),
        (date(2026, 10, 25), "00:00"),  # Paris's 25-hour day
        (date(2026, 3, 29), "00:00"),  # and its 23-hour one
    ],
)
def test_an_arrival_window_ends_within_its_bound_after_check_in(
    arrival: date, check_in: str, hours: int
) -> None:
    paris = ZoneInfo("Europe/Paris")
    start = datetime.combine(arrival, time.fromisoformat(check_in), paris)
    booking = Booking(
        key=BookingKey("smoobu", "1"),
        unit_id="101",
        status=BookingStatus.CONFIRMED,
        arrival=arrival,
        departure=arrival + timedelta(days=5),
        guest_name="Zoë Müller",
    )
    late = start + timedelta(days=5)
    one = UnitStay(booking, start, late, start, late)
    delay = timedelta(hours=hours)
    assert arrival_window_end(one, delay) - start <= window_after_check_in(delay)
