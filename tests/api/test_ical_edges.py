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


CUSTOM_ZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Customized Time Zone",
    "BEGIN:STANDARD",
    "DTSTART:16010101T030000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]


def broken_feed(*tail: str) -> bytes:
    """A custom zone, a timed event in it, then an event that never ends (then `tail`)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        *CUSTOM_ZONE,
        "BEGIN:VEVENT",
        "UID:timed",
        "DTSTART;TZID=Customized Time Zone:20261210T150000",
        "DTEND;TZID=Customized Time Zone:20261213T110000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "DTSTART;VALUE=DATE:20261215",
        "SUMMARY:no UID, no end",
        *tail,
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_read_one_by_one_an_event_keeps_the_feeds_own_zone() -> None:
    feed = parse_feed(broken_feed(), "UTC")

    (event,) = feed.events
    assert event.start == datetime(2026, 12, 10, 14, tzinfo=ZoneInfo("UTC"))  # 15:00 at +01:00
    # The broken event has no UID: a reservation in it would look missing.
    assert not feed.complete


def test_a_broken_event_followed_by_a_good_one() -> None:
    feed = parse_feed(
        broken_feed(
            "BEGIN:VEVENT",
            "UID:after",
            "DTSTART;VALUE=DATE:20261220",
            "DTEND;VALUE=DATE:20261222",
            "END:VEVENT",
        ),
        PARIS,
    )

    assert sorted(event.uid for event in feed.events) == ["after", "timed"]
    assert not feed.complete
