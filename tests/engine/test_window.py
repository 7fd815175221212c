"""Stay window and code validity, across time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from custom_components.lockbridge.engine.window import (
    Override,
    TimePolicy,
    Validity,
    stay_times,
    stay_window,
    validity,
)

PARIS = ZoneInfo("Europe/Paris")


def test_default_times_in_the_lock_time_zone() -> None:
    start, end = stay_window(date(2026, 6, 12), date(2026, 6, 15), PARIS)

    assert start == datetime(2026, 6, 12, 15, 0, tzinfo=PARIS)
    assert end == datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)
    assert validity(start, end, PARIS) == Validity(
        date(2026, 6, 12), time(15, 0), date(2026, 6, 15), time(12, 0)
    )


def test_booking_times_only_when_asked_and_present() -> None:
    args = (date(2026, 6, 12), date(2026, 6, 15), PARIS)
    ignored = stay_window(*args, TimePolicy(), booking_check_in=time(18, 30))
    used = stay_window(*args, TimePolicy(use_booking_times=True), booking_check_in=time(18, 30))

    assert ignored[0].time() == time(15, 0)
    assert (used[0].time(), used[1].time()) == (time(18, 30), time(12, 0))


def test_buffers_are_real_time_across_the_spring_change() -> None:
    # Clocks go forward at 02:00 on 2026-03-29 in Paris: 23 real hours that night.
    policy = TimePolicy(
        check_in=time(1, 0), buffer_before=timedelta(hours=1), buffer_after=timedelta(hours=3)
    )

    start, end = stay_window(date(2026, 3, 29), date(2026, 3, 29), PARIS, policy)

    assert start == datetime(2026, 3, 29, 0, 0, tzinfo=PARIS)
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 13, 0, tzinfo=UTC)  # 12:00 CEST + 3 h
    assert end.time() == time(15, 0)


def test_a_wall_time_skipped_by_dst_becomes_a_real_instant() -> None:
    policy = TimePolicy(check_in=time(2, 30))

    start, _ = stay_window(date(2026, 3, 29), date(2026, 3, 30), PARIS, policy)

    assert start.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_override_replaces_either_end() -> None:
    early = datetime(2026, 6, 12, 11, 0, tzinfo=PARIS)

    start, end = stay_window(
        date(2026, 6, 12), date(2026, 6, 15), PARIS, override=Override(check_in=early)
    )

    assert (start, end.time()) == (early, time(12, 0))


def test_override_in_another_zone_is_shown_in_the_lock_zone() -> None:
    late = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)

    _, end = stay_window(
        date(2026, 6, 12), date(2026, 6, 15), PARIS, override=Override(check_out=late)
    )

    assert end.tzinfo == PARIS
    assert end.time() == time(16, 0)


def test_end_in_the_repeated_autumn_hour_moves_past_it() -> None:
    # 2026-10-25 in Paris: 02:00 CEST becomes 02:00 CET; 02:30 happens twice.
    second_pass = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the second 02:30

    fields = validity(second_pass - timedelta(hours=5), second_pass, PARIS)

    assert (fields.end_date, fields.end_time) == (date(2026, 10, 25), time(3, 30))
    assert fields.span(PARIS)[1] >= second_pass


def test_validity_rounds_outwards_to_the_minute() -> None:
    start = datetime(2026, 6, 12, 14, 59, 59, tzinfo=PARIS)
    end = datetime(2026, 6, 15, 12, 0, 1, tzinfo=PARIS)

    fields = validity(start, end, PARIS)

    assert (fields.start_time, fields.end_time) == (time(14, 59), time(12, 1))


ZONES = st.sampled_from(
    [ZoneInfo(name) for name in ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC")]
)


@given(
    tz=ZONES,
    arrival=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    nights=st.integers(0, 30),
    check_in=st.times(),
    check_out=st.times(),
    before=st.integers(0, 24 * 60),
    after=st.integers(0, 24 * 60),
)
def test_validity_always_contains_the_stay(
    tz: ZoneInfo,
    arrival: date,
    nights: int,
    check_in: time,
    check_out: time,
    before: int,
    after: int,
) -> None:
    policy = TimePolicy(
        check_in,
        check_out,
        buffer_before=timedelta(minutes=before),
        buffer_after=timedelta(minutes=after),
    )

    start, end = stay_window(arrival, arrival + timedelta(days=nights), tz, policy)
    span_start, span_end = validity(start, end, tz).span(tz)

    assert span_start <= start
    assert span_end >= end
    assert span_start > start - timedelta(minutes=1)
    assert span_end < end + timedelta(minutes=1)


def test_buffers_widen_the_code_and_an_override_moves_the_guest_too() -> None:
    policy = TimePolicy(buffer_before=timedelta(minutes=30), buffer_after=timedelta(hours=1))
    times = stay_times(date(2026, 6, 12), date(2026, 6, 15), PARIS, policy)
    assert (times.check_in, times.check_out) == (
        datetime(2026, 6, 12, 15, 0, tzinfo=PARIS),
        datetime(2026, 6, 15, 12, 0, tzinfo=PARIS),
    )
    assert (times.start, times.end) == (
        datetime(2026, 6, 12, 14, 30, tzinfo=PARIS),
        datetime(2026, 6, 15, 13, 0, tzinfo=PARIS),
    )
    early = datetime(2026, 6, 12, 11, 0, tzinfo=PARIS)
    moved = stay_times(
        date(2026, 6, 12), date(2026, 6, 15), PARIS, policy, override=Override(check_in=early)
    )
    assert (moved.check_in, moved.start) == (early, early)
    assert (moved.check_out, moved.end) == (times.check_out, times.end)
