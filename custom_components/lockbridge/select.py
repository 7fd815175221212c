"""Each unit's housekeeping: dirty, cleaning, ready."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .door import HousekeepingSelect
from .entity import add_unit_entities

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LockBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One housekeeping select per managed unit."""
    await add_unit_entities(
        entry.runtime_data.coordinator,
        async_add_entities,
        lambda c, unit: [HousekeepingSelect(c, unit)],
    )
