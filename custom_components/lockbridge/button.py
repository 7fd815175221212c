"""The "sync now" button of the account, and each unit's "guest is in"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .door import CheckedInButton
from .entity import AccountEntity, add_unit_entities
from .sync.coordinator import SyncCoordinator

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

PARALLEL_UPDATES = 1


class SyncNowButton(AccountEntity, ButtonEntity):
    """Read the sources and the keypads now, and fix what differs."""

    _entity_domain = Platform.BUTTON

    def __init__(self, coordinator: SyncCoordinator) -> None:
        super().__init__(coordinator, "sync_now")

    @property
    def available(self) -> bool:
        """Pressable even when the last sync failed (that is when it is wanted)."""
        return True

    async def async_press(self) -> None:
        """Refresh every source, then sync."""
        await self.coordinator.sync_now()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LockBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The account's button, and the units'."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([SyncNowButton(coordinator)])
    await add_unit_entities(
        coordinator, async_add_entities, lambda c, unit: [CheckedInButton(c, unit)]
    )
