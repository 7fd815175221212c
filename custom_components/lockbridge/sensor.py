"""Sensors: who is in each unit and who is next, codes, locks' batteries, the day's moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import PERCENTAGE, EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api import Lock
from .api.budget import RequestBudget
from .door import DaySensor, KeypadSeenSensor
from .engine.health import battery_percent
from .engine.occupancy import (
    Occupancy,
    UnitStay,
    arriving,
    current_stay,
    departing,
    focus_stay,
    next_stay,
    occupancy,
)
from .entity import (
    AccountEntity,
    LockDeviceEntity,
    SourceEntity,
    UnitEntity,
    add_lock_entities,
    add_unit_entities,
)
from .keypad import active_code_lines
from .models import Unit
from .sources.base import SourceCoordinator
from .sync.coordinator import SyncCoordinator
from .sync.views import UnitView

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

PARALLEL_UPDATES = 0

CODE_STATES = ["active", "scheduled", "pending", "none", "failed"]
#: The state of a guest sensor with no guest: translated ("No guest"), never "Unknown".
NO_GUEST = "none"


def guest_attributes(stay: UnitStay | None) -> dict[str, Any]:
    """What a dashboard or an automation needs about a guest's stay.

    Never the guest's phone or e-mail: any user of Home Assistant reads every state.
    """
    if stay is None:
        return {}
    booking = stay.booking
    return {
        "booking_id": str(booking.key),
        "arrival": booking.arrival.isoformat(),
        "departure": booking.departure.isoformat(),
        "check_in": stay.check_in.isoformat(),
        "check_out": stay.check_out.isoformat(),
        "adults": booking.adults,
        "children": booking.children,
        "language": booking.language,
        "channel": booking.channel,
    }


@dataclass(frozen=True, kw_only=True)
class UnitSensorDescription(SensorEntityDescription):
    """A unit sensor: its value and attributes from the unit's stays at a moment."""

    value_fn: Callable[[SyncCoordinator, UnitView, datetime], StateType | datetime]
    attributes_fn: Callable[[SyncCoordinator, UnitView, datetime], dict[str, Any]] = lambda *_: {}


def _code_state(coordinator: SyncCoordinator, stay: UnitStay | None, now: datetime) -> str:
    if stay is None:
        return "none"
    if stay.booking.key in coordinator.views.failed:
        return "failed"  # retried at the next sync; the problem sensor says why
    if coordinator.code_for(stay.booking.key) is None:
        return "pending"
    return "active" if stay.start <= now else "scheduled"


def _code_attributes(coordinator: SyncCoordinator, stay: UnitStay | None) -> dict[str, Any]:
    # No PIN: every user reads every state. PINs go to admins only (actions, Guests card).
    if stay is None:
        return {}
    code = coordinator.code_for(stay.booking.key)
    return {
        "guest": stay.booking.guest_name,
        "booking_id": str(stay.booking.key),
        "valid_from": stay.start.isoformat(),
        "valid_to": stay.end.isoformat(),
        "code_id": str(code.id) if code else None,
    }


def _next_check_out(view: UnitView, now: datetime) -> datetime | None:
    stay = focus_stay(view.stays, now)
    return stay.check_out if stay else None


def _stale(view: UnitView) -> dict[str, Any]:
    return {"stale": view.stale}


