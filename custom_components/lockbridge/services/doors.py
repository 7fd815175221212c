"""Actions at the door: a guest marked in by hand, a unit's housekeeping, activity read now."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util.json import JsonValueType

from ..engine.arrivals import Housekeeping
from .common import (
    ATTR_ENTRY,
    ATTR_UNIT,
    STAY_FIELDS,
    aware,
    invalid,
    stay_target,
    sync_target,
    unit_target,
)

if TYPE_CHECKING:
    # Home Assistant types its action schemas with probatio (2026.9+), which it also installs
    # as `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

ATTR_TIME = "time"
ATTR_STATE = "state"

MARK_SCHEMA = vol.Schema({**STAY_FIELDS, vol.Optional(ATTR_TIME): cv.datetime})
HOUSEKEEPING_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_UNIT): cv.entity_id,
        vol.Required(ATTR_STATE): vol.In([str(state) for state in Housekeeping]),
    }
)
READ_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_ENTRY): cv.string, vol.Optional(ATTR_UNIT): cv.entity_id}
)


async def mark_checked_in(call: ServiceCall) -> ServiceResponse:
    """The guest is in, says the host: told once, as a check-in seen at the keypad would be."""
    entry, key = stay_target(call.hass, call.data)
    moment = call.data.get(ATTR_TIME)
    try:
        arrival = await entry.runtime_data.watch.mark_checked_in(
            key, aware(moment) if moment else None
        )
    except KeyError:
        raise invalid("unknown_booking", booking=str(key)) from None
    return cast(
        "dict[str, JsonValueType]",
        {"booking_id": str(key), "time": arrival.at.isoformat(), "how": str(arrival.how)},
    )


async def set_housekeeping(call: ServiceCall) -> None:
    """Dirty, cleaning or ready, for one unit."""
    entry, unit = unit_target(call.hass, call.data[ATTR_UNIT])
    entry.runtime_data.watch.set_housekeeping(unit, Housekeeping(call.data[ATTR_STATE]))
    await entry.runtime_data.coordinator.writes.drain()  # shown when the action returns


async def read_activity(call: ServiceCall) -> None:
    """Read the lock activity now: of one unit's lock, or of every lock where it matters."""
    if ATTR_UNIT in call.data:
        entry, unit = unit_target(call.hass, call.data[ATTR_UNIT])
        locks = {unit.keypad.lock_id} if unit.keypad else set()
        await entry.runtime_data.watch.read_now(locks)
        return
    await sync_target(call.hass, call.data.get(ATTR_ENTRY)).runtime_data.watch.read_now()
