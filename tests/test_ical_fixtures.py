"""Each iCal fixture feed, read as a host would: the stays it gives and what it leaves out.

The fixtures (tests/fixtures/ical/) are shaped like the platforms' exports (ical.md). The
README's table of them is checked against what the code gives, row by row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.lockbridge.api.ical import IcalFeed, SkipReason, digest_of, parse_feed
from custom_components.lockbridge.api.ical_rules import EventKind, Platform, rules_for
from custom_components.lockbridge.engine.bookings import BookingStatus
from custom_components.lockbridge.sources.ical_reading import (
    FeedConfig,
    FeedRead,
    merge,
    read_feed,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ical"
README = Path(__file__).parent.parent / "README.md"
START, END = "<!-- ical-fixtures -->", "<!-- /ical-fixtures -->"
HOME = "Europe/Paris"
SOURCE, UNIT = "src-ical", "unit-1"
#: The day the fixtures were exported (the rolling windows start on it).
TODAY = date(2026, 12, 2)


def at(day: date, read: int = 0) -> datetime:
    """Noon in the home on `day`, plus a poll (15 min) per read: merge's `now`."""
    return datetime.combine(day, time(12), ZoneInfo(HOME)) + read * timedelta(minutes=15)


@dataclass(frozen=True)
class Stay:
    """A stay as the host sees it: days, local times (when timed), name, phone digits."""

    arrival: date
    departure: date
    name: str
    phone: str | None = None
    check_in: time | None = None
    check_out: time | None = None


@dataclass(frozen=True)
class Case:
    file: str
    platform: Platform
    stays: tuple[Stay, ...]
    blocks: int
    why: str
    cancelled: tuple[str, ...] = ()
    #: The home's zone (Home Assistant's): a feed's own X-WR-TIMEZONE wins over it.
    zone: str = HOME


def read_fixture(
    file: str, platform: Platform, zone: str = HOME, *, feed_id: str = "feed-1"
) -> tuple[IcalFeed, FeedRead]:
    feed = parse_feed((FIXTURES / file).read_bytes(), zone)
    config = FeedConfig(feed_id, UNIT, rules_for(platform))
    return feed, read_feed(feed, config, SOURCE, platform.label)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def d(text: str) -> date:
    return date.fromisoformat(text)


def t(text: str) -> time:
    return time.fromisoformat(text)


def airbnb(arrival: str, departure: str, code: str, phone: str | None = None) -> Stay:
    return Stay(d(arrival), d(departure), f"Airbnb {code}", phone)


def timed(arrival: str, departure: str, name: str, phone: str | None = None) -> Stay:
    """A stay with times: "2026-12-04 15:00" is the local (property's) wall time."""
    (day_in, at_in), (day_out, at_out) = arrival.split(), departure.split()
    return Stay(d(day_in), d(day_out), name, phone, t(at_in), t(at_out))


