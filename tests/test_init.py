"""Setting the entry up and down against The Keys simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import date
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.lockbridge.const import DOMAIN, EVENT_CODE_CREATED
from tests.demo_stack import Demo, set_up
from tests.test_config_flow import entry_for


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def test_setup_and_unload(hass: HomeAssistant, thekeys_url: str) -> None:
    entry = entry_for(thekeys_url)
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert {lock.id for lock in entry.runtime_data.coordinator.data.account.locks} == {3001, 3002}
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_cloud_down_retries_later(hass: HomeAssistant, thekeys_url: str, thekeys_sim) -> None:
    thekeys_sim.faults.fail_next = 1
    entry = entry_for(thekeys_url)
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_refused_password_retries_the_setup_before_any_reauth(
    hass: HomeAssistant, thekeys_url: str
) -> None:
    """One refusal is not the end (reauth after an hour of them: test_login_retry.py)."""
    entry = entry_for(thekeys_url, password="changed-elsewhere")
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []  # no reauth


async def test_removing_the_entry_during_a_sync_stops_it_and_leaves_no_journal(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    for day in range(20):  # twenty one-night stays on one lock (two changes at a time there)
        demo.smoobu.add_booking(103, date(2026, 12, 10 + day), date(2026, 12, 11 + day), f"G{day}")
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    for code in demo.thekeys.codes(3703):
        demo.thekeys.remove_code(code.id)  # wiped in the app: the next sync makes them again
    gate = demo.thekeys.faults.gate = asyncio.Event()
    demo.thekeys.faults.gate_path = "/partage/create/"
    demo.thekeys.clear_log()
    events = async_capture_events(hass, EVENT_CODE_CREATED)
    # A sync asked for by an action: Home Assistant cancels an entry's own tasks when it
    # unloads it, not the action's.
    sync = hass.async_create_task(
        hass.services.async_call(DOMAIN, "sync", {}, blocking=True, return_response=True)
    )
    await until(lambda: demo.thekeys.count("/partage/create/") > 0)

    removal = hass.async_create_task(hass.config_entries.async_remove(entry.entry_id))
    await until(lambda: entry.state is not ConfigEntryState.LOADED)
    in_flight = demo.thekeys.count("/partage/create/")
    gate.set()
    await removal
    with contextlib.suppress(HomeAssistantError):  # the action may say the sync failed
        await sync
    await hass.async_block_till_done()

    print(
        "DBG",
        in_flight,
        demo.thekeys.count("/partage/create/"),
        len(events),
        [k for k in hass_storage if "journal" in k],
    )
    assert 0 < in_flight <= 2
    assert demo.thekeys.count("/partage/create/") == in_flight  # none started after
    assert events == []
    assert not any(key.endswith(".journal") for key in hass_storage)


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run (without the frozen clock) until `condition` holds."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def test_the_account_is_named_after_its_holder_and_listed_once(
    hass: HomeAssistant, demo: Demo
) -> None:
    """An entry from before (titled with the phone number) takes the holder's name."""
    entry = await set_up(hass, demo.entry())
    assert entry.title == "Jean Dupont"
    devices = dr.async_get(hass)
    account = devices.async_get_device_by_identifier((DOMAIN, "42"), entry.entry_id)
    assert account is not None
    assert account.name == "Jean Dupont"
    # On the entry itself, in no source's subentry: the integration page shows it once.
    assert (account.config_entry_id, account.config_subentry_id) == (entry.entry_id, None)
    assert [
        d.id
        for d in dr.async_entries_for_config_entry(devices, entry.entry_id)
        if d.name == "Jean Dupont"
    ] == [account.id]
    # The ids dashboards and automations know stay, and nothing bears the phone number.
    assert hass.states.get("button.lockbridge_sync_now") is not None
    assert hass.states.get("sensor.lockbridge_arrivals_today") is not None
    phone = demo.thekeys.username.lstrip("+")
    assert not [e for e in hass.states.async_entity_ids() if phone in e]
    assert not [
        d.name
        for d in dr.async_entries_for_config_entry(devices, entry.entry_id)
        if d.name and phone in d.name
    ]


async def test_a_title_the_host_chose_is_kept(hass: HomeAssistant, demo: Demo) -> None:
    made = demo.entry(smoobu=False, hotelrunner=False)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=made.unique_id, title="Holiday flats", data=made.data
    )
    await set_up(hass, entry)
    assert entry.title == "Holiday flats"
