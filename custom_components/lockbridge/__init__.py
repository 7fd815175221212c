"""LockBridge: door codes on The Keys keypads, kept in line with the booking sources' stays."""

from __future__ import annotations

import asyncio
from functools import partial

from homeassistant.const import CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.instance_id import async_get as async_get_instance_id
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .activity.store import ActivityStore
from .activity.watch import DoorWatch
from .assistant.api import async_register as async_register_llm_api
from .card import async_register_card
from .clients import login_digest, thekeys_client
from .const import DOMAIN
from .engine.apply import Journal
from .engine.ownership import short_id
from .entity import account_id, local_texts, register_devices, remove_vanished_locks
from .login_guard import LOGIN_GUARDS
from .outage import watch_outages
from .repairs import Issues
from .runtime import LockBridgeConfigEntry, LockBridgeData
from .services import async_setup_services
from .sources.push import CONF_WEBHOOK_ID, delete_cloudhook, new_webhook_id, register_webhook
from .sources.registry import is_source, source_coordinator
from .storage import StateStore, journal_store
from .sync.coordinator import SyncCoordinator
from .websocket import async_setup_websocket

__all__ = ["LockBridgeConfigEntry", "LockBridgeData"]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.LOCK,
    Platform.SELECT,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (they find their entry from their target) and the Guests card."""
    async_setup_services(hass)
    await async_register_llm_api(hass)
    async_setup_websocket(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> bool:
    """Read the sources, then the account, sync, and add the entities."""
    issues = Issues(hass, entry.entry_id)
    state = StateStore(hass, entry.entry_id)
    await state.load()
    journal = Journal(journal_store(hass, entry.entry_id))
    await journal.load()
    client = thekeys_client(hass, entry.data)
    if (kept := state.token(login_digest(entry.data))) is not None:
        client.use_token(kept[0], (kept[1] - dt_util.utcnow()).total_seconds())
    # Codes name the installation and account that made them: another Home Assistant on the
    # same account, or another account, keeps its own.
    owner = short_id(await async_get_instance_id(hass), account_id(entry))
    _give_sources_a_webhook(hass, entry)
    coordinator = SyncCoordinator(hass, entry, client, journal, state, issues, owner)
    for subentry in entry.subentries.values():
        if is_source(subentry):
            coordinator.sources[subentry.subentry_id] = source_coordinator(
                hass, entry, subentry, issues, state
            )
    state.forget(set(coordinator.sources))
    entry.async_on_unload(state.flush)
    doors = ActivityStore(hass, entry.entry_id)
    await doors.load()
    doors.forget_units({unit.unique_id for unit in coordinator.units})
    entry.async_on_unload(doors.flush)
    watch = DoorWatch(hass, entry, client, coordinator, doors, issues)
    # Before the first sync: automations that answer its events call the actions, which
    # find the account here.
    entry.runtime_data = LockBridgeData(client, coordinator, state, issues, watch)

    # A source that fails here keeps nothing from being set up: it is retried on its
    # schedule, and the sync deletes nothing of its codes meanwhile.
    await asyncio.gather(*(source.async_refresh() for source in coordinator.sources.values()))
    await coordinator.async_config_entry_first_refresh()
    # Entries made before the account's name was read were titled with the phone number.
    title = coordinator.data.account.title
    if entry.title == entry.data[CONF_USERNAME] != title:
        hass.config_entries.async_update_entry(entry, title=title)
    for source in coordinator.sources.values():
        entry.async_on_unload(
            source.async_add_listener(partial(coordinator.source_updated, source))
        )
        if (handler := source.push_handler(hass, entry)) is not None:
            entry.async_on_unload(
                register_webhook(
                    hass, source.subentry.title, source.webhook_id, source.pushes, handler
                )
            )
    entry.async_on_unload(watch_outages(hass, coordinator))
    for stop in watch.start():
        entry.async_on_unload(stop)

    entry.async_on_unload(
        coordinator.async_add_listener(lambda: remove_vanished_locks(hass, coordinator))
    )
    for source in coordinator.sources.values():
        for stop in source.start(coordinator):
            entry.async_on_unload(stop)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    coordinator.models, coordinator.labels = await local_texts(hass)
    register_devices(hass, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _give_sources_a_webhook(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> None:
    """Sources added before push existed get their webhook id (before any listener)."""
    for subentry in list(entry.subentries.values()):
        if is_source(subentry) and not subentry.data.get(CONF_WEBHOOK_ID):
            hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_WEBHOOK_ID: new_webhook_id()}
            )


async def _async_reload(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> None:
    """Options or sources changed: start again with them."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> bool:
    """Remove the entities; coordinators and stores close through async_on_unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> None:
    """Forget the journal, overrides and caches; the codes on the keypads stay."""
    for subentry in entry.subentries.values():
        await delete_cloudhook(hass, subentry.data)
    await journal_store(hass, entry.entry_id).async_remove()
    await StateStore(hass, entry.entry_id).remove()
    await ActivityStore(hass, entry.entry_id).remove()
    Issues(hass, entry.entry_id).clear_everything()
    hass.data.get(LOGIN_GUARDS, {}).pop(entry.entry_id, None)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: LockBridgeConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only once its lock or unit is gone."""
    return not device.identifiers & entry.runtime_data.coordinator.device_identifiers()
