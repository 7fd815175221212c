"""Polling: incremental reads between full ones, and one sync per change, at once."""

from __future__ import annotations

from datetime import date, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up
from tests.test_sources import tick

RESERVATIONS = "/api/reservations"
ACCOUNT_READ = "/utilisateur/get/"
POLL = 5 * 60  # seconds: the default Smoobu and sync intervals


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def smoobu_reads(demo: Demo) -> list[dict[str, str]]:
    return [r.query for r in demo.smoobu.requests if r.path.endswith(RESERVATIONS)]


def booking_of(demo: Demo, guest: str) -> int:
    return next(i for i, raw in demo.smoobu.bookings.items() if raw["guest-name"] == guest)


def code_dates(demo: Demo, booking_id: int) -> tuple[date, date]:
    [code] = [
        c
        for c in demo.thekeys.codes()
        if (key := parse_tag(c.description)) and key.booking_id == str(booking_id)
    ]
    return code.start, code.end


async def test_polls_between_full_reads_ask_smoobu_for_changes_only(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    [first] = smoobu_reads(demo)
    assert "departureFrom" in first
    assert "modifiedFrom" not in first
    demo.smoobu.clear_log()

    for _ in range(36):  # just over three hours of 5-minute polls, the demo's day
        await tick(hass, freezer, 5.1)

    reads = smoobu_reads(demo)
    full = [query for query in reads if "departureFrom" in query]
    changes = [query for query in reads if "modifiedFrom" in query]
    assert (len(reads), len(full), len(changes)) == (36, 1, 35)
    # Changes are asked for wherever the stay moved to: no date range.
    assert not any("arrivalTo" in query or "departureFrom" in query for query in changes)


async def test_a_new_day_reads_smoobu_whole(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    demo.smoobu.clear_log()
    await tick(hass, freezer, 5.1)
    assert "modifiedFrom" in smoobu_reads(demo)[-1]

    freezer.move_to("2026-11-24T23:58:00+01:00")
    await tick(hass, freezer, 0)
    await tick(hass, freezer, 5.1)  # past midnight: stays entering the horizon

    assert "departureFrom" in smoobu_reads(demo)[-1]


async def test_a_change_reaches_the_keypad_within_one_poll_and_fifteen_seconds(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """The worst case: the change lands just after a poll. Then one sync, no second."""
    await set_up(hass, demo.entry(hotelrunner=False))
    carlos = booking_of(demo, "Carlos García")
    start, end = code_dates(demo, carlos)
    polls = len(smoobu_reads(demo))
    while len(smoobu_reads(demo)) == polls:  # wait for a poll
        await tick(hass, freezer, 1 / 60)

    await tick(hass, freezer, 1 / 60)
    demo.smoobu.move_booking(
        carlos, arrival=start + timedelta(days=1), departure=end + timedelta(days=1)
    )
    waited = 1
    while code_dates(demo, carlos) == (start, end):
        await tick(hass, freezer, 5 / 60)
        waited += 5
        assert waited <= POLL + 15, "the change did not reach the keypad in time"
    assert code_dates(demo, carlos) == (start + timedelta(days=1), end + timedelta(days=1))
    assert waited > POLL - 30  # it was seen by the next poll, not by chance earlier

    # The sync that moved it restarted the periodic timer: no second sync right after it.
    syncs = demo.thekeys.count(ACCOUNT_READ)
    for _ in range(int((POLL - 30) / 5)):
        await tick(hass, freezer, 5 / 60)
    assert demo.thekeys.count(ACCOUNT_READ) == syncs


async def test_sync_now_reads_every_source_and_syncs_once(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry())
    demo.smoobu.move_booking(booking_of(demo, "Carlos García"), check_in="17:00")
    demo.thekeys.clear_log()
    demo.smoobu.clear_log()

    await hass.services.async_call(
        "button", "press", {"entity_id": "button.lockbridge_sync_now"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(smoobu_reads(demo)) == 1
    assert demo.thekeys.count(ACCOUNT_READ) == 1
    assert entry.runtime_data.coordinator.last_update_success
