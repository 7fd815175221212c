"""The Keys locks: state from the cloud; open and close where a gateway allows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.lock import LockEntity as HALockEntity
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ApiError, Lock, LockState
from .const import DOMAIN
from .entity import LockDeviceEntity, add_lock_entities
from .keypad import active_code_count, in_sync
from .sync.coordinator import SyncCoordinator

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

PARALLEL_UPDATES = 1


class TheKeysLock(LockDeviceEntity, HALockEntity):
    """A smart lock; the cloud reports its last known state."""

    _attr_name = None

    def __init__(self, coordinator: SyncCoordinator, lock: Lock) -> None:
        super().__init__(coordinator, lock, "lock")

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What the lock's disabled-by-default sensors say, for a dashboard of every lock."""
        lock = self.current_lock
        return {
            "active_codes": active_code_count(self.coordinator, lock) if lock else None,
            "in_sync": in_sync(self.coordinator, self.lock_id),
        }

    @property
    def is_locked(self) -> bool | None:
        """Locked, unlocked or unknown as the cloud last said."""
        if self.current_lock is None or self.current_lock.state is LockState.UNKNOWN:
            return None
        return self.current_lock.state is LockState.LOCKED

    async def async_lock(self, **kwargs: Any) -> None:
        """Close through the cloud."""
        await self._command(close=True)

    async def async_unlock(self, **kwargs: Any) -> None:
        """Open through the cloud."""
        await self._command(close=False)

    async def _command(self, *, close: bool) -> None:
        lock = self.current_lock
        if lock is None or not lock.has_gateway:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="no_gateway",
                translation_placeholders={"lock": lock.name if lock else str(self.lock_id)},
            )
        client = self.coordinator.client
        try:
            await (client.close_lock if close else client.open_lock)(lock.id)
        except ApiError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cloud_error",
                translation_placeholders={"error": str(err)},
            ) from err
        await self.coordinator.async_request_refresh()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LockBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One lock entity per lock of the account."""
    await add_lock_entities(
        entry.runtime_data.coordinator, async_add_entities, lambda c, lock: [TheKeysLock(c, lock)]
    )
