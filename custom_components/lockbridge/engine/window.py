"""Stay window -> keypad code validity, in the lock's time zone.

Times of day are wall-clock times in the unit's time zone; buffers are spans of real time,
so they are applied to absolute instants and stay exact across DST changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_CHECK_IN = time(15, 0)
DEFAULT_CHECK_OUT = time(12, 0)

#: The dates LockBridge computes with. A record or an input outside them is refused, for
#: itself only: a departure in year 9999 would overflow its window, and every sync with it.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
#: The longest stay, or hand-made code, that is not a typo.
MAX_STAY = timedelta(days=731)


def in_range(*days: date) -> bool:
    """True when every date lies between EARLIEST and LATEST."""
    return all(EARLIEST <= day <= LATEST for day in days)


@dataclass(frozen=True, slots=True)
class TimePolicy:
    """How a unit turns dates into a window."""

    check_in: time = DEFAULT_CHECK_IN
    check_out: time = DEFAULT_CHECK_OUT
    #: Use the booking's own expected arrival/departure times when it has them.
    use_booking_times: bool = False
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class Override:
    """Early check-in / late check-out set by hand for one booking (aware datetimes)."""

    check_in: datetime | None = None
    check_out: datetime | None = None


@dataclass(frozen=True, slots=True)
class Validity:
    """The Keys validity fields: dates and minute-precision wall-clock times."""

    start_date: date
    start_time: time
    end_date: date
    end_time: time

    def span(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The absolute instants these fields mean in `tz`."""
        return (
            datetime.combine(self.start_date, self.start_time, tz),
            datetime.combine(self.end_date, self.end_time, tz),
        )


def _at(day: date, wall: time, tz: ZoneInfo) -> datetime:
    # Normalise through UTC so that a wall time skipped by DST becomes a real instant.
    return datetime.combine(day, wall, tz).astimezone(UTC).astimezone(tz)


@dataclass(frozen=True, slots=True)
class StayTimes:
    """A stay as the guest sees it (check-in, check-out) and as the keypad does (the code)."""

    check_in: datetime
    check_out: datetime
    #: The code's validity: check-in and check-out widened by the unit's buffers.
    start: datetime
    end: datetime


def stay_times(
    arrival: date,
    departure: date,
    tz: ZoneInfo,
    policy: TimePolicy | None = None,
    *,
    booking_check_in: time | None = None,
    booking_check_out: time | None = None,
    override: Override | None = None,
) -> StayTimes:
    """Check-in on arrival to check-out on departure; the code's window adds the buffers.

    An override is an early check-in or late check-out: the guest's time and the code's.
    """
    policy = policy or TimePolicy()
    check_in = policy.check_in
    check_out = policy.check_out
    if policy.use_booking_times:
        check_in = booking_check_in or check_in
        check_out = booking_check_out or check_out
    guest_in, guest_out = _at(arrival, check_in, tz), _at(departure, check_out, tz)
    start, end = guest_in - policy.buffer_before, guest_out + policy.buffer_after
    if override is not None and override.check_in is not None:
        guest_in = start = override.check_in
    if override is not None and override.check_out is not None:
        guest_out = end = override.check_out
    return StayTimes(
        guest_in.astimezone(tz), guest_out.astimezone(tz), start.astimezone(tz), end.astimezone(tz)
    )


def stay_window(
    arrival: date,
    departure: date,
    tz: ZoneInfo,
    policy: TimePolicy | None = None,
    *,
    booking_check_in: time | None = None,
    booking_check_out: time | None = None,
    override: Override | None = None,
) -> tuple[datetime, datetime]:
    """When the guest may enter: check-in on arrival to check-out on departure, buffered."""
    times = stay_times(
        arrival,
        departure,
        tz,
        policy,
        booking_check_in=booking_check_in,
        booking_check_out=booking_check_out,
        override=override,
    )
    return times.start, times.end


def validity(start: datetime, end: datetime, tz: ZoneInfo) -> Validity:
    """Code fields covering [start, end]: start rounded down, end up, to the minute."""
    local_start = start.astimezone(tz).replace(second=0, microsecond=0)
    local_end = end.astimezone(tz)
    if local_end.second or local_end.microsecond:
        local_end = (local_end + timedelta(minutes=1)).replace(second=0, microsecond=0)
    # In the hour repeated when DST ends, a wall time reads as its first occurrence, which
    # would end the code early: move the end past the repeat.
    first = local_end.replace(tzinfo=None, fold=0)
    early_by = end.astimezone(UTC) - datetime.combine(first.date(), first.time(), tz).astimezone(
        UTC
    )
    if early_by > timedelta(0):
        local_end = (first + early_by).replace(tzinfo=tz)
    return Validity(
        local_start.date(),
        local_start.time().replace(tzinfo=None),
        local_end.date(),
        local_end.time().replace(tzinfo=None),
    )
