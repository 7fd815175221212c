"""Actions on codes: one made by hand, one removed, a stay's PIN regenerated."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
import re
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from ..api import AccessCode, ApiError, CodeFields, Lock
from ..const import CONF_PIN_LENGTH, EVENT_CODE_CREATED, EVENT_CODE_REMOVED, EVENT_CODE_UPDATED
from ..engine.bookings import BookingKey, clean_name
from ..engine.ownership import MANUAL, legacy_booking, owned_key, tag, truncate
from ..engine.pins import MAX_LENGTH, MIN_LENGTH, PinSpaceExhaustedError, is_weak, random_pin
from ..engine.window import validity
from ..events import code_payload
from ..models import option
from ..runtime import LockBridgeConfigEntry
from .common import (
    ATTR_CODE_ID,
    ATTR_END,
    ATTR_FORCE,
    ATTR_KEYPAD,
    ATTR_LOCK,
    ATTR_NAME,
    ATTR_PIN,
    ATTR_START,
    STAY_FIELDS,
    aware,
    check_window,
    cloud_error,
    invalid,
    list_codes,
    lock_target,
    stay_target,
)

if TYPE_CHECKING:
    # Home Assistant types its action schemas with probatio (2026.9+), which it also installs
    # as `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

#: ASCII digits only: str.isdigit and \d also take "٤٨٢٦", full-width digits and a final
#: newline, none of which a keypad can type.
_PIN_FORMAT = re.compile(rf"[0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}")
#: A code id typed or pasted as text ("684008"); a number from a script is taken too.
_CODE_ID = vol.All(cv.string, vol.Match(r"^\s*[0-9]{1,10}\s*$"), vol.Coerce(int))

CREATE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_LOCK): cv.entity_id,
        # Control and direction characters out (newlines, NUL, bidi overrides), as in the
        # guests' names; what is left must still be a name.
        vol.Required(ATTR_NAME): vol.All(cv.string, clean_name, vol.Length(min=1)),
        vol.Optional(ATTR_PIN): cv.string,  # checked in the action, with a clear message
        vol.Required(ATTR_START): cv.datetime,
        vol.Required(ATTR_END): cv.datetime,
        vol.Optional(ATTR_KEYPAD): cv.string,
    }
)
REMOVE_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_LOCK): cv.entity_id,
            vol.Optional(ATTR_CODE_ID): _CODE_ID,
            vol.Optional(ATTR_NAME): cv.string,
            vol.Optional(ATTR_FORCE, default=False): cv.boolean,
        }
    ),
    cv.has_at_least_one_key(ATTR_CODE_ID, ATTR_NAME),
)
REGENERATE_SCHEMA = vol.Schema(STAY_FIELDS)


def _check_pin(pin: str, taken: set[str]) -> None:
    """A PIN given by hand: digits a keypad can type, not guessable, free on the keypad."""
    if not _PIN_FORMAT.fullmatch(pin):
        raise invalid("pin_format", min=str(MIN_LENGTH), max=str(MAX_LENGTH))
    if is_weak(pin):
        raise invalid("pin_weak")
    if pin in taken:
        raise invalid("pin_taken")


async def create_code(call: ServiceCall) -> ServiceResponse:
    """A code made by hand on a lock's keypad (tagged ours, outside any stay)."""
    entry, lock = lock_target(call.hass, call.data[ATTR_LOCK])
    if not lock.keypads:
        raise invalid("no_keypad", lock=lock.name)
    keypad_id = _keypad_of(lock, call.data.get(ATTR_KEYPAD))
    start, end = aware(call.data[ATTR_START]), aware(call.data[ATTR_END])
    check_window(start, end)
    if end <= dt_util.utcnow():
        raise invalid("window_over")
    async with entry.runtime_data.coordinator.mutating:
        code = await _make_code(entry, lock, keypad_id, call.data, start, end)
    payload = code_payload(
        entry.entry_id, code, lock, lock_id=lock.id, keypad_id=keypad_id, start=start, end=end
    )
    call.hass.bus.async_fire(EVENT_CODE_CREATED, payload | {"booking_id": None})
    await entry.runtime_data.coordinator.sync_locks({lock.id})
    return payload | {"pin": code.pin}  # to the administrator who asked, not to the bus


def _keypad_of(lock: Lock, wanted: str | None) -> str:
    """The keypad meant by its name (as the lock's page shows it) or id; the only one if none."""
    if not wanted:
        if len(lock.keypads) > 1:
            raise invalid(
                "keypad_required", lock=lock.name, keypads=", ".join(k.name for k in lock.keypads)
            )
        return lock.keypads[0].id
    folded = wanted.strip().casefold()
    for keypad in lock.keypads:
        if folded in (keypad.id.casefold(), keypad.name.strip().casefold()):
            return keypad.id
    raise invalid(
        "unknown_keypad",
        lock=lock.name,
        keypad=wanted,
        keypads=", ".join(keypad.name for keypad in lock.keypads),
    )


