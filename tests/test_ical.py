"""The iCal source over real HTTP: cancellations only on evidence, restarts, privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
import json
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import DOMAIN, FAILURES_BEFORE_PROBLEM
from custom_components.lockbridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.sources.ical import IcalCoordinator
from custom_components.lockbridge.sources.ical_reading import MISS_GAP, booking_id
from tests.conftest import exception_text, serve
from tests.demo_stack import Demo, set_up
from tests.fakes.ical import IcalSimulator

#: A stay ahead (the guest not in the house) and one under way (arrived two days ago).
AHEAD = (date(2026, 11, 28), date(2026, 11, 30))
IN_HOUSE = (date(2026, 11, 21), date(2026, 11, 25))
KEYPAD = "3701/Kp7Lm2Qa"
LATER = (date(2026, 12, 10), date(2026, 12, 12))
PHONE = "8642"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


@dataclass
class Feeds:
    """The feed simulator and where it is served."""

    sim: IcalSimulator
    base_url: str

    def url(self, token: str) -> str:
        return f"{self.base_url}/feeds/{token}.ics"


@pytest.fixture
async def feeds() -> AsyncIterator[Feeds]:
    sim = IcalSimulator()
    server = await serve(sim.make_app())
    yield Feeds(sim, str(server.make_url("")).rstrip("/"))
    await server.close()


def ical_subentry(
    feeds: list[tuple[str, str]], *, misses: int | None = None, unit: str = "Harbour Cabin"
) -> ConfigSubentryData:
    """An iCal source as its flow stores it: (url, platform) feeds, all for one unit."""
    data: dict[str, Any] = {
        "feeds": [{"feed_url": url, "platform": platform, "unit": "u1"} for url, platform in feeds],
        "units": {
            "u1": {"name": unit, "keypad": KEYPAD, "check_in": "15:00:00", "check_out": "11:00:00"}
        },
    }
    if misses is not None:
        data["missing_reads"] = misses
    return ConfigSubentryData(
        data=data, subentry_type="ical", title=f"Airbnb: {unit}", unique_id="ical-x"
    )


async def set_up_ical(
    hass: HomeAssistant, demo: Demo, feeds: list[tuple[str, str]], **kwargs: Any
) -> MockConfigEntry:
    base = demo.entry(smoobu=False, hotelrunner=False)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=base.unique_id,
        title=base.title,
        data=dict(base.data),
        subentries_data=[ical_subentry(feeds, **kwargs)],
    )
    return await set_up(hass, entry)


def source_of(entry: MockConfigEntry) -> IcalCoordinator:
    (source,) = entry.runtime_data.coordinator.sources.values()
    assert isinstance(source, IcalCoordinator)
    return source


#: The frozen clock of the test running (the demo fixture's): each poll moves it on.
CLOCK: list[FrozenDateTimeFactory] = []
#: Between two polls: more than MISS_GAP (each read counts), less than the interval (no
#: poll of Home Assistant's own falls in between).
POLL_GAP = MISS_GAP + timedelta(minutes=1)


@pytest.fixture(autouse=True)
def clock(freezer: FrozenDateTimeFactory) -> Iterator[None]:
    CLOCK[:] = [freezer]
    yield
    CLOCK.clear()


async def poll(hass: HomeAssistant, entry: MockConfigEntry, times: int = 1) -> None:
    """Read the feeds `times` times, a poll apart, each followed by the sync it asks for."""
    for _ in range(times):
        CLOCK[0].tick(POLL_GAP)
        await source_of(entry).async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)


def ours(demo: Demo) -> dict[str, tuple[date, date]]:
    """Our iCal codes on the keypad's lock: booking id -> the code's dates."""
    return {
        key.booking_id: (code.start, code.end)
        for code in demo.thekeys.codes(3701)
        if (key := parse_tag(code.description)) and key.source == "ical"
    }


def feed_issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "ical_feed"
    ]


async def one_stay(
    hass: HomeAssistant, demo: Demo, feeds: Feeds, stay: tuple[date, date] = AHEAD, **kwargs: Any
) -> tuple[MockConfigEntry, str, str]:
    """An Airbnb feed with a stay and a later one (a feed left with no stay cancels
    nothing), read, their codes made; the first one's UID."""
    token = feeds.sim.add_feed("airbnb")
    event = feeds.sim.book(token, *stay, phone_last4=PHONE)
    feeds.sim.book(token, *LATER)
    entry = await set_up_ical(hass, demo, [(feeds.url(token), "airbnb")], **kwargs)
    assert len(ours(demo)) == 2
    return entry, token, event.uid