CASES = [
    Case(
        "airbnb.ics",
        Platform.AIRBNB,
        (
            airbnb("2026-12-05", "2026-12-08", "HMABCD1234", "1234"),
            airbnb("2026-12-18", "2026-12-27", "HMQ7RT2K9X", "5678"),
            airbnb("2027-01-02", "2027-01-04", "HM9XK3P2LD"),
        ),
        blocks=3,
        why="block ×3",
    ),
    Case(
        "booking.ics",
        Platform.BOOKING,
        (
            Stay(d("2026-12-10"), d("2026-12-14"), "Anna Schmidt"),
            Stay(d("2026-12-20"), d("2026-12-23"), "Zoë Łukasiewicz-Brzęczyszczykiewicz"),
        ),
        blocks=2,
        why="block ×2",
    ),
    Case(
        "vrbo.ics",
        Platform.VRBO,
        (
            Stay(d("2026-12-12"), d("2026-12-19"), "María José García Fernández de Córdoba"),
            Stay(d("2027-01-03"), d("2027-01-10"), "Tom O'Brien"),
            # "Reserved" with no name: the platform and the dates.
            Stay(d("2027-02-14"), d("2027-02-16"), "Vrbo 14 Feb - 16 Feb"),
        ),
        blocks=1,
        why="block ×1",
    ),
    Case(
        "smoobu_ical.ics",
        Platform.OTHER,
        (
            Stay(d("2026-12-04"), d("2026-12-07"), "Max Mustermann"),
            Stay(d("2026-12-15"), d("2026-12-20"), "Aylin Demir"),
        ),
        blocks=1,
        why="block ×1, duplicate ×4",
    ),
    Case(
        "pms_times.ics",
        Platform.OTHER,
        (
            timed("2026-12-04 15:00", "2026-12-07 10:00", "Sophie Martin", "33612345678"),
            timed("2026-12-10 16:00", "2026-12-13 11:00", "Lukas Weber"),  # floating
            timed("2026-12-18 15:30", "2026-12-22 10:00", "Giulia Rossi"),
            timed("2027-01-08 17:00", "2027-01-10 10:00", "Jan de Vries"),  # Windows name
            timed("2027-01-15 15:00", "2027-01-18 11:00", "Oliver Smith"),  # London's
        ),
        blocks=1,
        why="block ×1",
        zone=HOME,  # the unit's lock in Paris: every time as its wall clock says it
    ),
    *(
        Case(
            f"rolling_blocks_day{day}.ics",
            Platform.AIRBNB,
            (
                airbnb("2026-12-10", "2026-12-13", "HMROLL0001", "4321"),
                airbnb("2027-01-05", "2027-01-08", "HMROLL0002"),
            ),
            blocks=2,
            why="block ×2",
        )
        for day in (1, 2)
    ),
    Case(
        "no_dtend.ics",
        Platform.OTHER,
        (
            Stay(d("2026-12-05"), d("2026-12-06"), "Paul Durand"),  # no DTEND: one night
            Stay(d("2026-12-10"), d("2026-12-13"), "Emma Klein"),  # DURATION:P3D
            Stay(d("2026-12-18"), d("2026-12-21"), "iCal 18 Dec - 21 Dec", "9876"),
            Stay(d("2027-01-04"), d("2027-01-06"), "iCal 4 Jan - 6 Jan"),
        ),
        blocks=0,
        why="rejected:missing_dates ×1",  # a timed start, no end: no check-out known
    ),
    Case(
        "no_dtend.ics",
        Platform.AIRBNB,
        # Only the event with a reservation code is Airbnb's; the named ones are not.
        (airbnb("2026-12-18", "2026-12-21", "HMNOSUM001", "9876"),),
        blocks=0,
        why="noise ×4",
    ),
    Case(
        "flip_before.ics",
        Platform.AIRBNB,
        (
            airbnb("2026-12-01", "2026-12-04", "HMFLIP0001", "1111"),
            airbnb("2026-12-15", "2026-12-18", "HMFLIP0002", "2222"),
        ),
        blocks=1,
        why="block ×1",
    ),
    Case("flip_empty.ics", Platform.AIRBNB, (), blocks=0, why="—"),
    Case("flip_blocks.ics", Platform.AIRBNB, (), blocks=2, why="block ×2"),
    Case(
        "dst.ics",
        Platform.OTHER,
        (
            timed("2026-10-24 16:00", "2026-10-26 10:00", "Claire Dubois"),
            timed("2026-10-23 16:00", "2026-10-26 10:00", "Inês Ferreira"),  # UTC
            timed("2027-03-27 17:00", "2027-03-29 11:00", "Marco Bianchi"),
            timed("2027-03-26 17:00", "2027-03-29 11:00", "Sven Olsen"),  # UTC
        ),
        blocks=0,
        why="—",
    ),
    Case(
        "broken.ics",
        Platform.AIRBNB,
        (
            airbnb("2026-12-05", "2026-12-07", "HMGOOD0001", "1001"),  # "DTSTAMP :"
            airbnb("2026-12-08", "2026-12-10", "HMGOOD0002", "1002"),  # NUL, no colon
            # Its overlong DESCRIPTION line is dropped, with the code in it.
            Stay(d("2026-12-12"), d("2026-12-14"), "Airbnb 12 Dec - 14 Dec"),
            airbnb("2026-12-26", "2026-12-30", "HMGOOD0003", "1003"),  # after NUL bytes
        ),
        blocks=1,
        why="block ×1, cancelled ×1, skipped:bad_dates ×1, skipped:recurring ×1",
        cancelled=("Airbnb HMCANCEL01",),
    ),
]


