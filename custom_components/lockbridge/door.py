"""Entities of the door: the unit's day, its housekeeping, "guest is in", keypads last seen.

They are unit (or lock) entities of the sync, and hear the door watch too: a check-in seen or
a housekeeping change shows at once, not at the next sync.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.button import ButtonEntity
from homeassistant.components.select import SelectEntity
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import EntityCategory
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .activity.watch import DoorWatch
from .api import Lock
from .const import DOMAIN
from .engine.arrivals import DayState, Housekeeping
from .engine.occupancy import UnitStay, next_stay
from .entity import LockDeviceEntity, UnitEntity
from .models import Unit
from .sync.coordinator import SyncCoordinator


def door_watch(coordinator: SyncCoordinator) -> DoorWatch:
    """The entry's door watch."""
    watch: DoorWatch = coordinator.config_entry.runtime_data.watch
    return watch


def stay_at_door(watch: DoorWatch, stay: UnitStay | None, now: datetime) -> dict[str, Any]:
    """A stay as the door sees it: who, when, and whether they are in (never a contact)."""
    if stay is None:
        return {}
    arrival = watch.arrival(stay.booking.key)
    return {
        "booking_id": str(stay.booking.key),
        "guest": stay.booking.guest_name,
        "check_in": stay.check_in.isoformat(),
        "check_out": stay.check_out.isoformat(),
        "checked_in": arrival.at.isoformat() if arrival else None,
        "checked_in_how": str(arrival.how) if arrival else None,
        "early": arrival.early if arrival else None,
        "late": watch.late(stay, now),
    }


def cleaning(coordinator: SyncCoordinator, unit: Unit, now: datetime) -> dict[str, Any]:
    """The unit's next cleaning window, who has it and their code's state (never the PIN)."""
    data = coordinator.data
    grants = data.turnovers.get(unit.key, ()) if data else ()
    if not grants or (grant := grants[0]).start is None or grant.end is None:
        return {"cleaning_start": None, "cleaning_end": None, "cleaner": None, "cleaner_code": None}
    if grant.key in coordinator.views.failed:
        state = "failed"
    elif coordinator.code_for(grant.key) is None:
        state = "pending"
    else:
        state = "active" if grant.start <= now < grant.end else "scheduled"
    return {
        "cleaning_start": grant.start.isoformat(),
        "cleaning_end": grant.end.isoformat(),
        "cleaner": grant.person,
        "cleaner_code": state,
    }


class DoorUnitEntity(UnitEntity):
    """A unit entity that also hears the door watch."""

    def __init__(self, coordinator: SyncCoordinator, unit: Unit, key: str) -> None:
        super().__init__(coordinator, unit, key)
        self.watch = door_watch(coordinator)

    async def async_added_to_hass(self) -> None:
        """Hear the watch as well as the sync."""
        await super().async_added_to_hass()
        self.async_on_remove(self.watch.async_add_listener(self._handle_coordinator_update))


class DaySensor(DoorUnitEntity, SensorEntity):
    """The unit's day: vacant, reserved, arriving, in house, departed."""

    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, coordinator: SyncCoordinator, unit: Unit) -> None:
        super().__init__(coordinator, unit, "day")
        self._attr_options = [str(state) for state in DayState]

    @property
    def native_value(self) -> str:
        """Worked out when written: the time alone moves it."""
        return str(self.watch.day(self.unit, dt_util.now())[0])

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The stay it is about, and the next guest (for the cleaner)."""
        now = dt_util.now()
        stay = self.watch.day(self.unit, now)[1]
        coming = next_stay(self.view.stays, now)
        return (
            stay_at_door(self.watch, stay, now)
            | {
                "next_guest": coming.booking.guest_name if coming else None,
                "next_check_in": coming.check_in.isoformat() if coming else None,
                "stale": self.view.stale,
            }
            | cleaning(self.coordinator, self.unit, now)
        )


class HousekeepingSelect(DoorUnitEntity, SelectEntity):
    """Dirty, cleaning or ready: dirty by itself once a guest left; the host sets the rest."""

    def __init__(self, coordinator: SyncCoordinator, unit: Unit) -> None:
        super().__init__(coordinator, unit, "housekeeping")
        self._attr_options = [str(state) for state in Housekeeping]

    @property
    def current_option(self) -> str:
        """As last set, unless a guest left since."""
        return str(self.watch.housekeeping(self.unit, dt_util.now()))

    async def async_select_option(self, option: str) -> None:
        """Set by the host or the cleaner."""
        self.watch.set_housekeeping(self.unit, Housekeeping(option))
        self.write_if_changed()  # at once: the others hear it with the next batch


class CheckedInButton(DoorUnitEntity, ButtonEntity):
    """The host says the guest is in: for doors whose activity the cloud does not give."""

    def __init__(self, coordinator: SyncCoordinator, unit: Unit) -> None:
        super().__init__(coordinator, unit, "mark_checked_in")

    async def async_press(self) -> None:
        """The guest arriving today, or in the unit now, is marked in."""
        now = dt_util.now()
        state, stay = self.watch.day(self.unit, now)
        if stay is None or state not in (DayState.ARRIVING, DayState.IN_HOUSE):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="no_guest_to_mark",
                translation_placeholders={"unit": self.unit.name},
            )
        await self.watch.mark_checked_in(stay.booking.key)


class KeypadSeenSensor(LockDeviceEntity, SensorEntity):
    """When the cloud last saw the lock's keypads (the latest of them), where it says."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False

    def __init__(self, coordinator: SyncCoordinator, lock: Lock) -> None:
        super().__init__(coordinator, lock, "keypad_seen")
        self.watch = door_watch(coordinator)

    async def async_added_to_hass(self) -> None:
        """Hear the watch: it reads the activity, keypads' health included."""
        await super().async_added_to_hass()
        self.async_on_remove(self.watch.async_add_listener(self._handle_coordinator_update))

    def _seen(self) -> dict[str, datetime]:
        lock = self.current_lock
        keypads = lock.keypads if lock else ()
        return {
            keypad.name: moment
            for keypad in keypads
            if (moment := self.watch.keypad_seen(self.lock_id, keypad.id)) is not None
        }

    @property
    def native_value(self) -> datetime | None:
        """The latest a keypad of the lock was seen."""
        return max(self._seen().values(), default=None)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Each keypad's, and when the lock's activity was last read."""
        health = self.watch.health(self.lock_id)
        return {
            "keypads": {name: moment.isoformat() for name, moment in self._seen().items()},
            "read_at": health.read_at.isoformat() if health else None,
        }
