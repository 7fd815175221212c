"""What the actions and the Guests card read of the stays: entries, code states, PINs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .api import AccessCode
from .const import DOMAIN
from .engine.bookings import BookingKey
from .engine.occupancy import UnitStay
from .sync.coordinator import SyncCoordinator

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

_RUNNING = (ConfigEntryState.LOADED, ConfigEntryState.SETUP_IN_PROGRESS)


def loaded_entries(hass: HomeAssistant) -> list[LockBridgeConfigEntry]:
    """Entries that run: loaded, or in their first sync (whose events automations answer)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state in _RUNNING and getattr(entry, "runtime_data", None) is not None
    ]


def code_state(
    stay: UnitStay, code: AccessCode | None, now: datetime, *, failed: bool = False
) -> str:
    """The stay's code: ended, failed (its change failed last sync), pending, active, scheduled."""
    if stay.end <= now:
        return "ended"
    if failed:
        return "failed"
    if code is None:
        return "pending"
    return "active" if stay.start <= now else "scheduled"


def failed_bookings(coordinator: SyncCoordinator) -> set[BookingKey]:
    """The bookings whose code change failed in the last sync."""
    data = coordinator.data
    return {outcome.action.key for outcome in data.failed} if data is not None else set()


def pin_of(coordinator: SyncCoordinator, key: BookingKey) -> str | None:
    """The booking's PIN: its code's on the keypad, else the one planned for it."""
    if (code := coordinator.code_for(key)) is not None:
        return code.pin
    if (pin := coordinator.journal.pins.get(key)) is not None:
        return pin
    data = coordinator.data
    return data.plan.pins.get(key) if data is not None else None
