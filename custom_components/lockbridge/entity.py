"""Base entities, device info, and lock entities that come and go with the account."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from itertools import batched
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Lock
from .const import DOMAIN
from .models import Unit
from .sources.base import SourceCoordinator
from .sync.coordinator import SyncCoordinator
from .sync.views import UnitView

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry


def account_id(entry: LockBridgeConfigEntry) -> str:
    """The account's cloud user id (the entry's unique id)."""
    return entry.unique_id or entry.entry_id


def account_device(coordinator: SyncCoordinator) -> DeviceInfo:
    """The account's device: sync status, arrivals, departures. It has no subentry.

    Named after the account's holder as The Keys gives it, never the phone number.
    """
    data = coordinator.data
    return DeviceInfo(
        identifiers={(DOMAIN, account_id(coordinator.config_entry))},
        name=data.account.title if data is not None else coordinator.config_entry.title,
        manufacturer="The Keys",
        model=coordinator.models.get("account"),
        entry_type=DeviceEntryType.SERVICE,
    )


def source_device(
    coordinator: SyncCoordinator, source: SourceCoordinator, via_device_id: str
) -> DeviceInfo:
    """A booking source's device, in its subentry: its units go through it."""
    subentry = source.subentry
    return DeviceInfo(
        identifiers={(DOMAIN, str(subentry.unique_id))},
        name=subentry.title,
        manufacturer=source.manufacturer,
        model=coordinator.models.get("booking_source"),
        entry_type=DeviceEntryType.SERVICE,
        via_device_id=via_device_id,
    )


#: What each kind of device is, from the "device" translations (no device uses them as a name).
MODEL_KEYS = ("account", "booking_source", "apartment", "room_type", "smart_lock")


#: Attribute names a calendar event's description reuses as its labels.
LABEL_KEYS = ("booking_id", "adults", "children")


async def local_texts(hass: HomeAssistant) -> tuple[dict[str, str], dict[str, str]]:
    """Device models, and labels for calendar events, in Home Assistant's language.

    Neither a device's model nor an event's text is translated by Home Assistant itself.
    """
    language = hass.config.language
    devices = await async_get_translations(hass, language, "device", {DOMAIN})
    entities = await async_get_translations(hass, language, "entity", {DOMAIN})
    attribute = f"component.{DOMAIN}.entity.sensor.current_guest.state_attributes"
    return (
        {
            key: text
            for key in MODEL_KEYS
            if (text := devices.get(f"component.{DOMAIN}.device.model_{key}.name"))
        },
        {key: text for key in LABEL_KEYS if (text := entities.get(f"{attribute}.{key}.name"))},
    )


@callback
def register_devices(hass: HomeAssistant, coordinator: SyncCoordinator) -> None:
    """The account device, then one device per source, before any entity names them.

    Since Home Assistant 2026.8 a device belongs to one subentry at most. Installs from
    before had the account device in a source's subentry too, and the registry's
    migration kept it there only: it goes back to the entry itself.
    """
    registry = dr.async_get(hass)
    entry = coordinator.config_entry
    info = account_device(coordinator)
    for identifier in info["identifiers"]:
        device = registry.async_get_device_by_identifier(identifier, entry.entry_id)
        if device is not None and device.config_subentry_id is not None:
            registry.async_update_device(device.id, new_config_subentry_id=None)
    account = registry.async_get_or_create(
        config_entry_id=entry.entry_id, config_subentry_id=None, **info
    )
    coordinator.account_device_id = account.id
    for source in coordinator.sources.values():
        device = registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            config_subentry_id=source.subentry.subentry_id,
            **source_device(coordinator, source, account.id),
        )
        source.device_id = device.id


class LockBridgeEntity(CoordinatorEntity[SyncCoordinator]):
    """An entity fed by the account's sync coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SyncCoordinator, key: str) -> None:
        super().__init__(coordinator)
        self._attr_translation_key = key
        self._written: tuple[Any, ...] | None = None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Queued: the coordinator writes its entities a batch at a time."""
        self.coordinator.queue_write(self.write_if_changed)

    async def async_will_remove_from_hass(self) -> None:
        """No queued write after removal (a calendar would set a timer for nothing)."""
        self.coordinator.unqueue_write(self.write_if_changed)
        await super().async_will_remove_from_hass()

    @callback
    def write_if_changed(self) -> None:
        """Write the state unless it is what was written last (most of a steady cycle)."""
        available = self.available
        written = (
            available,
            self.state if available else None,
            self.state_attributes if available else None,
            self.extra_state_attributes if available else None,
        )
        if written != self._written:
            self._written = written
            self.async_write_ha_state()