#: What a host sees in each fixture, as the README says it (its last column).
SHOWN = {
    "airbnb.ics": "Three stays named by their code (`Airbnb HMABCD1234`), two with the phone's "
    "last four digits; the rolling lead-time window, a far-future window and a host's block "
    "left out",
    "booking.ics": "`CLOSED - <name>` stays with their names (accents kept); "
    "`CLOSED - Not available` left out",
    "vrbo.ics": "`Reserved - <name>` stays; a bare `Reserved` named by its dates; `Blocked` "
    "left out",
    "smoobu_ical.ics": "Each stay listed three times under three UIDs: each is one stay",
    "pms_times.ics": "Real times kept (UTC, floating, TZID, a Windows zone name, London's), "
    "each as the unit's lock (Paris) tells the time; floating ones in the calendar's zone",
    "rolling_blocks_day1.ics": "Airbnb's moving `Not available` windows: never a stay",
    "rolling_blocks_day2.ics": "The same listing a day later, its windows moved: the same stays",
    "no_dtend.ics/other": "No DTEND: one night; DURATION honoured; no SUMMARY: named by its "
    "dates; a timed event with no end skipped (no check-out known)",
    "no_dtend.ics/airbnb": "Read as Airbnb: only the event with a reservation code is a stay",
    "flip_before.ics": "The feed before it flips to empty",
    "flip_empty.ics": "Empty: no stay, and nothing remembered is cancelled (a repair instead)",
    "flip_blocks.ics": "Only blocks: empty as well",
    "dst.ics": "Stays across both Paris DST nights: each check-in and check-out at its wall time",
    "broken.ics": "NUL bytes, `DTSTAMP :`, a line with no colon, an overlong line, an RRULE, a "
    "garbage DTEND and a `STATUS:CANCELLED` stay: the good events around them survive",
}


def shown(case: Case) -> str:
    return SHOWN.get(f"{case.file}/{case.platform}") or SHOWN[case.file]


def by_days(stay: Stay) -> tuple[date, date, str]:
    return stay.arrival, stay.departure, stay.name


def tallies(feed: IcalFeed, read: FeedRead) -> Counter[str]:
    """Every event that is not a stay, by what it was (rejections by their reason)."""
    found = Counter({str(kind): n for kind, n in read.counts.items() if kind != "reservation"})
    found.update(f"rejected:{item.reason}" for item in read.rejected)
    return found


def row(case: Case) -> list[str]:
    """The README's row of a fixture, from what the code gives."""
    feed, read = read_fixture(case.file, case.platform, case.zone)
    stays = [b for b in read.bookings if b.status is BookingStatus.CONFIRMED]
    why = ", ".join(f"{kind} ×{n}" for kind, n in sorted(tallies(feed, read).items()))
    return [
        f"`{case.file}` ({case.platform})",
        str(len(feed.events) + len(feed.skipped)),
        str(len(stays)),
        str(read.counts.get(EventKind.BLOCK, 0)),
        why or "—",
        shown(case),
    ]


def markdown_table() -> str:
    lines = [
        START,
        "| Feed | Events | Stays | Blocks ignored | Why | What a host sees |",
        "|---|---:|---:|---:|---|---|",
        *("| " + " | ".join(row(case)) + " |" for case in CASES),
        END,
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.file}-{case.platform}")
def test_each_fixture_gives_the_stays_a_host_expects(case: Case) -> None:
    feed, read = read_fixture(case.file, case.platform, case.zone)

    assert feed.complete
    confirmed = [b for b in read.bookings if b.status is BookingStatus.CONFIRMED]
    got = sorted(
        (
            Stay(b.arrival, b.departure, b.guest_name, b.phone, b.check_in, b.check_out)
            for b in confirmed
        ),
        key=by_days,
    )
    assert got == sorted(case.stays, key=by_days)
    assert {b.channel for b in read.bookings} <= {case.platform.label}
    assert {b.unit_id for b in read.bookings} <= {UNIT}
    cancelled = [b.guest_name for b in read.bookings if b.status is BookingStatus.CANCELLED]
    assert cancelled == list(case.cancelled)
    assert read.counts.get(EventKind.BLOCK, 0) == case.blocks
    why = ", ".join(f"{kind} ×{n}" for kind, n in sorted(tallies(feed, read).items()))
    assert (why or "—") == case.why
    # Every event is accounted for: a stay, or one of the reasons.
    assert len(feed.events) + len(feed.skipped) == len(confirmed) + sum(
        tallies(feed, read).values()
    )


