"""parse_feed on the shapes real feeds take that the fixtures do not: each harms only itself."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from custom_components.lockbridge.api.ical import MAX_LINE, SkipReason, parse_feed
from tests.api.test_ical import calendar

PARIS = "Europe/Paris"


def test_a_folded_line_over_the_bound_is_dropped_whole() -> None:
    long = "DESCRIPTION:" + "x" * 70 + "".join("\r\n " + "y" * 74 for _ in range(MAX_LINE // 70))
    raw = calendar(
        ["UID:a", "DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261213", "SUMMARY:A", long]
    )

    (event,) = parse_feed(raw, PARIS).events

    assert (event.summary, event.description) == ("A", "")


def test_a_date_start_and_a_timed_end_are_read_as_days() -> None:
    raw = calendar(["UID:a", "DTSTART;VALUE=DATE:20261210", "DTEND:20261213T110000Z"])

    (event,) = parse_feed(raw, PARIS).events

    assert (event.start, event.end) == (date(2026, 12, 10), date(2026, 12, 13))


def test_an_event_without_a_start_is_skipped_with_its_reason() -> None:
    raw = calendar(["UID:a", "DTEND;VALUE=DATE:20261213", "SUMMARY:A"], ["UID:b", "DTSTART:x"])

    feed = parse_feed(raw, PARIS)

    assert feed.events == ()
    assert sorted(feed.skipped) == [("a", SkipReason.NO_START), ("b", SkipReason.BAD_DATES)]


def test_a_property_given_twice_takes_the_first() -> None:
    raw = calendar(
        [
            "UID:a",
            "DTSTART:20261210T150000",
            "DTEND:20261213T110000",
            "SUMMARY:Anna",
            "SUMMARY:Someone else",
        ]
    )

    (event,) = parse_feed(raw, PARIS).events

    assert event.summary == "Anna"
    assert event.start == datetime(2026, 12, 10, 15, tzinfo=ZoneInfo(PARIS))


def test_a_time_beyond_what_a_zone_can_say_is_skipped() -> None:
    raw = calendar(
        ["UID:far", "DTSTART:99991231T230000Z", "DTEND:99991231T233000Z"],
        ["UID:ok", "DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261211"],
    )

    feed = parse_feed(raw, "Pacific/Kiritimati")  # UTC+14: the year 10000

    assert [event.uid for event in feed.events] == ["ok"]
    assert feed.skipped == (("far", SkipReason.BAD_DATES),)
