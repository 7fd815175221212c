"""Adding and changing an iCal source (each feed read live, then the shared unit forms);
what its saved settings and real servers' feeds make of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.lockbridge.const import DEFAULTS
from custom_components.lockbridge.sources.ical_flow import address_problem, feed_id_of
from tests.conftest import StubCloud, serve
from tests.demo_stack import Demo, set_up
from tests.fakes.ical import IcalSimulator
from tests.test_ical import (
    AHEAD,
    KEYPAD,
    LATER,
    Feeds,
    clock,  # noqa: F401  # the frozen clock that poll() moves on
    feed_with_stays,
    key_of,
    ours,
    poll,
    set_up_ical,
    source_of,
)


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


@pytest.fixture
async def feeds() -> AsyncIterator[Feeds]:
    sim = IcalSimulator()
    server = await serve(sim.make_app())
    yield Feeds(sim, str(server.make_url("")).rstrip("/"))
    await server.close()


async def configure(hass: HomeAssistant, result: Any, data: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], data)


def feed(url: str, platform: str = "airbnb", unit: str = "Harbour Cabin", **patterns: str) -> Any:
    """The feed form as typed."""
    return {"feed_url": url, "platform": platform, "unit": unit, "patterns": patterns}


#: A host's own reservation pattern; its `name` group is the guest's name.
PATTERN = r"^(?P<name>ana\b.*)"
UNIT = {"keypad": KEYPAD, "check_in": "15:00:00", "check_out": "11:00:00"}
BOATHOUSE = {**UNIT, "keypad": "3702/Kg4Rt8Ws"}


async def test_add_two_feeds_for_one_unit(hass: HomeAssistant, demo: Demo, feeds: Feeds) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner=False))
    airbnb, booking = feed_with_stays(feeds, "airbnb"), feed_with_stays(feeds, "booking")
    feeds.sim.block(booking, *AHEAD)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ical"), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "feed"
    result = await configure(hass, result, feed(feeds.url(airbnb)))
    assert result["step_id"] == "http_warning"  # loopback http: allowed, with a warning
    result = await configure(hass, result, {})
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "feeds")
    assert result["menu_options"] == ["feed", "done"]
    result = await configure(hass, result, {"next_step_id": "feed"})
    # The unit typed before is offered; typing its name again (any case) picks it.
    names = result["data_schema"].schema["unit"].config["options"]
    assert names == ["Harbour Cabin"]
    result = await configure(hass, result, feed(feeds.url(booking), "booking", "harbour  cabin"))
    result = await configure(hass, result, {})
    lines = result["description_placeholders"]["feeds"]
    assert "- Harbour Cabin: Booking.com (127.0.0.1), 2 reservations, 1 blocks" in lines
    assert airbnb not in lines  # the address is a secret
    assert booking not in lines
    assert "remove_feed" in result["menu_options"]
    result = await configure(hass, result, {"next_step_id": "done"})
    assert (result["step_id"], result["description_placeholders"]["unit"]) == (
        "unit",
        "Harbour Cabin",
    )
    keypads = {o["value"] for o in result["data_schema"].schema["keypad"].config["options"]}
    assert {"not_managed", KEYPAD} <= keypads
    result = await configure(hass, result, UNIT)
    assert result["step_id"] == "cancellations"
    result = await configure(hass, result, {"missing_reads": 3})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "iCal: Harbour Cabin"  # two platforms: neither names it
    data = result["data"]
    assert [(f["platform"], f["unit"]) for f in data["feeds"]] == [
        ("airbnb", "u1"),
        ("booking", "u1"),
    ]
    assert data["units"] == {"u1": {"name": "Harbour Cabin", **UNIT}}
    assert data["missing_reads"] == 3
    (subentry,) = entry.subentries.values()
    assert subentry.unique_id == f"ical-{feed_id_of(feeds.url(airbnb))}"
    # Loaded at once: the four stays have their codes.
    assert sum(1 for c in demo.thekeys.codes(3701) if "ical" in c.name) == 4


async def test_feed_form_errors(
    hass: HomeAssistant, demo: Demo, feeds: Feeds, unused_tcp_port: int
) -> None:
    token = feed_with_stays(feeds, "airbnb")
    entry = await set_up_ical(hass, demo, [(feeds.url(token), "airbnb")])
    fresh = feed_with_stays(feeds, "airbnb")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ical"), context={"source": SOURCE_USER}
    )
    wrong: list[tuple[Any, dict[str, str]]] = [
        (feed("not an address"), {"feed_url": "bad_url"}),
        (feed("ftp://127.0.0.1/x.ics"), {"feed_url": "bad_url"}),
        (feed("http://example.com/x.ics"), {"feed_url": "not_https_feed"}),
        (feed(feeds.url(token)), {"feed_url": "feed_in_use"}),  # another source's feed
        (feed(feeds.url(fresh), unit="  "), {"unit": "unit_name_missing"}),
        (feed(feeds.url(fresh), reservation_pattern="("), {"base": "bad_pattern"}),
        (feed(feeds.url(fresh), block_pattern="x" * 201), {"base": "bad_pattern"}),
        (feed(f"{feeds.base_url}/feeds/unknown.ics"), {"base": "cannot_connect"}),
        (feed(f"http://127.0.0.1:{unused_tcp_port}/x.ics"), {"base": "cannot_connect"}),
    ]
    for answer, errors in wrong:
        result = await configure(hass, result, answer)
        assert (result["step_id"], result["errors"]) == ("feed", errors), answer
    for status, error in ((0, "not_calendar"), (500, "cannot_connect")):
        feeds.sim.control(fresh, {"fail_next": 1, "status": status})
        result = await configure(hass, result, feed(feeds.url(fresh)))
        assert result["errors"] == {"base": error}

    result = await configure(hass, result, feed(feeds.url(fresh)))
    result = await configure(hass, result, {})  # the http warning
    result = await configure(hass, result, {"next_step_id": "feed"})
    result = await configure(hass, result, feed(feeds.url(fresh)))  # this flow's own feed
    assert result["errors"] == {"feed_url": "feed_in_use"}


async def test_a_pattern_decides_what_is_a_reservation(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner=False))
    token = feed_with_stays(feeds, "other")  # summaries: the guests' names
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ical"), context={"source": SOURCE_USER}
    )
    result = await configure(
        hass, result, feed(feeds.url(token), "other", reservation_pattern=PATTERN)
    )
    result = await configure(hass, result, {})
    line = result["description_placeholders"]["feeds"]
    assert "1 reservations, 0 blocks and 1 other events left out" in line
    result = await configure(hass, result, {"next_step_id": "done"})
    result = await configure(hass, result, UNIT)
    result = await configure(hass, result, {"missing_reads": 4})
    assert result["data"]["feeds"][0]["reservation_pattern"] == PATTERN
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [c.name for c in demo.thekeys.codes(3701) if "ical" in c.name] == ["ical Ana Lima"]


async def test_reconfigure_removes_a_feed_adds_one_and_keeps_the_units(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    first, second = feed_with_stays(feeds, "airbnb"), feed_with_stays(feeds, "booking")
    entry = await set_up_ical(
        hass, demo, [(feeds.url(first), "airbnb"), (feeds.url(second), "booking")], misses=5
    )
    subentry_id = next(iter(entry.subentries))
    third = feed_with_stays(feeds, "vrbo")

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert (result["type"], result["step_id"]) == (FlowResultType.MENU, "feeds")
    result = await configure(hass, result, {"next_step_id": "remove_feed"})
    options = result["data_schema"].schema["remove"].config["options"]
    assert [o["value"] for o in options] == [feed_id_of(feeds.url(u)) for u in (first, second)]
    result = await configure(hass, result, {"remove": feed_id_of(feeds.url(first))})
    assert result["menu_options"] == ["feed", "done"]  # one feed left: none to remove
    result = await configure(hass, result, {"next_step_id": "feed"})
    result = await configure(hass, result, feed(feeds.url(third), "vrbo", "Boathouse"))
    result = await configure(hass, result, {})
    result = await configure(hass, result, {"next_step_id": "done"})
    defaults = {str(k): k.default() for k in result["data_schema"].schema if k.default}
    assert (defaults["keypad"], defaults["check_out"]) == (KEYPAD, "11:00:00")
    result = await configure(hass, result, UNIT)
    assert result["description_placeholders"]["unit"] == "Boathouse"
    result = await configure(hass, result, BOATHOUSE)
    assert result["step_id"] == "cancellations"
    default = next(k.default() for k in result["data_schema"].schema if k == "missing_reads")
    assert default == 5
    result = await configure(hass, result, {"missing_reads": 5})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    subentry = entry.subentries[subentry_id]
    assert [(f["platform"], f["unit"]) for f in subentry.data["feeds"]] == [
        ("booking", "u1"),
        ("vrbo", "u2"),
    ]
    assert subentry.data["units"] == {
        "u1": {"name": "Harbour Cabin", **UNIT},
        "u2": {"name": "Boathouse", **BOATHOUSE},
    }
    assert subentry.unique_id == "ical-x"
    assert subentry.title == "iCal: Harbour Cabin, Boathouse"


async def test_the_options_set_the_feeds_poll_interval(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    token = feed_with_stays(feeds, "airbnb")
    entry = await set_up_ical(hass, demo, [(feeds.url(token), "airbnb")])
    assert source_of(entry).update_interval == timedelta(minutes=15)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    assert "ical_interval" in {str(key) for key in schema.schema}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULTS, "ical_interval": 2}
    )
    assert result["errors"] == {"ical_interval": "range_ical_interval"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULTS, "ical_interval": 60}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert source_of(entry).update_interval == timedelta(minutes=60)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1", "bad_url"),
        ("https:///x.ics", "bad_url"),
        ("https://www.airbnb.com/calendar/ical/1.ics?s=" + "a" * 2000, "bad_url"),
        ("http://8.8.8.8/x.ics", "not_https_feed"),
        ("http://calendar.example.com/x.ics", "not_https_feed"),
        ("https://www.airbnb.com/calendar/ical/1.ics?s=abc", None),
        # Plain http on this network only: a NAS, a PMS in the office.
        ("http://nas.local/x.ics", None),
        ("http://nas/x.ics", None),
        ("http://localhost:8080/x.ics", None),
        ("http://192.168.1.5/x.ics", None),
        ("http://[fe80::1]/x.ics", None),
    ],
)
def test_feed_addresses(url: str, problem: str | None) -> None:
    assert address_problem(url) == problem


async def test_a_feed_another_source_was_named_after_makes_a_source_of_its_own(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    """A source keeps the id its first feed gave it, even once that feed was removed: the
    feed added again to a new source gives it another id, and the source is made."""
    first, second = feed_with_stays(feeds), feed_with_stays(feeds)
    entry = await set_up_ical(hass, demo, [(feeds.url(second), "airbnb")])
    subentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(
        entry, subentry, unique_id=f"ical-{feed_id_of(feeds.url(first))}"
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ical"), context={"source": SOURCE_USER}
    )
    result = await configure(hass, result, feed(feeds.url(first)))
    result = await configure(hass, result, {})
    result = await configure(hass, result, {"next_step_id": "done"})
    while result["type"] is FlowResultType.FORM:  # the unit's form, then the cancellations'
        result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    ids = [sub.unique_id for sub in entry.subentries.values()]
    assert len(ids) == len(set(ids)) == 2


async def test_the_keypads_unreadable_abort(hass: HomeAssistant, demo: Demo, feeds: Feeds) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner=False))
    await hass.config_entries.async_unload(entry.entry_id)  # the keypads come from the cloud
    demo.thekeys.faults.fail_next = 100
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ical"), context={"source": SOURCE_USER}
    )
    result = await configure(hass, result, feed(feeds.url(feed_with_stays(feeds))))
    result = await configure(hass, result, {})
    result = await configure(hass, result, {"next_step_id": "done"})
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "cannot_connect")


async def test_hand_edited_feeds_are_left_out_and_old_notes_never_count_missing(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    token = feed_with_stays(feeds)
    url = feeds.url(token)
    entry = await set_up_ical(hass, demo, [(url, "myspace"), ("", "airbnb")])
    source = source_of(entry)
    assert [f.label for f in source.feeds] == ["iCal"]  # an unknown platform: read as a PMS
    assert len(ours(demo)) == 2
    uid = feeds.sim.feeds[token].events[0].uid
    # As an older version saved it: the bookings, without the feed each came from.
    marks = {"known": {key_of(entry, uid): "no feed"}}
    entry.runtime_data.state.set_read_marks(source.subentry.subentry_id, marks)
    feeds.sim.cancel(token, uid)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await poll(hass, entry, 5)
    assert key_of(entry, uid) in ours(demo)


# -- feeds as real servers write them ----------------------------------------------------


def calendar(*events: str) -> bytes:
    """A PMS's feed: its zone declared, these events' lines."""
    body = "".join(f"BEGIN:VEVENT\r\n{event}\r\nEND:VEVENT\r\n" for event in events)
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:pms\r\nX-WR-TIMEZONE:Europe/Paris\r\n"
    return f"{head}{body}END:VCALENDAR\r\n".encode()


SHAPES = calendar(
    "UID:timed\r\nDTSTART:20261128T150000Z\r\nDTEND:20261130T090000Z\r\nSUMMARY:Carla Diaz",
    "UID:one-night\r\nDTSTART;VALUE=DATE:20261203",
    "UID:one-night-again\r\nDTSTART;VALUE=DATE:20261203",  # one stay listed twice
    "UID:no-end\r\nDTSTART:20261205T150000Z",
)


async def test_times_missing_ends_and_duplicates(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    token = feeds.sim.add_feed("other")
    feeds.sim.feeds[token].raw = SHAPES
    entry = await set_up_ical(hass, demo, [(feeds.url(token), "other")])
    source = source_of(entry)
    assert source.data is not None
    stays = {b.guest_name: b for b in source.data.bookings}
    assert set(stays) == {"Carla Diaz", "iCal 3 Dec - 4 Dec"}  # the duplicate once
    carla = stays["Carla Diaz"]  # read in the calendar's zone: the property's hours
    assert (carla.arrival, carla.check_in, carla.departure, carla.check_out) == (
        date(2026, 11, 28),
        time(16, 0),
        date(2026, 11, 30),
        time(10, 0),
    )
    assert stays["iCal 3 Dec - 4 Dec"].departure == date(2026, 12, 4)  # no DTEND: a night
    (rejected,) = source.data.rejected  # a timed event without an end: no check-out
    assert rejected.key.booking_id == key_of(entry, "no-end")
    assert source.diagnostics()["feeds"][0]["events"]["duplicate"] == 1
    assert len(ours(demo)) == 2


async def test_a_server_without_validators_is_read_by_its_bytes(
    hass: HomeAssistant, demo: Demo, stub: StubCloud, stub_url: str
) -> None:
    """No ETag: the same bytes are not parsed again, and still count as a read."""
    sim = IcalSimulator()
    token = sim.add_feed("airbnb")
    uid = sim.book(token, *AHEAD).uid
    sim.book(token, *LATER)
    stub.reply("/a.ics", text=sim.calendar(token).decode())
    entry = await set_up_ical(hass, demo, [(f"{stub_url}/a.ics", "airbnb")])
    sim.cancel(token, uid)
    stub.reply("/a.ics", text=sim.calendar(token).decode())
    await poll(hass, entry, 2)
    assert key_of(entry, uid) in ours(demo)
    await poll(hass, entry)  # the same bytes a third time: the third miss
    assert key_of(entry, uid) not in ours(demo)
    assert source_of(entry).diagnostics()["feeds"][0]["conditional"] is False

    stub.reply("/a.ics", status=304, text="")  # "not modified" to a plain request
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert source_of(entry).stale
    assert "never read" in str(source_of(entry).feeds[0].last_error)


async def test_a_cancellation_the_feed_states_is_applied(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    stay = "UID:a\r\nDTSTART;VALUE=DATE:20261128\r\nDTEND;VALUE=DATE:20261130\r\nSUMMARY:Ana"
    token = feeds.sim.add_feed("other")
    feeds.sim.feeds[token].raw = calendar(stay)
    entry = await set_up_ical(hass, demo, [(feeds.url(token), "other")])
    assert len(ours(demo)) == 1
    feeds.sim.feeds[token].raw = calendar(stay + "\r\nSTATUS:CANCELLED")
    await poll(hass, entry)
    assert ours(demo) == {}
    assert not [i for i in ir.async_get(hass).issues.values() if i.translation_key == "ical_feed"]