def test_readme_table_matches_the_fixtures() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text, "README has no iCal fixtures table (paste /tmp/ical_table.md)"
    table = text.split(START, 1)[1].split(END, 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table.strip().splitlines()[2:]
    ]
    assert rows == [row(case) for case in CASES]


def test_the_table_names_every_fixture_feed() -> None:
    named = {case.file for case in CASES}
    on_disk = {path.name for path in FIXTURES.glob("*.ics")}
    assert on_disk == named  # a new fixture gets a row


# --- the parser on the fixtures: what each shape becomes ------------------------------


def test_an_airbnb_export_is_read_whole() -> None:
    feed = parse_feed(fixture("airbnb.ics"), HOME)

    assert (feed.complete, feed.zone, feed.skipped) == (True, HOME, ())
    first = next(event for event in feed.events if event.summary == "Reserved")
    assert (first.start, first.end) == (date(2026, 12, 5), date(2026, 12, 8))
    assert first.uid.endswith("@airbnb.com")
    # Unfolded and unescaped: the code split by the fold is whole, "\n" a newline.
    assert first.description == (
        "Reservation URL: https://www.airbnb.com/hosting/reservations/details/HMABCD1234\n"
        "Phone Number (Last 4 Digits): 1234"
    )


def test_a_broken_feed_keeps_its_good_events() -> None:
    feed = parse_feed(fixture("broken.ics"), HOME)

    assert feed.complete
    assert sorted(reason for _, reason in feed.skipped) == [
        SkipReason.BAD_DATES,
        SkipReason.RECURRING,
    ]
    assert all(uid.endswith("@airbnb.com") for uid, _ in feed.skipped)
    assert len(feed.events) == 6
    assert all("\x00" not in event.summary for event in feed.events)
    assert {event.summary for event in feed.events} == {"Reserved", "Airbnb (Not available)"}
    overlong = next(event for event in feed.events if event.start == date(2026, 12, 12))
    assert overlong.description == ""  # its line was dropped, not the event
    assert [event.status for event in feed.events].count("CANCELLED") == 1


def test_times_are_read_in_the_calendars_zone_not_the_homes() -> None:
    feed = parse_feed(fixture("pms_times.ics"), "UTC")

    assert feed.zone == HOME
    starts = {event.uid.split("@")[0]: event.start for event in feed.events}
    paris = ZoneInfo(HOME)
    assert starts == {
        "pms-1001": datetime(2026, 12, 4, 15, 0, tzinfo=paris),  # written in UTC
        "pms-1002": datetime(2026, 12, 10, 16, 0, tzinfo=paris),  # floating
        "pms-1003": datetime(2026, 12, 18, 15, 30, tzinfo=paris),  # TZID + VTIMEZONE
        "pms-1004": datetime(2027, 1, 8, 17, 0, tzinfo=paris),  # "W. Europe Standard Time"
        "pms-1005": datetime(2027, 1, 15, 15, 0, tzinfo=paris),  # "GMT Standard Time"
        "pms-1006": datetime(2027, 1, 20, 1, 0, tzinfo=paris),
    }


def test_stays_across_a_dst_change_keep_their_offsets() -> None:
    feed = parse_feed(fixture("dst.ics"), HOME)
    spans = {event.summary.split(" - ")[1]: event for event in feed.events}

    def hours(name: str) -> float:
        event = spans[name]
        assert isinstance(event.start, datetime)
        assert isinstance(event.end, datetime)
        # Instants: one zone's datetimes subtract by wall clock.
        return (event.end.timestamp() - event.start.timestamp()) / 3600

    # Autumn: 16:00 CEST to 10:00 CET two days later is 43 real hours; spring: 41.
    assert hours("Claire Dubois") == hours("Inês Ferreira") - 24 == 43
    assert hours("Marco Bianchi") == hours("Sven Olsen") - 24 == 41
    claire = spans["Claire Dubois"]
    assert isinstance(claire.start, datetime)
    assert isinstance(claire.end, datetime)
    assert claire.start.utcoffset() == timedelta(hours=2)  # CEST
    assert claire.end.utcoffset() == timedelta(hours=1)  # CET


