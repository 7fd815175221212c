"""Actions on stays: early check-in or late check-out, and the stays read by scripts."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from ..const import CONF_HORIZON
from ..engine.window import EARLIEST, LATEST, Override, in_range
from ..models import option
from ..stays import stay_record, stays_between
from ..sync.coordinator import SyncCoordinator
from .common import (
    ATTR_BOOKING,
    ATTR_CHECK_IN,
    ATTR_CHECK_OUT,
    ATTR_CLEAR,
    ATTR_END,
    ATTR_ENTRY,
    ATTR_START,
    ATTR_UNIT,
    BOOKING,
    STAY_FIELDS,
    aware,
    booking_target,
    check_window,
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

OVERRIDE_SCHEMA = vol.Schema(
    {
        **STAY_FIELDS,
        vol.Optional(ATTR_CHECK_IN): cv.datetime,
        vol.Optional(ATTR_CHECK_OUT): cv.datetime,
        vol.Optional(ATTR_CLEAR, default=False): cv.boolean,
    }
)
GET_STAYS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_ENTRY): cv.string,
        vol.Optional(ATTR_BOOKING): BOOKING,
        vol.Optional(ATTR_UNIT): cv.entity_id,
        vol.Optional(ATTR_START): cv.date,
        vol.Optional(ATTR_END): cv.date,
    }
)


async def set_stay_override(call: ServiceCall) -> None:
    """Move a stay's check-in or check-out (its code follows), or clear the change."""
    entry, key = stay_target(call.hass, call.data)
    check_in = call.data.get(ATTR_CHECK_IN)
    check_out = call.data.get(ATTR_CHECK_OUT)
    if call.data[ATTR_CLEAR]:
        override = None
    elif check_in is None and check_out is None:
        raise invalid("override_empty")
    else:
        override = Override(
            check_in=aware(check_in) if check_in else None,
            check_out=aware(check_out) if check_out else None,
        )
        if override.check_in and override.check_out:
            check_window(override.check_in, override.check_out)
    entry.runtime_data.state.set_override(key, override)
    coordinator = entry.runtime_data.coordinator
    await coordinator.sync_locks(coordinator.locks_of(key))


async def get_stays(call: ServiceCall) -> ServiceResponse:
    """Stays with their guest, window, code state and PIN: for scripts and automations.

    The one way an automation reads a guest's PIN: events and recorded states carry none.
    """
    wanted = call.data.get(ATTR_BOOKING)
    unit = None
    if ATTR_UNIT in call.data:
        entry, unit = unit_target(call.hass, call.data[ATTR_UNIT])
    elif wanted and ATTR_ENTRY not in call.data:
        entry, _ = booking_target(call.hass, wanted)  # the account whose sources know it
    else:
        entry = sync_target(call.hass, call.data.get(ATTR_ENTRY))
    coordinator: SyncCoordinator = entry.runtime_data.coordinator
    today = dt_util.now().date()
    first = call.data.get(ATTR_START) or today
    last = call.data.get(ATTR_END) or today + timedelta(
        days=int(option(entry.options, CONF_HORIZON))
    )
    if not in_range(first, last):
        raise invalid("date_out_of_range", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())
    if last < first:
        raise invalid("end_not_after_start")
    units = [unit] if unit else [unit for unit in coordinator.units if unit.keypad is not None]
    now = dt_util.now()
    found: list[dict[str, Any]] = []
    for unit, stay in stays_between(coordinator, units, first, last):
        booking = stay.booking
        if wanted and str(booking.key) != wanted:
            continue
        code = coordinator.code_for(booking.key)
        found.append(
            stay_record(entry, unit, stay, now)
            # For the administrator's script only: the PIN, and the contacts for a message
            # sent through any notify action (sources without one).
            | {
                "pin": code.pin if code else None,
                "email": booking.email,
                "phone": booking.phone,
            }
        )
    return {"stays": cast("list[JsonValueType]", found)}
