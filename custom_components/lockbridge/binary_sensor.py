"""Binary sensors: is each lock's keypad in line with the bookings, is anything wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Lock
from .entity import AccountEntity, LockDeviceEntity, add_lock_entities
from .keypad import in_sync
from .sync.coordinator import SyncCoordinator

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

PARALLEL_UPDATES = 0


class InSyncSensor(LockDeviceEntity, BinarySensorEntity):
    """On when the lock was read and every change it needed went through."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # The lock entity's `in_sync` attribute says the same: this one is for a history graph.
    _attr_entity_registry_enabled_default = False

    def __init__(self, coordinator: SyncCoordinator, lock: Lock) -> None:
        super().__init__(coordinator, lock, "in_sync")

    @property
    def is_on(self) -> bool:
        """Off while a change failed or the codes could not be listed."""
        return in_sync(self.coordinator, self.lock_id)


class SyncProblemSensor(AccountEntity, BinarySensorEntity):
    """On after repeated source or cloud failures, or failed code changes."""

    _entity_domain = Platform.BINARY_SENSOR

    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, coordinator: SyncCoordinator) -> None:
        super().__init__(coordinator, "sync_problem")

    @property
    def available(self) -> bool:
        """Always: a problem must show even when nothing could be read."""
        return True

    @property
    def is_on(self) -> bool:
        """Any problem."""
        return bool(self.coordinator.problems())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What the problems are, and which sources show stale bookings."""
        return {
            "problems": self.coordinator.problems(),
            "stale_sources": [
                source.subentry.title
                for source in self.coordinator.sources.values()
                if source.stale
            ],
        }


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LockBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Lock and account binary sensors."""
    coordinator = entry.runtime_data.coordinator
    await add_lock_entities(
        coordinator, async_add_entities, lambda c, lock: [InSyncSensor(c, lock)]
    )
    async_add_entities([SyncProblemSensor(coordinator)])
