"""What the actions share: their fields, their targets (lock, unit, stay, account), errors."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util

from ..api import AccessCode, ApiError, Lock
from ..const import DOMAIN
from ..engine.bookings import BookingKey
from ..engine.occupancy import current_stay, next_stay
from ..engine.window import EARLIEST, LATEST, MAX_STAY, in_range
from ..models import Unit
from ..runtime import LockBridgeConfigEntry
from ..stays import loaded_entries

if TYPE_CHECKING:
    # Home Assistant types its action schemas with probatio (2026.9+), which it also installs
    # as `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

ATTR_LOCK = "lock"
ATTR_KEYPAD = "keypad"
ATTR_NAME = "name"
ATTR_PIN = "pin"
ATTR_START = "start"
ATTR_END = "end"
ATTR_CODE_ID = "code_id"
ATTR_FORCE = "force"
ATTR_BOOKING = "booking"
ATTR_CHECK_IN = "check_in"
ATTR_CHECK_OUT = "check_out"
ATTR_CLEAR = "clear"
ATTR_ENTRY = "config_entry_id"
ATTR_DRY_RUN = "dry_run"
ATTR_UNIT = "unit"
ATTR_STAY = "stay"
STAY_CURRENT = "current"
STAY_NEXT = "next"


BOOKING = vol.All(cv.string, vol.Match(r"^[a-z]+:\S+$"))
#: A stay: by its booking id (scripts), or as a unit's current or next guest (the UI).
STAY_FIELDS = {
    vol.Optional(ATTR_BOOKING): BOOKING,
    vol.Optional(ATTR_UNIT): cv.entity_id,
    vol.Optional(ATTR_STAY, default=STAY_CURRENT): vol.In([STAY_CURRENT, STAY_NEXT]),
}


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """A refusal of the call, translated."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def cloud_error(err: ApiError) -> HomeAssistantError:
    """A cloud's failure, translated (its message scrubbed of credentials)."""
    # The clients' messages are scrubbed of credentials; PINs are never in them.
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="cloud_error",
        translation_placeholders={"error": str(err)},
    )


def aware(moment: datetime) -> datetime:
    """A datetime from the UI is wall time in Home Assistant's zone, within our dates."""
    if not in_range(moment.date()):
        raise invalid("date_out_of_range", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt_util.get_default_time_zone())
    return moment


def check_window(start: datetime, end: datetime) -> None:
    """A window typed by hand: in order and of a plausible length."""
    if end <= start:
        raise invalid("end_not_after_start")
    if end - start > MAX_STAY:
        raise invalid("window_too_long", days=str(MAX_STAY.days))


def lock_target(hass: HomeAssistant, entity_id: str) -> tuple[LockBridgeConfigEntry, Lock]:
    """The entry and lock behind one of our lock entities."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is None or entity.platform != DOMAIN or entity.domain != "lock":
        raise invalid("not_a_lockbridge_lock", entity_id=entity_id)
    for entry in loaded_entries(hass):
        if entry.entry_id == entity.config_entry_id and entry.runtime_data.coordinator.data:
            lock_id = entity.unique_id.partition("_")[0]
            for lock in entry.runtime_data.coordinator.data.account.locks:
                if str(lock.id) == lock_id:
                    return entry, lock
    raise invalid("lock_not_loaded", entity_id=entity_id)


def unit_target(hass: HomeAssistant, entity_id: str) -> tuple[LockBridgeConfigEntry, Unit]:
    """The entry and unit behind one of our unit calendars."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is not None and entity.platform == DOMAIN and entity.domain == "calendar":
        for entry in loaded_entries(hass):
            if entry.entry_id != entity.config_entry_id:
                continue
            for unit in entry.runtime_data.coordinator.units:
                if entity.unique_id == f"{unit.unique_id}_stays":
                    return entry, unit
    raise invalid("not_a_lockbridge_unit", entity_id=entity_id)


def stay_target(
    hass: HomeAssistant, data: dict[str, Any]
) -> tuple[LockBridgeConfigEntry, BookingKey]:
    """The booking meant: given by id, or a unit's current or next guest."""
    if ATTR_BOOKING in data:
        if ATTR_UNIT in data:
            raise invalid("booking_or_unit")
        return booking_target(hass, data[ATTR_BOOKING])
    if ATTR_UNIT not in data:
        raise invalid("booking_or_unit")
    entry, unit = unit_target(hass, data[ATTR_UNIT])
    stays, now = entry.runtime_data.coordinator.unit_view(unit).stays, dt_util.now()
    if data[ATTR_STAY] == STAY_CURRENT:
        if (stay := current_stay(stays, now)) is None:
            raise invalid("no_current_stay", unit=unit.name)
    elif (stay := next_stay(stays, now)) is None:
        raise invalid("no_next_stay", unit=unit.name)
    return entry, stay.booking.key


def booking_target(hass: HomeAssistant, text: str) -> tuple[LockBridgeConfigEntry, BookingKey]:
    """The entry whose sources know this booking."""
    source, _, booking_id = text.partition(":")
    key = BookingKey(source, booking_id)
    for entry in loaded_entries(hass):
        for coordinator in entry.runtime_data.coordinator.sources.values():
            if coordinator.data and any(b.key == key for b in coordinator.data.bookings):
                return entry, key
    raise invalid("unknown_booking", booking=text)


async def list_codes(entry: LockBridgeConfigEntry, lock: Lock, keypad_id: str) -> list[AccessCode]:
    """The codes on a keypad, read now."""
    try:
        return list(await entry.runtime_data.client.list_codes(lock.id, keypad_id))
    except ApiError as err:
        raise cloud_error(err) from err


def sync_target(hass: HomeAssistant, entry_id: str | None) -> LockBridgeConfigEntry:
    """The account to sync; it may be left out when there is only one (dashboard buttons)."""
    loaded = loaded_entries(hass)
    if entry_id is None:
        if not loaded:
            raise invalid("entry_not_loaded")
        if len(loaded) > 1:
            raise invalid("entry_required")
        return loaded[0]
    entry = next((entry for entry in loaded if entry.entry_id == entry_id), None)
    if entry is None:
        raise invalid("entry_not_loaded")
    return entry
