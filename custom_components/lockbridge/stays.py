"""What the actions and the Guests card read of the stays: entries, code states, PINs."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .api import AccessCode
from .const import DOMAIN
from .engine.bookings import BookingKey
from .engine.occupancy import UnitStay
from .models import Unit
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


def stay_record(
    entry: LockBridgeConfigEntry, unit: Unit, stay: UnitStay, now: datetime
) -> dict[str, Any]:
    """A stay as the guest and code sensors show it: no PIN, no contact (any reader's)."""
    coordinator = entry.runtime_data.coordinator
    booking = stay.booking
    lock = coordinator.lock(unit.keypad.lock_id) if unit.keypad else None
    code = coordinator.code_for(booking.key)
    arrival = entry.runtime_data.watch.arrival(booking.key)
    failed = booking.key in coordinator.views.failed
    return {
        "booking_id": str(booking.key),
        "unit": unit.name,
        "guest": booking.guest_name,
        "language": booking.language,
        "arrival": booking.arrival.isoformat(),
        "departure": booking.departure.isoformat(),
        "check_in": stay.check_in.isoformat(),
        "check_out": stay.check_out.isoformat(),
        "start": stay.start.isoformat(),
        "end": stay.end.isoformat(),
        "lock": lock.name if lock else None,
        "code_state": code_state(stay, code, now, failed=failed),
        "code_id": str(code.id) if code else None,
        "checked_in": arrival.at.isoformat() if arrival else None,
        "checked_in_how": str(arrival.how) if arrival else None,
    }


def stays_between(
    coordinator: SyncCoordinator, units: list[Unit], first: date, last: date
) -> list[tuple[Unit, UnitStay]]:
    """The units' stays that touch these days, by start then unit."""
    found = [
        (unit, stay)
        for unit in units
        for stay in coordinator.unit_view(unit).stays
        if stay.booking.arrival <= last and stay.booking.departure >= first
    ]
    found.sort(key=lambda item: (item[1].start, item[0].name))
    return found