class AccountEntity(LockBridgeEntity):
    """An entity of the account device (arrivals, sync status)."""

    _entity_domain: ClassVar[Platform]

    def __init__(self, coordinator: SyncCoordinator, key: str) -> None:
        super().__init__(coordinator, key)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{account_id(entry)}_{key}"
        self._attr_device_info = account_device(coordinator)
        # The ids a host's dashboards and automations know, whatever the account is called.
        self.entity_id = f"{self._entity_domain}.{DOMAIN}_{key}"

    @property
    def available(self) -> bool:
        """Account entities show the last sync even when the latest failed."""
        return self.coordinator.data is not None


class SourceEntity(LockBridgeEntity):
    """An entity of a booking source's device, added with the source's subentry."""

    def __init__(self, coordinator: SyncCoordinator, source: SourceCoordinator, key: str) -> None:
        super().__init__(coordinator, key)
        self.source = source
        self._attr_unique_id = f"{source.subentry.unique_id}_{key}"
        self._attr_device_info = source_device(coordinator, source, coordinator.account_device_id)

    @property
    def available(self) -> bool:
        """What the source's own state says is known whether or not the last sync worked."""
        return True


class LockDeviceEntity(LockBridgeEntity):
    """An entity of a lock device."""

    def __init__(self, coordinator: SyncCoordinator, lock: Lock, key: str) -> None:
        super().__init__(coordinator, key)
        self.lock_id = lock.id
        self._attr_unique_id = f"{lock.id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(lock.id))},
            name=lock.name,
            manufacturer="The Keys",
            model=lock.model or coordinator.models.get("smart_lock"),
            serial_number=lock.serial,
            sw_version=lock.firmware,
            via_device_id=coordinator.account_device_id,
        )

    @property
    def current_lock(self) -> Lock | None:
        """The lock as last read, None once it left the account."""
        return self.coordinator.lock(self.lock_id)

    @property
    def available(self) -> bool:
        """Unavailable while the cloud cannot be read or the lock is gone."""
        return super().available and self.current_lock is not None


class UnitEntity(LockBridgeEntity):
    """An entity of a unit device (an apartment, a room type)."""

    def __init__(self, coordinator: SyncCoordinator, unit: Unit, key: str) -> None:
        super().__init__(coordinator, key)
        self.unit = unit
        self._attr_unique_id = f"{unit.unique_id}_{key}"
        source = coordinator.sources[unit.subentry_id]
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, unit.unique_id)},
            name=unit.name,
            manufacturer=source.manufacturer,
            model=coordinator.models.get(source.unit_model),
            via_device_id=source.device_id,
        )

    @property
    def view(self) -> UnitView:
        """The unit's stays now."""
        return self.coordinator.unit_view(self.unit)

    @property
    def available(self) -> bool:
        """Available once the source answered once; stale data is shown, and said so."""
        return self.coordinator.sources[self.unit.subentry_id].data is not None


#: Entities added per turn of the event loop at setup (an account may bring thousands).
ADD_BATCH = 32


async def add_unit_entities(
    coordinator: SyncCoordinator,
    add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[SyncCoordinator, Unit], Iterable[Entity]],
) -> None:
    """Entities for every managed unit, attached to its source's subentry."""
    for unit in coordinator.units:
        if unit.keypad is not None:
            add_entities(factory(coordinator, unit), config_subentry_id=unit.subentry_id)
            await asyncio.sleep(0)


async def add_lock_entities(
    coordinator: SyncCoordinator,
    add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[SyncCoordinator, Lock], Iterable[Entity]],
) -> None:
    """Entities for every lock of the account, now and as locks are added later."""
    locks = coordinator.data.account.locks
    known = {lock.id for lock in locks}
    for batch in batched(locks, ADD_BATCH, strict=False):
        add_entities([entity for lock in batch for entity in factory(coordinator, lock)])
        await asyncio.sleep(0)

    @callback
    def add_new() -> None:
        new = [lock for lock in coordinator.data.account.locks if lock.id not in known]
        known.update(lock.id for lock in new)
        add_entities([entity for lock in new for entity in factory(coordinator, lock)])

    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(add_new))


@callback
def remove_vanished_locks(hass: HomeAssistant, coordinator: SyncCoordinator) -> None:
    """Remove the devices of locks no longer on the account (after a good read)."""
    if not coordinator.last_update_success:
        return
    entry = coordinator.config_entry
    present = coordinator.device_identifiers()
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & present:
            registry.async_remove_device(device.id)
