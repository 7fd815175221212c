"""Polling: incremental reads between full ones, and one sync per change, at once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
import pytest

from custom_components.lockbridge.const import CONF_LOCKS_INTERVAL
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up, the_state
from tests.test_sources import PROBLEM, tick

RESERVATIONS = "/api/reservations"
ACCOUNT_READ = "/utilisateur/get/"
LISTING = "/partage/all/serrure/"
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


@pytest.mark.parametrize("sync_minutes", [5, 60], ids=["in-phase", "hourly-sync"])
async def test_a_change_reaches_the_keypad_within_one_poll_and_fifteen_seconds(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory, sync_minutes: int
) -> None:
    """The worst case: the change lands just after a poll. Then one sync, no second.

    In phase, the periodic sync that runs with the poll takes the change; with an hourly
    sync, the sync the poll starts does.
    """
    options = {CONF_LOCKS_INTERVAL: sync_minutes}
    await set_up(hass, demo.entry(hotelrunner=False, options=options))
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


async def test_changes_between_full_reads_make_remove_and_keep_codes(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    await tick(hass, freezer, 5.1)  # from now on, polls ask for changes only
    today = date.fromisoformat("2026-11-23")
    carlos = booking_of(demo, "Carlos García")
    kept = code_dates(demo, carlos)
    new = demo.smoobu.add_booking(
        101, today + timedelta(days=40), today + timedelta(days=43), "Ines Neu"
    )
    far = demo.smoobu.add_booking(
        101, today + timedelta(days=200), today + timedelta(days=203), "Far Away"
    )
    demo.smoobu.cancel_booking(booking_of(demo, "Amélie Laurent"))
    amelie = booking_of(demo, "Amélie Laurent")
    demo.smoobu.bookings[carlos]["departure"] = "9999-12-31"  # one bad record
    demo.smoobu.move_booking(carlos)

    await tick(hass, freezer, 5.1)

    assert "modifiedFrom" in smoobu_reads(demo)[-1]
    assert code_dates(demo, new) == (today + timedelta(days=40), today + timedelta(days=43))
    assert not [c for c in demo.thekeys.codes() if str(amelie) in c.description]
    assert code_dates(demo, carlos) == kept  # left as it is, and said so
    problems = the_state(hass, PROBLEM).attributes["problems"]
    assert any(f"smoobu:{carlos} (date_out_of_range)" in text for text in problems)
    # A new booking beyond the horizon is not taken in until a full read finds it in range.
    assert not [c for c in demo.thekeys.codes() if str(far) in c.description]
    calendar = hass.states.async_all("calendar")
    assert not any("Far Away" in str(state.attributes) for state in calendar)


async def test_hotelrunner_polls_ask_for_updates_between_daily_full_reads(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(smoobu=False))
    demo.hotelrunner.clear_log()
    for _ in range(6):
        await tick(hass, freezer, 10.1)

    reads = [r.query for r in demo.hotelrunner.requests if r.path.endswith("/reservations")]
    assert reads
    assert all(query.get("from_last_update_date") == "2026-11-22" for query in reads)

    freezer.move_to("2026-11-24T07:00:00+01:00")
    await tick(hass, freezer, 10.1)
    latest = [r.query for r in demo.hotelrunner.requests if r.path.endswith("/reservations")]
    assert "from_last_update_date" not in latest[-1]
    assert latest[-1]["from_date"] == "2026-10-25"


async def test_a_steady_sync_writes_no_state_that_did_not_change(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """Thousands of unchanged writes would hold the event loop for nothing."""
    entry = await set_up(hass, demo.entry())
    await entry.runtime_data.coordinator.async_refresh()  # each entity's first own write
    await hass.async_block_till_done()
    written: list[str] = []

    @callback
    def every(data: Any) -> bool:
        return True

    @callback
    def note(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, note, event_filter=every)
    hass.bus.async_listen(EVENT_STATE_REPORTED, note, event_filter=every)

    freezer.tick(timedelta(seconds=30))
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert written == ["sensor.lockbridge_last_sync"]

    demo.thekeys.faults.fail_next = 1  # a failed sync: the entities that depend on it say so
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert len(written) > 10
    assert the_state(hass, "lock.garden_studio_garden_door").state == "unavailable"


async def test_a_steady_sync_lists_the_locks_while_it_reads_the_account(
    hass: HomeAssistant, demo: Demo
) -> None:
    """One round trip: the listings do not wait for the account."""
    entry = await set_up(hass, demo.entry())
    demo.thekeys.clear_log()
    demo.thekeys.faults.gate_path = ACCOUNT_READ
    demo.thekeys.faults.gate = held = asyncio.Event()

    syncing = hass.async_create_task(entry.runtime_data.coordinator.async_refresh())
    try:
        for _ in range(10_000):  # the demo's clock is frozen: turns of the loop, not time
            if demo.thekeys.count(LISTING) == 5:
                break
            await asyncio.sleep(0)
        seen = [r.path for r in demo.thekeys.requests]
    finally:
        held.set()
        await syncing
    assert ACCOUNT_READ in seen[0]
    assert (demo.thekeys.count(ACCOUNT_READ), demo.thekeys.count(LISTING)) == (1, 5), seen

    assert entry.runtime_data.coordinator.last_update_success
    assert demo.thekeys.count(LISTING) == 5  # no lock listed twice