def test_events_without_an_end() -> None:
    ends = {event.uid: event.end for event in parse_feed(fixture("no_dtend.ics"), HOME).events}

    assert ends["nd-1@example.net"] is None  # all-day: one night, when read
    assert ends["nd-2@example.net"] == date(2026, 12, 13)  # DURATION:P3D
    assert ends["nd-3@example.net"] is None


def test_the_digest_ignores_the_export_stamp() -> None:
    day1, day2 = fixture("rolling_blocks_day1.ics"), fixture("rolling_blocks_day2.ics")
    restamped = day1.replace(b"DTSTAMP:20261202T061512Z", b"DTSTAMP:20261202T181500Z")

    assert restamped != day1
    assert digest_of(restamped) == digest_of(day1)
    assert digest_of(day2) != digest_of(day1)
    assert parse_feed(day1, HOME).digest == digest_of(day1)


@pytest.mark.parametrize("keep", [0.3, 0.66, 0.995])  # the last: "END:VC"
def test_a_feed_cut_short_is_incomplete(keep: float) -> None:
    raw = fixture("airbnb.ics")

    assert not parse_feed(raw[: int(len(raw) * keep)], HOME).complete


def test_a_feed_cut_short_keeps_the_events_before_the_cut() -> None:
    raw = fixture("airbnb.ics")
    cut = raw[: raw.rindex(b"END:VEVENT\r\n") + 12]  # the last event whole, no END:VCALENDAR

    feed = parse_feed(cut, HOME)

    assert (feed.complete, len(feed.events)) == (False, 6)


# --- the same feeds read again: what is remembered -------------------------------------


def test_rolling_blocks_never_become_or_move_stays() -> None:
    _, day1 = read_fixture("rolling_blocks_day1.ics", Platform.AIRBNB)
    _, day2 = read_fixture("rolling_blocks_day2.ics", Platform.AIRBNB)

    assert day1.bookings == day2.bookings  # keys, dates, names: the same
    known, empty = merge({}, {"feed-1": day1}, now=at(TODAY), keep_from=TODAY)
    for read in range(3):
        after, empty = merge(
            known, {"feed-1": day2}, now=at(TODAY + timedelta(1), read), keep_from=TODAY
        )
        assert (after, empty) == (known, set())


def test_a_feed_that_flips_to_empty_or_to_blocks_cancels_nothing() -> None:
    _, before = read_fixture("flip_before.ics", Platform.AIRBNB)
    known, _ = merge({}, {"feed-1": before}, now=at(TODAY), keep_from=TODAY)
    for flipped in ("flip_empty.ics", "flip_blocks.ics"):
        _, read = read_fixture(flipped, Platform.AIRBNB)
        for n in range(5):
            after, empty = merge(known, {"feed-1": read}, now=at(TODAY, n + 1), keep_from=TODAY)
            assert (after, empty) == (known, {"feed-1"})


def test_only_complete_reads_count_a_missing_stay() -> None:
    _, before = read_fixture("flip_before.ics", Platform.AIRBNB)
    _, other = read_fixture("airbnb.ics", Platform.AIRBNB)  # without before's stays
    first, _ = merge({}, {"feed-1": before}, now=at(TODAY), keep_from=TODAY)
    known = first
    for n in range(5):
        cut = replace(other, complete=False)
        known, _ = merge(known, {"feed-1": cut}, now=at(TODAY, n + 1), keep_from=TODAY)
    assert [known[key].misses for key in first] == [0, 0]
    for n in range(3):
        known, _ = merge(known, {"feed-1": other}, now=at(TODAY, n + 6), keep_from=TODAY)
    # Three complete reads without them: cancelled, but not while the guest is in.
    status = {known[key].booking.guest_name: known[key].booking.status for key in first}
    assert status == {
        "Airbnb HMFLIP0001": BookingStatus.CONFIRMED,  # 1 to 4 December: in on the 2nd
        "Airbnb HMFLIP0002": BookingStatus.CANCELLED,
    }


def test_smoobus_three_copies_are_one_stay_and_none_is_missing() -> None:
    feed, read = read_fixture("smoobu_ical.ics", Platform.OTHER)

    # Seen: all six copies (a copy is never missing); the block is no reservation.
    assert (len(read.bookings), len(read.seen), len(feed.events)) == (2, 6, 7)


if __name__ == "__main__":  # the README's table, as the code reads the fixtures now
    print(markdown_table(), end="")