# Home Assistant refuses an entry more than 10,000 enabled entities: a unit and its lock have 9
# enabled (1,000 locks fit). The times are attributes of the guest sensors too; occupancy is
# the day sensor's older, coarser cousin; the rest are a click away (disabled by default).
UNIT_SENSORS = (
    UnitSensorDescription(
        key="current_guest",
        value_fn=lambda _, view, now: (
            stay.booking.guest_name if (stay := current_stay(view.stays, now)) else NO_GUEST
        ),
        attributes_fn=lambda _, view, now: (
            guest_attributes(current_stay(view.stays, now)) | _stale(view)
        ),
    ),
    UnitSensorDescription(
        key="next_guest",
        value_fn=lambda _, view, now: (
            stay.booking.guest_name if (stay := next_stay(view.stays, now)) else NO_GUEST
        ),
        attributes_fn=lambda _, view, now: (
            guest_attributes(next_stay(view.stays, now)) | _stale(view)
        ),
    ),
    UnitSensorDescription(
        key="next_check_in",
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda _, view, now: stay.check_in
        if (stay := next_stay(view.stays, now))
        else None,
    ),
    UnitSensorDescription(
        key="next_check_out",
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda _, view, now: _next_check_out(view, now),
    ),
    UnitSensorDescription(
        key="occupancy",
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.ENUM,
        options=[str(state) for state in Occupancy],
        value_fn=lambda _, view, now: str(occupancy(view.stays, now, now.date())),
        attributes_fn=lambda _, view, __: _stale(view),
    ),
    UnitSensorDescription(
        key="access_code",
        device_class=SensorDeviceClass.ENUM,
        options=CODE_STATES,
        value_fn=lambda c, view, now: _code_state(c, focus_stay(view.stays, now), now),
        attributes_fn=lambda c, view, now: _code_attributes(c, focus_stay(view.stays, now)),
    ),
    # The next arrival's code, while the current guest still holds the unit: the PIN a host
    # sends before check-in.
    UnitSensorDescription(
        key="upcoming_access_code",
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.ENUM,
        options=CODE_STATES,
        value_fn=lambda c, view, now: _code_state(c, next_stay(view.stays, now), now),
        attributes_fn=lambda c, view, now: (
            _code_attributes(c, next_stay(view.stays, now)) | {"upcoming": True}
        ),
    ),
)