def feed_with_stays(feeds: Feeds, platform: str = "airbnb") -> str:
    token = feeds.sim.add_feed(platform)
    feeds.sim.book(token, *AHEAD, "Ana Lima")
    feeds.sim.book(token, *LATER, "Ben Ode")
    return token


def key_of(entry: MockConfigEntry, uid: str, unit: str = "u1") -> str:
    return booking_id(source_of(entry).source_id, unit, uid)


# -- A. faults delete nothing; three reads without it cancel ------------------------------


FAULTS: dict[str, dict[str, Any]] = {
    "empty": {"empty": True},
    "500": {"fail_next": 6, "status": 500},
    "html": {"fail_next": 6, "status": 0},
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_faulty_feed_deletes_no_code(
    hass: HomeAssistant, demo: Demo, feeds: Feeds, fault: str
) -> None:
    entry, token, _ = await one_stay(hass, demo, feeds)
    before = ours(demo)
    feeds.sim.control(token, FAULTS[fault])
    await poll(hass, entry, 6)
    assert ours(demo) == before
    feeds.sim.control(token, {"empty": False})
    await poll(hass, entry, 4)  # no miss was counted while it was wrong
    assert ours(demo) == before


async def test_a_reservation_dropped_once_keeps_its_code(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    before = ours(demo)
    feeds.sim.control(token, {"hide": [uid], "reads": 1})
    await poll(hass, entry, 6)
    assert ours(demo) == before
    assert not feed_issues(hass)


@pytest.mark.parametrize("misses", [None, 5])  # the default: 3
async def test_n_reads_without_it_cancel_fewer_do_not(
    hass: HomeAssistant, demo: Demo, feeds: Feeds, misses: int | None
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds, misses=misses)
    feeds.sim.cancel(token, uid)
    await poll(hass, entry, (misses or 3) - 1)
    assert key_of(entry, uid) in ours(demo)
    await poll(hass, entry)
    assert list(ours(demo)) == [key_of(entry, feeds.sim.feeds[token].events[0].uid)]


async def test_a_guest_in_the_house_keeps_the_code(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds, stay=IN_HOUSE)
    before = ours(demo)
    feeds.sim.cancel(token, uid)
    await poll(hass, entry, 8)
    assert ours(demo) == before


async def test_a_reservation_back_after_two_misses_starts_the_count_again(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    feeds.sim.control(token, {"hide": [uid], "reads": 2})
    await poll(hass, entry, 3)  # two misses, then back
    feeds.sim.cancel(token, uid)
    await poll(hass, entry, 2)
    assert key_of(entry, uid) in ours(demo)  # three more are needed, not one
    await poll(hass, entry)
    assert key_of(entry, uid) not in ours(demo)


async def test_an_empty_feed_raises_the_repair_until_it_reads_well(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, _ = await one_stay(hass, demo, feeds)
    feeds.sim.control(token, {"empty": True})
    await poll(hass, entry)
    (issue,) = feed_issues(hass)
    assert issue.translation_placeholders is not None
    assert "Harbour Cabin (Airbnb)" in issue.translation_placeholders["feeds"]
    assert not source_of(entry).stale  # it answered: only this feed says nothing
    feeds.sim.control(token, {"empty": False})
    await poll(hass, entry)
    assert not feed_issues(hass)


async def test_a_feed_failing_again_and_again_raises_the_repair(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, _ = await one_stay(hass, demo, feeds)
    feeds.sim.control(token, {"fail_next": 10, "status": 500})
    await poll(hass, entry, FAILURES_BEFORE_PROBLEM - 1)
    assert not feed_issues(hass)
    await poll(hass, entry)
    assert feed_issues(hass)
    feeds.sim.control(token, {"fail_next": 0})
    await poll(hass, entry)
    assert not feed_issues(hass)


async def test_every_feed_failing_keeps_the_last_data(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, _ = await one_stay(hass, demo, feeds)
    source = source_of(entry)
    data, before = source.data, ours(demo)
    feeds.sim.control(token, {"fail_next": 10, "status": 0})
    await poll(hass, entry, 4)
    assert source.stale
    assert source.data == data
    assert ours(demo) == before
    assert any("Harbour Cabin (Airbnb)" in line for line in source.problems())


async def test_a_feed_whose_last_reservation_leaves_is_taken_as_empty(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, _ = await one_stay(hass, demo, feeds)
    before = ours(demo)
    feeds.sim.feeds[token].events.clear()  # no stay at all: an export gone wrong, or not
    await poll(hass, entry, 5)
    assert ours(demo) == before
    assert feed_issues(hass)
    assert source_of(entry).diagnostics()["feeds"][0]["empty"] is True


async def test_a_feed_cut_short_counts_no_miss(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    before = ours(demo)
    feeds.sim.cancel(token, uid)
    cut = feeds.sim.calendar(token).replace(b"END:VCALENDAR", b"")  # a download cut short
    feeds.sim.feeds[token].raw = cut
    await poll(hass, entry, 5)
    assert ours(demo) == before
    assert source_of(entry).diagnostics()["feeds"][0]["complete"] is False
    # Read in part again and again: cancelling nothing is a failure the host sees.
    assert feed_issues(hass)
    assert any("read only in part" in line for line in source_of(entry).problems())
    feeds.sim.feeds[token].raw = None
    await poll(hass, entry, 2)
    assert ours(demo) == before  # the count starts at the first complete read
    assert not feed_issues(hass)
    await poll(hass, entry)
    assert key_of(entry, uid) not in ours(demo)


# -- B. restarts -----------------------------------------------------------------------------


async def reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_misses_survive_a_reload(hass: HomeAssistant, demo: Demo, feeds: Feeds) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    feeds.sim.cancel(token, uid)
    await poll(hass, entry, 2)
    feeds.sim.control(token, {"fail_next": 1})  # the reload's own read counts nothing
    await reload(hass, entry)
    assert key_of(entry, uid) in ours(demo)
    await poll(hass, entry)
    assert key_of(entry, uid) not in ours(demo)


async def test_a_reservation_read_after_a_reload_is_not_missing(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    before = ours(demo)
    feeds.sim.control(token, {"hide": [uid], "reads": 2})
    await poll(hass, entry, 2)
    await reload(hass, entry)  # its first read lists it again
    assert ours(demo) == before
    feeds.sim.cancel(token, uid)
    await poll(hass, entry, 2)
    assert ours(demo) == before  # the count started again at the reload's read
    await poll(hass, entry)
    assert key_of(entry, uid) not in ours(demo)


# -- C. moves and renamed UIDs ------------------------------------------------------------


def code_ids(demo: Demo) -> dict[str, int]:
    return {
        key.booking_id: code.id
        for code in demo.thekeys.codes(3701)
        if (key := parse_tag(code.description)) and key.source == "ical"
    }


async def test_a_moved_reservation_moves_its_code(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    moved = (date(2026, 12, 1), date(2026, 12, 4))
    feeds.sim.move(token, uid, *moved)
    await poll(hass, entry)
    assert ours(demo)[key_of(entry, uid)] == moved


async def test_a_renamed_uid_keeps_the_same_code(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    entry, token, uid = await one_stay(hass, demo, feeds)
    before = code_ids(demo)
    feeds.sim.feeds[token].events[0].uid = "renamed-by-the-platform@airbnb.sim"
    await poll(hass, entry, 5)
    assert code_ids(demo) == before
    assert key_of(entry, uid) in before


async def test_another_guest_on_the_freed_dates_gets_a_pin_of_their_own(
    hass: HomeAssistant, demo: Demo, feeds: Feeds
) -> None:
    token = feeds.sim.add_feed("other")  # a PMS whose events carry no guest name
    first = feeds.sim.book(token, *AHEAD)
    feeds.sim.book(token, *LATER, "Ben Ode")
    entry = await set_up_ical(hass, demo, [(feeds.url(token), "other")])
    (old_pin,) = (c.code for c in demo.thekeys.codes(3701) if "28 Nov" in c.name)
    feeds.sim.cancel(token, first.uid)
    await poll(hass, entry)
    feeds.sim.book(token, *AHEAD)  # someone else books the freed nights
    await poll(hass, entry, 4)
    assert len(ours(demo)) == 2
    # The guest who cancelled still knows the old PIN: it must not open the door now.
    assert old_pin not in {c.code for c in demo.thekeys.codes(3701)}


# -- D. two feeds, one unit -----------------------------------------------------------------


async def test_two_feeds_for_one_unit(hass: HomeAssistant, demo: Demo, feeds: Feeds) -> None:
    airbnb, booking = feeds.sim.add_feed("airbnb"), feeds.sim.add_feed("booking")
    stay = feeds.sim.book(airbnb, *AHEAD)
    feeds.sim.book(airbnb, *LATER)
    other = feeds.sim.book(booking, date(2026, 12, 2), date(2026, 12, 5), "Ana Lima")
    # Each platform shows the other's stays as closed days: no code for those.
    feeds.sim.block(airbnb, other.start, other.end)
    feeds.sim.block(booking, *AHEAD)
    feeds.sim.block(booking, *LATER)
    entry = await set_up_ical(
        hass, demo, [(feeds.url(airbnb), "airbnb"), (feeds.url(booking), "booking")]
    )
    assert len(ours(demo)) == 3
    names = {c.name for c in demo.thekeys.codes(3701) if parse_tag(c.description)}
    assert "ical Ana Lima" in names
    counts = [feed["events"] for feed in source_of(entry).diagnostics()["feeds"]]
    assert counts == [{"reservation": 2, "block": 1}, {"reservation": 1, "block": 2}]

    # Booking.com fails while Airbnb's guest cancels: only Airbnb's code goes.
    feeds.sim.control(booking, {"fail_next": 10, "status": 500})
    feeds.sim.cancel(airbnb, stay.uid)
    await poll(hass, entry, FAILURES_BEFORE_PROBLEM)
    assert set(ours(demo)) == {
        key_of(entry, feeds.sim.feeds[airbnb].events[0].uid),
        key_of(entry, other.uid),
    }
    (issue,) = feed_issues(hass)  # the failing feed is named, by its unit and platform
    assert issue.translation_placeholders is not None
    assert "Harbour Cabin (Booking.com): failing" in issue.translation_placeholders["feeds"]
    assert not source_of(entry).stale


# -- E. privacy ----------------------------------------------------------------------------

#: Home Assistant's own trace (the harness's .storage dump, every bus event): what the UI
#: shows anyway; the same records the conftest's leak guard leaves out.
_TRACES = ("pytest_homeassistant_custom_component.common", "homeassistant.core")


async def test_feed_addresses_and_phone_digits_stay_private(
    hass: HomeAssistant,
    demo: Demo,
    feeds: Feeds,
    caplog: pytest.LogCaptureFixture,
    unused_tcp_port: int,
) -> None:
    entry, token, _ = await one_stay(hass, demo, feeds)
    gone = "f00dfeedc0ffee00f00dfeedc0ffee00"
    url = f"http://127.0.0.1:{unused_tcp_port}/feeds/{gone}.ics"  # nobody answers there
    subentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(
        entry,
        subentry,
        data={
            **subentry.data,
            "feeds": [*subentry.data["feeds"], {**subentry.data["feeds"][0], "feed_url": url}],
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)  # reloaded with both feeds
    for fault in ({"fail_next": 2, "status": 500}, {"fail_next": 2, "status": 0}):
        feeds.sim.control(token, fault)
        await poll(hass, entry, 2)
    feeds.sim.control(token, {"fail_next": 1})
    await poll(hass, entry, FAILURES_BEFORE_PROBLEM)
    source = source_of(entry)
    assert len(source.feeds) == 2
    # Two Airbnb feeds on one unit are told apart by their rank.
    assert any("feed Harbour Cabin (Airbnb 1) failed" in r.getMessage() for r in caplog.records)
    assert any("feed Harbour Cabin (Airbnb 2) failed" in r.getMessage() for r in caplog.records)

    texts = [
        # The integration's own diagnostics (the clock has moved past the client's token).
        json.dumps(await async_get_config_entry_diagnostics(hass, entry), default=str),
        *(str(issue.translation_placeholders) for issue in feed_issues(hass)),
        *(line for line in source.problems()),
    ]
    assert feed_issues(hass)  # the unreachable feed
    assert source.last_exception is not None
    texts.append(exception_text(source.last_exception))
    for record in caplog.records:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += exception_text(record.exc_info[1])
        if record.name not in _TRACES:
            assert PHONE not in re.findall(r"\d+", text), text
        texts.append(text)
    for text in texts:
        for secret in (token, gone, feeds.url(token), url):
            assert secret not in text
