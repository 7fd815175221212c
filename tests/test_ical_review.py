"""What an adversarial review of the iCal source found, each pinned: a PIN never passes to
another guest, an event still listed is never missing, one broken event harms only itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.api.errors import InvalidResponseError
from custom_components.lockbridge.api.ical import IcalClient, IcalEvent, parse_feed
from custom_components.lockbridge.api.ical_rules import (
    EventKind,
    Platform,
    read_event,
    rules_for,
)
from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.bookings import BookingKey, BookingStatus
from custom_components.lockbridge.sources.ical_reading import (
    FeedConfig,
    FeedRead,
    Known,
    merge,
    read_feed,
)
from tests.api.test_ical import calendar
from tests.conftest import serve
from tests.demo_stack import Demo, set_up
from tests.test_ical import Feeds, feeds, ical_subentry, source_of  # noqa: F401  # a fixture

PARIS = "Europe/Paris"
TODAY = date(2026, 11, 23)
START = datetime.combine(TODAY, time(12), ZoneInfo(PARIS))


def read(
    events: Sequence[list[str]], platform: Platform = Platform.OTHER, unit: str = "u1"
) -> FeedRead:
    feed = parse_feed(calendar(*events), PARIS)
    return read_feed(
        feed, FeedConfig(f"feed-{unit}", unit, rules_for(platform)), "src", platform.label
    )


def stay(uid: str, start: str, end: str, summary: str = "", *more: str) -> list[str]:
    lines = [f"UID:{uid}", f"DTSTART;VALUE=DATE:{start}", f"DTEND;VALUE=DATE:{end}"]
    return [*lines, *([f"SUMMARY:{summary}"] if summary else []), *more]


type Memory = dict[BookingKey, Known]


def polls(known: Memory, reads: dict[str, FeedRead | None], times: int, *, at: int = 0) -> Memory:
    for n in range(times):
        known, _ = merge(
            known, reads, now=START + (at + n) * timedelta(minutes=15), keep_from=TODAY
        )
    return known


def by_name(known: Memory) -> dict[str, tuple[str, BookingStatus]]:
    return {k.booking.guest_name: (key.booking_id, k.booking.status) for key, k in known.items()}


def test_a_uid_that_names_another_guest_never_hands_over_a_pin() -> None:
    """A PMS numbering its events by position: inserting Carol first shifts every UID."""
    first = read(
        [
            stay("evt-1", "20261210", "20261213", "Alice Martin"),
            stay("evt-2", "20261220", "20261223", "Bob Stone"),
        ]
    )
    known = polls({}, {"feed-u1": first}, 1)
    before = by_name(known)
    shifted = read(
        [
            stay("evt-1", "20261205", "20261207", "Carol New"),
            stay("evt-2", "20261210", "20261213", "Alice Martin"),
            stay("evt-3", "20261220", "20261223", "Bob Stone"),
        ]
    )
    after = by_name(polls(known, {"feed-u1": shifted}, 4, at=1))

    # Alice and Bob keep their keys (their codes, their PINs); Carol's is her own.
    assert after["Alice Martin"] == before["Alice Martin"]
    assert after["Bob Stone"] == before["Bob Stone"]
    assert after["Carol New"][0] not in {before["Alice Martin"][0], before["Bob Stone"][0]}
    assert {status for _, status in after.values()} == {BookingStatus.CONFIRMED}


def test_the_same_uid_in_two_units_feeds_is_two_stays() -> None:
    one = read([stay("1", "20261210", "20261213", "Reserved - Alice")], Platform.VRBO, "u1")
    two = read([stay("1", "20261210", "20261212", "Reserved - Bob")], Platform.VRBO, "u2")

    known = polls({}, {"feed-u1": one, "feed-u2": two}, 1)

    assert sorted((k.booking.unit_id, k.booking.guest_name) for k in known.values()) == [
        ("u1", "Alice"),
        ("u2", "Bob"),
    ]


def test_an_event_still_listed_is_never_missing_whatever_it_reads_as() -> None:
    code = "DESCRIPTION:https://www.airbnb.com/hosting/reservations/details/HMAAAA1111"
    known = polls(
        {},
        {
            "feed-u1": read(
                [
                    stay("a", "20261210", "20261213", "Reserved", code),
                    stay("b", "20261220", "20261223", "Reserved"),
                ],
                Platform.AIRBNB,
            )
        },
        1,
    )
    localised = read(
        [
            stay("a", "20261210", "20261213", "Réservé", code),
            stay("b", "20261220", "20261223", "Reserved"),
        ],
        Platform.AIRBNB,
    )

    after = polls(known, {"feed-u1": localised}, 5, at=1)

    assert {k.booking.status for k in after.values()} == {BookingStatus.CONFIRMED}
    assert [k.misses for k in after.values()] == [0, 0]


def test_reads_closer_than_the_gap_count_one_miss() -> None:
    both = read([stay("a", "20261210", "20261213", "Ann"), stay("b", "20261220", "20261223", "Bo")])
    known = polls({}, {"feed-u1": both}, 1)
    without = read([stay("b", "20261220", "20261223", "Bo")])
    for n in range(5):  # "Sync now" five times within a few minutes
        known, _ = merge(
            known, {"feed-u1": without}, now=START + timedelta(minutes=20 + n), keep_from=TODAY
        )

    assert by_name(known)["Ann"][1] is BookingStatus.CONFIRMED
    assert sorted(k.misses for k in known.values()) == [0, 1]


def test_reordered_copies_stay_one_stay_under_one_key() -> None:
    copies = [stay(uid, "20261210", "20261213", "Max Mustermann") for uid in ("s1", "s2", "s3")]
    known = polls({}, {"feed-u1": read(copies)}, 1)
    (key,) = known
    again = polls(known, {"feed-u1": read([copies[1], copies[0], copies[2]])}, 4, at=1)
    assert list(again) == [key]
    moved = [stay(uid, "20261215", "20261218", "Max Mustermann") for uid in ("s2", "s1", "s3")]
    after = polls(again, {"feed-u1": read(moved)}, 4, at=5)

    assert list(after) == [key]
    assert (after[key].booking.arrival, after[key].booking.status) == (
        date(2026, 12, 15),
        BookingStatus.CONFIRMED,
    )


def test_an_event_that_never_ends_harms_only_itself() -> None:
    raw = calendar(
        stay("good-1", "20261205", "20261207", "Ann"),
        [
            "UID:broken",
            "DTSTART;VALUE=DATE:20261208",
            "SUMMARY:Never ends",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:good-2",
            "DTSTART;VALUE=DATE:20261210",
            "DTEND;VALUE=DATE:20261212",
            "SUMMARY:Bo",
        ],
    ).replace(b"END:VEVENT\r\nBEGIN:VEVENT\r\nUID:good-2", b"BEGIN:VEVENT\r\nUID:good-2", 1)
    raw = raw.replace(b"SUMMARY:Never ends\r\n", b"SUMMARY:Never ends\r\nBEGIN:VALARM\r\n", 1)

    feed = parse_feed(raw, PARIS)

    assert sorted(event.uid for event in feed.events) == ["good-1", "good-2"]
    assert [uid for uid, _ in feed.skipped] == ["broken"]
    assert feed.complete  # the broken one is known by its UID: nothing looks missing


def test_a_stray_line_before_the_calendar_costs_nothing() -> None:
    raw = b"END:VALARM\r\n" + calendar(stay("a", "20261205", "20261207", "Ann"))

    assert [event.uid for event in parse_feed(raw, PARIS).events] == ["a"]


def test_midnight_to_midnight_times_are_whole_days() -> None:
    feed = parse_feed(
        calendar(["UID:a", "DTSTART:20261210T000000", "DTEND:20261213T000000", "SUMMARY:Ann"]),
        PARIS,
    )
    (booking,) = read_feed(
        feed, FeedConfig("f", "u1", rules_for(Platform.OTHER)), "s", "iCal"
    ).bookings

    assert (booking.arrival, booking.departure) == (date(2026, 12, 10), date(2026, 12, 13))
    assert (booking.check_in, booking.check_out) == (None, None)


def test_times_are_given_in_the_units_zone() -> None:
    feed = parse_feed(
        calendar(
            [
                "UID:a",
                "DTSTART;TZID=America/New_York:20261210T200000",
                "DTEND;TZID=America/New_York:20261213T100000",
            ]
        ),
        "America/New_York",
    )
    (event,) = feed.events

    assert event.start == datetime(2026, 12, 10, 20, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.parametrize(
    "description",
    [
        "Name:\nPhone: +33 6 12 34 56 78",
        "Guest name: \nEmail: ann@example.com",
        "Name: ann@example.com",
    ],
)
def test_an_empty_name_field_never_takes_a_contact(description: str) -> None:
    event = IcalEvent("u", "Reserved", description, date(2026, 12, 10), date(2026, 12, 12))

    reading = read_event(event, rules_for(Platform.BOOKING))

    assert reading.name == ""


def test_the_american_spelling_of_cancelled_is_a_cancellation() -> None:
    event = IcalEvent("u", "Anna", "", date(2026, 12, 10), date(2026, 12, 12), "CANCELED")

    assert read_event(event, rules_for(Platform.OTHER)).kind is EventKind.CANCELLED


def test_a_latin_1_feed_keeps_its_accents() -> None:
    raw = calendar(stay("a", "20261205", "20261207", "José García")).decode().encode("latin-1")

    assert [event.summary for event in parse_feed(raw, PARIS).events] == ["José García"]


async def test_a_redirect_to_no_address_is_a_feed_error() -> None:
    async def bad(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://h:99999/x"})

    app = web.Application()
    app.router.add_get("/feed.ics", bad)
    server = await serve(app)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidResponseError):
            await IcalClient(session, str(server.make_url("/feed.ics"))).fetch()
    await server.close()


@pytest.fixture
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


@pytest.mark.usefixtures("custom_integrations")
async def test_a_units_times_are_its_locks_wall_clock(
    hass: HomeAssistant,
    demo: Demo,
    feeds: Feeds,  # noqa: F811  # the fixture imported above
) -> None:
    """A cabin in New York on a home in Paris: the stay's day and hours are New York's."""
    demo.thekeys.add_lock(
        3799, "NY cabin", timezone="America/New_York", keypads=[("Kny12345", "Keypad")]
    )
    token = feeds.sim.add_feed("other")
    feeds.sim.feeds[token].raw = calendar(
        [
            "UID:ny",
            "DTSTART;TZID=America/New_York:20261210T200000",
            "DTEND;TZID=America/New_York:20261213T100000",
            "SUMMARY:Nina",
        ]
    )
    base = demo.entry(smoobu=False, hotelrunner=False)
    subentry = ical_subentry([(feeds.url(token), "other")], unit="NY cabin")
    subentry["data"]["units"]["u1"]["keypad"] = "3799/Kny12345"
    entry = await set_up(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=base.unique_id,
            title=base.title,
            data=dict(base.data),
            subentries_data=[subentry],
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)  # read again in its zone

    (booking,) = source_of(entry).data.bookings
    assert (booking.arrival, booking.check_in) == (date(2026, 12, 10), time(20, 0))
    assert (booking.departure, booking.check_out) == (date(2026, 12, 13), time(10, 0))