class UnitSensor(UnitEntity, SensorEntity):
    """A sensor of a unit."""

    entity_description: UnitSensorDescription

    def __init__(
        self, coordinator: SyncCoordinator, unit: Unit, description: UnitSensorDescription
    ) -> None:
        super().__init__(coordinator, unit, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType | datetime:
        """Worked out at the moment the state is written, so time alone moves it."""
        return self.entity_description.value_fn(self.coordinator, self.view, dt_util.now())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Details of the stay the state is about."""
        return self.entity_description.attributes_fn(self.coordinator, self.view, dt_util.now())


class BatterySensor(LockDeviceEntity, SensorEntity):
    """A lock's battery, approximately."""

    _attr_device_class = SensorDeviceClass.BATTERY
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: SyncCoordinator, lock: Lock) -> None:
        super().__init__(coordinator, lock, "battery")

    @property
    def native_value(self) -> int | None:
        """Percent from the raw millivolts, clamped to 0-100."""
        return battery_percent(self.current_lock.battery_raw if self.current_lock else None)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The raw value the percentage comes from."""
        return {"raw": self.current_lock.battery_raw if self.current_lock else None}


class ActiveCodesSensor(LockDeviceEntity, SensorEntity):
    """How many codes the lock's keypads hold now, and which (never their PINs)."""

    # The count is also the lock entity's `active_codes` attribute; the list is a detail.
    _attr_entity_registry_enabled_default = False

    def __init__(self, coordinator: SyncCoordinator, lock: Lock) -> None:
        super().__init__(coordinator, lock, "active_codes")

    def _codes(self) -> list[str]:
        lock = self.current_lock
        return active_code_lines(self.coordinator, lock) if lock else []

    @property
    def available(self) -> bool:
        """Unavailable when the lock's codes could not be read: 0 would be a lie."""
        data = self.coordinator.data
        return super().available and data is not None and self.lock_id not in data.unreadable

    @property
    def native_value(self) -> int | None:
        """Codes that are active or not yet started."""
        return len(self._codes()) if self.coordinator.data else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The codes, without PINs."""
        return {"codes": self._codes()}


class MovesTodaySensor(AccountEntity, SensorEntity):
    """Today's arrivals or departures across every managed unit."""

    _entity_domain = Platform.SENSOR

    def __init__(self, coordinator: SyncCoordinator, key: str) -> None:
        super().__init__(coordinator, key)
        self._pick = arriving if key == "arrivals_today" else departing

    def _moves(self) -> list[dict[str, Any]]:
        now = dt_util.now()
        moves = []
        for unit in self.coordinator.units:
            if unit.keypad is None or self.coordinator.sources[unit.subentry_id].data is None:
                continue
            for stay in self._pick(self.coordinator.unit_view(unit).stays, now.date()):
                moves.append(
                    {
                        "unit": unit.name,
                        "guest": stay.booking.guest_name,
                        "booking_id": str(stay.booking.key),
                        "check_in": stay.check_in.isoformat(),
                        "check_out": stay.check_out.isoformat(),
                    }
                )
        key = "check_in" if self._pick is arriving else "check_out"
        return sorted(moves, key=lambda move: move[key])

    @property
    def native_value(self) -> int:
        """How many."""
        return len(self._moves())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Who, where and when (for dashboards)."""
        return {"guests": self._moves()}


class LastSyncSensor(AccountEntity, SensorEntity):
    """When the codes were last compared and fixed."""

    _entity_domain = Platform.SENSOR

    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: SyncCoordinator) -> None:
        super().__init__(coordinator, "last_sync")

    async def async_added_to_hass(self) -> None:
        """Written after every sync, a quiet one too (it tells no other entity)."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.writes.on_heartbeat(self.write_if_changed))

    @property
    def native_value(self) -> datetime | None:
        """The last successful sync."""
        return self.coordinator.data.synced if self.coordinator.data else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What it did."""
        data = self.coordinator.data
        if data is None or data.applied is None:
            return {}
        total = data.applied.summary.total
        return {
            "created": total.created,
            "updated": total.updated,
            "removed": total.deleted,
            "adopted": total.adopted,
            "failed": total.failed,
            "unchanged": len(data.plan.unchanged),
        }


class RequestsLeftSensor(SourceEntity, SensorEntity):
    """A source's requests still allowed in the rolling day (sources with a daily budget)."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_native_unit_of_measurement = "requests"

    def __init__(
        self,
        coordinator: SyncCoordinator,
        source: SourceCoordinator,
        budget: RequestBudget,
        key: str,
    ) -> None:
        super().__init__(coordinator, source, key)
        self.budget = budget
        self._attr_unique_id = f"{source.subentry.unique_id}_requests_left"  # as first released

    @property
    def native_value(self) -> int:
        """Of the daily allowance."""
        return self.budget.remaining_today

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The pace chosen to stay within it."""
        return {
            "per_day": self.budget.per_day,
            "poll_interval_minutes": round(self.source.update_interval.total_seconds() / 60, 1)
            if self.source.update_interval
            else None,
        }


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LockBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Unit, lock and account sensors."""
    coordinator = entry.runtime_data.coordinator
    await add_unit_entities(
        coordinator,
        async_add_entities,
        lambda c, unit: [
            *(UnitSensor(c, unit, description) for description in UNIT_SENSORS),
            DaySensor(c, unit),
        ],
    )
    await add_lock_entities(
        coordinator,
        async_add_entities,
        lambda c, lock: [
            BatterySensor(c, lock),
            ActiveCodesSensor(c, lock),
            KeypadSeenSensor(c, lock),
        ],
    )
    async_add_entities(
        [
            MovesTodaySensor(coordinator, "arrivals_today"),
            MovesTodaySensor(coordinator, "departures_today"),
            LastSyncSensor(coordinator),
        ]
    )
    for source in coordinator.sources.values():
        if source.budget is not None and source.budget_key is not None:
            async_add_entities(
                [RequestsLeftSensor(coordinator, source, source.budget, source.budget_key)],
                config_subentry_id=source.subentry.subentry_id,
            )