async def _make_code(
    entry: LockBridgeConfigEntry,
    lock: Lock,
    keypad_id: str,
    data: dict[str, Any],
    start: datetime,
    end: datetime,
) -> AccessCode:
    """Check the PIN against a fresh listing and create the code (under the sync lock)."""
    taken = {code.pin for code in await list_codes(entry, lock, keypad_id)}
    pin = data.get(ATTR_PIN)
    if pin is not None:
        _check_pin(pin, taken)
    else:
        pin = new_pin(entry, taken)
    zone = entry.runtime_data.coordinator.zone_of(lock)
    window = validity(start, end, zone)
    fields = CodeFields(
        name=truncate(data[ATTR_NAME]),  # cleaned by the schema
        pin=pin,
        start_date=window.start_date,
        start_time=window.start_time,
        end_date=window.end_date,
        end_time=window.end_time,
        description=tag(
            BookingKey(MANUAL, uuid.uuid4().hex[:12]), entry.runtime_data.coordinator.owner
        ),
    )
    try:
        return await entry.runtime_data.client.create_code(lock.id, keypad_id, fields)
    except ApiError as err:
        raise cloud_error(err) from err


def new_pin(entry: LockBridgeConfigEntry, taken: set[str]) -> str:
    """A random PIN of the configured length, free on the keypad."""
    length = int(option(entry.options, CONF_PIN_LENGTH))
    try:
        return random_pin(length, taken)
    except PinSpaceExhaustedError as err:
        raise invalid("no_free_pin") from err


async def remove_code(call: ServiceCall) -> ServiceResponse:
    """Remove a code of ours (or another, forced)."""
    entry, lock = lock_target(call.hass, call.data[ATTR_LOCK])
    async with entry.runtime_data.coordinator.mutating:
        code, managed = await _delete_code(entry, lock, call.data)
    payload = code_payload(entry.entry_id, code, lock, lock_id=lock.id, keypad_id=code.keypad_id)
    call.hass.bus.async_fire(
        EVENT_CODE_REMOVED, payload | {"booking_id": str(managed) if managed else None}
    )
    await entry.runtime_data.coordinator.sync_locks({lock.id})
    return {"code_id": str(code.id), "name": code.name}


async def _delete_code(
    entry: LockBridgeConfigEntry, lock: Lock, data: dict[str, Any]
) -> tuple[AccessCode, BookingKey | None]:
    """Find the one code meant and delete it, if it is ours or forced (under the sync lock)."""
    codes = []
    for keypad in lock.keypads:
        codes += await list_codes(entry, lock, keypad.id)
    if ATTR_CODE_ID in data:
        matches = [code for code in codes if code.id == data[ATTR_CODE_ID]]
    else:
        matches = [code for code in codes if code.name == data[ATTR_NAME]]
    if len(matches) != 1:
        raise invalid("code_not_found" if not matches else "code_ambiguous", lock=lock.name)
    code = matches[0]
    owner = entry.runtime_data.coordinator.owner
    # Ours: our tag (or a first-style one), or the old script's. Another installation's
    # code is as foreign as the cleaner's.
    legacy = legacy_booking(code.description)
    legacy_kinds = {
        source.kind
        for source in entry.runtime_data.coordinator.sources.values()
        if source.legacy_script
    }
    managed = owned_key(code.description, owner) or (
        legacy if legacy is not None and legacy.source in legacy_kinds else None
    )
    if managed is None and not data[ATTR_FORCE]:
        raise invalid("code_not_managed", name=code.name)
    try:
        await entry.runtime_data.client.delete_code(code.id)
    except ApiError as err:
        raise cloud_error(err) from err
    return code, managed


async def regenerate_code(call: ServiceCall) -> ServiceResponse:
    """A new PIN for a stay's code, on its keypad at once."""
    entry, key = stay_target(call.hass, call.data)
    coordinator = entry.runtime_data.coordinator
    async with coordinator.mutating:
        code = coordinator.code_for(key)
        lock = coordinator.lock(code.lock_id) if code else None
        if code is None or lock is None:
            raise invalid("no_code_for_booking", booking=str(key))
        codes = await list_codes(entry, lock, code.keypad_id)
        new = replace(code, pin=new_pin(entry, {item.pin for item in codes}))
        try:
            await entry.runtime_data.client.update_code(new)
        except ApiError as err:
            raise cloud_error(err) from err
        await coordinator.journal.remember(key, new.pin)
        coordinator.code_changed(key, new)
    payload = code_payload(entry.entry_id, new, lock, lock_id=lock.id, keypad_id=new.keypad_id)
    call.hass.bus.async_fire(
        EVENT_CODE_UPDATED, payload | {"booking_id": str(key), "reason": "regenerated"}
    )
    await coordinator.sync_locks({lock.id})
    return {"booking_id": str(key), "code_id": str(new.id), "pin": new.pin}
