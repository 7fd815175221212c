"""Setting the entry up and down against The Keys simulator."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.lockbridge.const import DOMAIN
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


async def test_refused_password_starts_reauth(hass: HomeAssistant, thekeys_url: str) -> None:
    entry = entry_for(thekeys_url, password="changed-elsewhere")
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
