"""Actions: codes by hand, a new PIN, early check-in, late check-out, sync, guest message."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
import re
from typing import TYPE_CHECKING, Any, cast
import uuid

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from .api import (
    AccessCode,
    ApiError,
    AuthenticationError,
    CodeFields,
    Lock,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
)
from .const import (
    CONF_HORIZON,
    CONF_PIN_LENGTH,
    DOMAIN,
    EVENT_CODE_CREATED,
    EVENT_CODE_REMOVED,
    EVENT_CODE_UPDATED,
    SERVICE_CREATE_CODE,
    SERVICE_GET_STAYS,
    SERVICE_REGENERATE_CODE,
    SERVICE_REMOVE_CODE,
    SERVICE_SEND_GUEST_MESSAGE,
    SERVICE_SET_STAY_OVERRIDE,
    SERVICE_SYNC,
)
from .coordinator import SmoobuCoordinator, SyncCoordinator
from .engine.bookings import SMOOBU, BookingKey, clean_name
from .engine.dates import moment_text, span_text
from .engine.messages import (
    MAX_TEMPLATE,
    TEMPLATE_FIELDS,
    TemplateError,
    choose_text,
    fingerprint,
    render,
)
from .engine.occupancy import current_stay, next_stay
from .engine.ownership import MANUAL, legacy_booking, owned_key, tag, truncate
from .engine.pins import MAX_LENGTH, MIN_LENGTH, PinSpaceExhaustedError, is_weak, random_pin
from .engine.plan import Plan
from .engine.window import EARLIEST, LATEST, MAX_STAY, Override, in_range, validity
from .events import code_payload
from .models import Unit, option
from .stays import code_state as _stay_state, loaded_entries as _loaded_entries

if TYPE_CHECKING:
    # Home Assistant types its action schemas with probatio (2026.9+), which it also installs
    # as `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol

    from . import LockBridgeConfigEntry
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

#: ASCII digits only: str.isdigit and \d also take "٤٨٢٦", full-width digits and a final
#: newline, none of which a keypad can type.
_PIN_FORMAT = re.compile(rf"[0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}")
_BOOKING = vol.All(cv.string, vol.Match(r"^[a-z]+:\S+$"))
#: A code id typed or pasted as text ("684008"); a number from a script is taken too.
_CODE_ID = vol.All(cv.string, vol.Match(r"^\s*[0-9]{1,10}\s*$"), vol.Coerce(int))
#: A stay: by its booking id (scripts), or as a unit's current or next guest (the UI).
_STAY_FIELDS = {
    vol.Optional(ATTR_BOOKING): _BOOKING,
    vol.Optional(ATTR_UNIT): cv.entity_id,
    vol.Optional(ATTR_STAY, default=STAY_CURRENT): vol.In([STAY_CURRENT, STAY_NEXT]),
}

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
REGENERATE_SCHEMA = vol.Schema(_STAY_FIELDS)
OVERRIDE_SCHEMA = vol.Schema(
    {
        **_STAY_FIELDS,
        vol.Optional(ATTR_CHECK_IN): cv.datetime,
        vol.Optional(ATTR_CHECK_OUT): cv.datetime,
        vol.Optional(ATTR_CLEAR, default=False): cv.boolean,
    }
)
GET_STAYS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_ENTRY): cv.string,
        vol.Optional(ATTR_BOOKING): _BOOKING,
        vol.Optional(ATTR_UNIT): cv.entity_id,
        vol.Optional(ATTR_START): cv.date,
        vol.Optional(ATTR_END): cv.date,
    }
)
SYNC_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_ENTRY): cv.string,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)


ATTR_MESSAGE = "message"
ATTR_SUBJECT = "subject"
ATTR_TRANSLATIONS = "translations"
_TEMPLATE = vol.All(cv.string, vol.Length(min=1, max=MAX_TEMPLATE))
_SUBJECT = vol.All(cv.string, vol.Length(max=200))
#: A translation: the message alone (as first released), or its subject and message.
_TRANSLATION = vol.Any(
    _TEMPLATE,
    vol.All(
        {vol.Optional(ATTR_SUBJECT): _SUBJECT, vol.Optional(ATTR_MESSAGE): _TEMPLATE},
        cv.has_at_least_one_key(ATTR_SUBJECT, ATTR_MESSAGE),
    ),
)
SEND_MESSAGE_SCHEMA = vol.Schema(
    {
        **_STAY_FIELDS,
        vol.Required(ATTR_MESSAGE): _TEMPLATE,
        vol.Optional(ATTR_SUBJECT, default=""): _SUBJECT,
        # Language ("fr", "de-ch") -> the message in it; at most a few dozen.
        vol.Optional(ATTR_TRANSLATIONS, default=dict): vol.All(
            {vol.All(cv.string, vol.Length(min=2, max=10), vol.Lower): _TRANSLATION},
            vol.Length(max=40),
        ),
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _cloud_error(err: ApiError) -> HomeAssistantError:
    # The clients' messages are scrubbed of credentials; PINs are never in them.
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="cloud_error",
        translation_placeholders={"error": str(err)},
    )


def _aware(moment: datetime) -> datetime:
    """A datetime from the UI is wall time in Home Assistant's zone, within our dates."""
    if not in_range(moment.date()):
        raise _invalid(
            "date_out_of_range", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat()
        )
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt_util.get_default_time_zone())
    return moment


def _window(start: datetime, end: datetime) -> None:
    """A window typed by hand: in order and of a plausible length."""
    if end <= start:
        raise _invalid("end_not_after_start")
    if end - start > MAX_STAY:
        raise _invalid("window_too_long", days=str(MAX_STAY.days))


def _check_pin(pin: str, taken: set[str]) -> None:
    """A PIN given by hand: digits a keypad can type, not guessable, free on the keypad."""
    if not _PIN_FORMAT.fullmatch(pin):
        raise _invalid("pin_format", min=str(MIN_LENGTH), max=str(MAX_LENGTH))
    if is_weak(pin):
        raise _invalid("pin_weak")
    if pin in taken:
        raise _invalid("pin_taken")


def _lock_target(hass: HomeAssistant, entity_id: str) -> tuple[LockBridgeConfigEntry, Lock]:
    """The entry and lock behind one of our lock entities."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is None or entity.platform != DOMAIN or entity.domain != "lock":
        raise _invalid("not_a_lockbridge_lock", entity_id=entity_id)
    for entry in _loaded_entries(hass):
        if entry.entry_id == entity.config_entry_id and entry.runtime_data.coordinator.data:
            lock_id = entity.unique_id.partition("_")[0]
            for lock in entry.runtime_data.coordinator.data.account.locks:
                if str(lock.id) == lock_id:
                    return entry, lock
    raise _invalid("lock_not_loaded", entity_id=entity_id)


def _unit_target(hass: HomeAssistant, entity_id: str) -> tuple[LockBridgeConfigEntry, Unit]:
    """The entry and unit behind one of our unit calendars."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is not None and entity.platform == DOMAIN and entity.domain == "calendar":
        for entry in _loaded_entries(hass):
            if entry.entry_id != entity.config_entry_id:
                continue
            for unit in entry.runtime_data.coordinator.units:
                if entity.unique_id == f"{unit.unique_id}_stays":
                    return entry, unit
    raise _invalid("not_a_lockbridge_unit", entity_id=entity_id)


def _stay_target(
    hass: HomeAssistant, data: dict[str, Any]
) -> tuple[LockBridgeConfigEntry, BookingKey]:
    """The booking meant: given by id, or a unit's current or next guest."""
    if ATTR_BOOKING in data:
        if ATTR_UNIT in data:
            raise _invalid("booking_or_unit")
        return _booking(hass, data[ATTR_BOOKING])
    if ATTR_UNIT not in data:
        raise _invalid("booking_or_unit")
    entry, unit = _unit_target(hass, data[ATTR_UNIT])
    stays, now = entry.runtime_data.coordinator.unit_view(unit).stays, dt_util.now()
    if data[ATTR_STAY] == STAY_CURRENT:
        if (stay := current_stay(stays, now)) is None:
            raise _invalid("no_current_stay", unit=unit.name)
    elif (stay := next_stay(stays, now)) is None:
        raise _invalid("no_next_stay", unit=unit.name)
    return entry, stay.booking.key


def _booking(hass: HomeAssistant, text: str) -> tuple[LockBridgeConfigEntry, BookingKey]:
    """The entry whose sources know this booking."""
    source, _, booking_id = text.partition(":")
    key = BookingKey(source, booking_id)
    for entry in _loaded_entries(hass):
        for coordinator in entry.runtime_data.coordinator.sources.values():
            if coordinator.data and any(b.key == key for b in coordinator.data.bookings):
                return entry, key
    raise _invalid("unknown_booking", booking=text)


async def _codes(entry: LockBridgeConfigEntry, lock: Lock, keypad_id: str) -> list[AccessCode]:
    try:
        return list(await entry.runtime_data.client.list_codes(lock.id, keypad_id))
    except ApiError as err:
        raise _cloud_error(err) from err


async def _create_code(call: ServiceCall) -> ServiceResponse:
    entry, lock = _lock_target(call.hass, call.data[ATTR_LOCK])
    if not lock.keypads:
        raise _invalid("no_keypad", lock=lock.name)
    keypad_id = _keypad_of(lock, call.data.get(ATTR_KEYPAD))
    start, end = _aware(call.data[ATTR_START]), _aware(call.data[ATTR_END])
    _window(start, end)
    if end <= dt_util.utcnow():
        raise _invalid("window_over")
    async with entry.runtime_data.coordinator.mutating:
        code = await _make_code(entry, lock, keypad_id, call.data, start, end)
    payload = code_payload(
        entry.entry_id, code, lock, lock_id=lock.id, keypad_id=keypad_id, start=start, end=end
    )
    call.hass.bus.async_fire(EVENT_CODE_CREATED, payload | {"booking_id": None})
    await entry.runtime_data.coordinator.async_request_refresh()
    return payload | {"pin": code.pin}  # to the administrator who asked, not to the bus


def _keypad_of(lock: Lock, wanted: str | None) -> str:
    """The keypad meant by its name (as the lock's page shows it) or id; the only one if none."""
    if not wanted:
        if len(lock.keypads) > 1:
            raise _invalid(
                "keypad_required", lock=lock.name, keypads=", ".join(k.name for k in lock.keypads)
            )
        return lock.keypads[0].id
    folded = wanted.strip().casefold()
    for keypad in lock.keypads:
        if folded in (keypad.id.casefold(), keypad.name.strip().casefold()):
            return keypad.id
    raise _invalid(
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
    taken = {code.pin for code in await _codes(entry, lock, keypad_id)}
    pin = data.get(ATTR_PIN)
    if pin is not None:
        _check_pin(pin, taken)
    else:
        pin = _new_pin(entry, taken)
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
        raise _cloud_error(err) from err


def _new_pin(entry: LockBridgeConfigEntry, taken: set[str]) -> str:
    length = int(option(entry.options, CONF_PIN_LENGTH))
    try:
        return random_pin(length, taken)
    except PinSpaceExhaustedError as err:
        raise _invalid("no_free_pin") from err


async def _remove_code(call: ServiceCall) -> ServiceResponse:
    entry, lock = _lock_target(call.hass, call.data[ATTR_LOCK])
    async with entry.runtime_data.coordinator.mutating:
        code, managed = await _delete_code(entry, lock, call.data)
    payload = code_payload(entry.entry_id, code, lock, lock_id=lock.id, keypad_id=code.keypad_id)
    call.hass.bus.async_fire(
        EVENT_CODE_REMOVED, payload | {"booking_id": str(managed) if managed else None}
    )
    await entry.runtime_data.coordinator.async_request_refresh()
    return {"code_id": str(code.id), "name": code.name}


async def _delete_code(
    entry: LockBridgeConfigEntry, lock: Lock, data: dict[str, Any]
) -> tuple[AccessCode, BookingKey | None]:
    """Find the one code meant and delete it, if it is ours or forced (under the sync lock)."""
    codes = []
    for keypad in lock.keypads:
        codes += await _codes(entry, lock, keypad.id)
    if ATTR_CODE_ID in data:
        matches = [code for code in codes if code.id == data[ATTR_CODE_ID]]
    else:
        matches = [code for code in codes if code.name == data[ATTR_NAME]]
    if len(matches) != 1:
        raise _invalid("code_not_found" if not matches else "code_ambiguous", lock=lock.name)
    code = matches[0]
    owner = entry.runtime_data.coordinator.owner
    # Ours: our tag (or a first-style one), or the old script's. Another installation's
    # code is as foreign as the cleaner's.
    managed = owned_key(code.description, owner) or legacy_booking(code.description)
    if managed is None and not data[ATTR_FORCE]:
        raise _invalid("code_not_managed", name=code.name)
    try:
        await entry.runtime_data.client.delete_code(code.id)
    except ApiError as err:
        raise _cloud_error(err) from err
    return code, managed


async def _regenerate_code(call: ServiceCall) -> ServiceResponse:
    entry, key = _stay_target(call.hass, call.data)
    coordinator = entry.runtime_data.coordinator
    async with coordinator.mutating:
        code = coordinator.code_for(key)
        lock = coordinator.lock(code.lock_id) if code else None
        if code is None or lock is None:
            raise _invalid("no_code_for_booking", booking=str(key))
        codes = await _codes(entry, lock, code.keypad_id)
        new = replace(code, pin=_new_pin(entry, {item.pin for item in codes}))
        try:
            await entry.runtime_data.client.update_code(new)
        except ApiError as err:
            raise _cloud_error(err) from err
        await coordinator.journal.remember(key, new.pin)
        coordinator.code_changed(key, new)
    payload = code_payload(entry.entry_id, new, lock, lock_id=lock.id, keypad_id=new.keypad_id)
    call.hass.bus.async_fire(
        EVENT_CODE_UPDATED, payload | {"booking_id": str(key), "reason": "regenerated"}
    )
    await coordinator.async_request_refresh()
    return {"booking_id": str(key), "code_id": str(new.id), "pin": new.pin}


async def _set_stay_override(call: ServiceCall) -> None:
    entry, key = _stay_target(call.hass, call.data)
    check_in = call.data.get(ATTR_CHECK_IN)
    check_out = call.data.get(ATTR_CHECK_OUT)
    if call.data[ATTR_CLEAR]:
        override = None
    elif check_in is None and check_out is None:
        raise _invalid("override_empty")
    else:
        override = Override(
            check_in=_aware(check_in) if check_in else None,
            check_out=_aware(check_out) if check_out else None,
        )
        if override.check_in and override.check_out:
            _window(override.check_in, override.check_out)
    entry.runtime_data.state.set_override(key, override)
    await entry.runtime_data.coordinator.async_request_refresh()


def plan_response(planned: Plan, *, dry_run: bool, failed: int) -> dict[str, Any]:
    """The plan as an action response (no PIN in it)."""
    return {
        "dry_run": dry_run,
        "actions": [
            {
                "kind": str(action.kind),
                "reason": str(action.reason),
                "booking_id": str(action.key),
                "lock_id": action.keypad.lock_id,
                "keypad_id": action.keypad.keypad_id,
                "code_id": str(action.code.id) if action.code else None,
                "name": (action.fields or action.code).name  # type: ignore[union-attr]
                if (action.fields or action.code)
                else None,
                "start": action.stay.start.isoformat() if action.stay else None,
                "end": action.stay.end.isoformat() if action.stay else None,
            }
            for action in planned.actions
        ],
        "unchanged": len(planned.unchanged),
        "guarded": {source: str(guard) for source, guard in planned.guarded.items()},
        "unreadable_locks": sorted(planned.unreadable_locks),
        "failed": failed,
    }


def _sync_target(hass: HomeAssistant, entry_id: str | None) -> LockBridgeConfigEntry:
    """The account to sync; it may be left out when there is only one (dashboard buttons)."""
    loaded = _loaded_entries(hass)
    if entry_id is None:
        if not loaded:
            raise _invalid("entry_not_loaded")
        if len(loaded) > 1:
            raise _invalid("entry_required")
        return loaded[0]
    entry = next((entry for entry in loaded if entry.entry_id == entry_id), None)
    if entry is None:
        raise _invalid("entry_not_loaded")
    return entry


async def _sync(call: ServiceCall) -> ServiceResponse:
    entry = _sync_target(call.hass, call.data.get(ATTR_ENTRY))
    coordinator: SyncCoordinator = entry.runtime_data.coordinator
    if call.data[ATTR_DRY_RUN]:
        try:
            data = await coordinator.run(dry_run=True)
        except ApiError as err:
            raise _cloud_error(err) from err
        return plan_response(data.plan, dry_run=True, failed=0)
    await coordinator.sync_now()
    if not coordinator.last_update_success:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="sync_failed")
    applied = coordinator.data.applied
    return plan_response(
        coordinator.data.plan, dry_run=False, failed=len(applied.failed) if applied else 0
    )


async def _get_stays(call: ServiceCall) -> ServiceResponse:
    """Stays with their guest, window, code state and PIN: for scripts and automations.

    The one way an automation reads a guest's PIN: events and recorded states carry none.
    """
    wanted = call.data.get(ATTR_BOOKING)
    unit = None
    if ATTR_UNIT in call.data:
        entry, unit = _unit_target(call.hass, call.data[ATTR_UNIT])
    elif wanted and ATTR_ENTRY not in call.data:
        entry, _ = _booking(call.hass, wanted)  # the account whose sources know it
    else:
        entry = _sync_target(call.hass, call.data.get(ATTR_ENTRY))
    coordinator: SyncCoordinator = entry.runtime_data.coordinator
    today = dt_util.now().date()
    first = call.data.get(ATTR_START) or today
    last = call.data.get(ATTR_END) or today + timedelta(
        days=int(option(entry.options, CONF_HORIZON))
    )
    if not in_range(first, last):
        raise _invalid(
            "date_out_of_range", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat()
        )
    if last < first:
        raise _invalid("end_not_after_start")
    units = [unit] if unit else [unit for unit in coordinator.units if unit.keypad is not None]
    now = dt_util.now()
    found: list[dict[str, Any]] = []
    for unit in units:
        lock = coordinator.lock(unit.keypad.lock_id) if unit.keypad else None
        for stay in coordinator.unit_view(unit).stays:
            booking = stay.booking
            if (wanted and str(booking.key) != wanted) or not (
                booking.arrival <= last and booking.departure >= first
            ):
                continue
            code = coordinator.code_for(booking.key)
            found.append(
                {
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
                    "code_state": _stay_state(stay, code, now),
                    "code_id": str(code.id) if code else None,
                    "pin": code.pin if code else None,
                }
            )
    found.sort(key=lambda item: (item["start"], item["unit"]))
    return {"stays": cast("list[JsonValueType]", found)}


def _smoobu_source(entry: LockBridgeConfigEntry, key: BookingKey) -> SmoobuCoordinator:
    """The Smoobu source that knows this booking (messages go through Smoobu only)."""
    if key.source == SMOOBU:
        for source in entry.runtime_data.coordinator.sources.values():
            if (
                isinstance(source, SmoobuCoordinator)
                and source.data is not None
                and any(booking.key == key for booking in source.data.bookings)
            ):
                return source
    raise _invalid("messages_need_smoobu", booking=str(key))


async def _send_guest_message(call: ServiceCall) -> ServiceResponse:
    """The guest's PIN and window in a message, through Smoobu, once per code version.

    Remembered before it is sent: a message whose answer is lost (it may have gone out)
    is not sent again; one Smoobu refused can be sent again.
    """
    entry, key = _stay_target(call.hass, call.data)
    source = _smoobu_source(entry, key)
    coordinator = entry.runtime_data.coordinator
    found = next(
        (
            (unit, stay)
            for unit in source.units
            if unit.keypad is not None
            for stay in coordinator.unit_view(unit).stays
            if stay.booking.key == key
        ),
        None,
    )
    code = coordinator.code_for(key)
    if found is None or code is None:
        raise _invalid("no_code_for_booking", booking=str(key))
    unit, stay = found
    language, subject_template, template = choose_text(
        stay.booking.language,
        call.data[ATTR_MESSAGE],
        call.data[ATTR_SUBJECT] or "{unit}",
        call.data[ATTR_TRANSLATIONS],
    )
    # Dates in the text's language: the translation's, else the home's (the host's own).
    dates = language or call.hass.config.language
    values = {
        "guest": stay.booking.guest_name,
        "unit": unit.name,
        "pin": code.pin,
        "window": span_text(stay.start, stay.end, dates),
        "check_in": moment_text(stay.check_in, dates),
        "check_out": moment_text(stay.check_out, dates),
    }
    try:
        text = render(template, values)
        subject = render(subject_template, values)
    except TemplateError as err:
        raise _invalid("bad_template", field=str(err)) from err
    version = fingerprint(str(key), code.pin, stay.start.isoformat(), stay.end.isoformat())
    state = entry.runtime_data.state
    async with coordinator.mutating:  # two calls at once: one message
        if state.message_sent(key, version):
            raise _invalid("message_already_sent", booking=str(key))
        state.note_message(key, version)
        # On disk before Smoobu hears of it: after a crash mid-send the message counts as
        # sent (as a lost answer does), never as one to send again.
        await state.flush()
        try:
            await source.client.send_message_to_guest(int(key.booking_id), subject, text)
        except (AuthenticationError, NotFoundError, RateLimitedError, RequestRejectedError) as err:
            state.forget_message(key, version)  # refused: surely not sent
            raise _cloud_error(err) from err
        except ApiError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="message_maybe_sent",
                translation_placeholders={"booking": str(key), "error": str(err)},
            ) from err
    return {"booking_id": str(key), "language": language, "sent": True}


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions, for administrators only.

    Each one reads or changes who can open a door (a PIN comes back in the response), so a
    user without admin rights gets `Unauthorized`, as with Home Assistant's own settings.
    """
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_CREATE_CODE,
        _create_code,
        CREATE_SCHEMA,
        SupportsResponse.OPTIONAL,
        # The form's text says the PIN policy's own bounds, in every language.
        description_placeholders={"min_length": str(MIN_LENGTH), "max_length": str(MAX_LENGTH)},
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_REMOVE_CODE, _remove_code, REMOVE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_REGENERATE_CODE,
        _regenerate_code,
        REGENERATE_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SET_STAY_OVERRIDE, _set_stay_override, OVERRIDE_SCHEMA
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SYNC, _sync, SYNC_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_GET_STAYS, _get_stays, GET_STAYS_SCHEMA, SupportsResponse.ONLY
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_SEND_GUEST_MESSAGE,
        _send_guest_message,
        SEND_MESSAGE_SCHEMA,
        SupportsResponse.OPTIONAL,
        # The frontend reads every {name} of the form as a placeholder (ICU); the template
        # fields are shown as they are typed. Quoting ('{guest}') is refused by hassfest.
        description_placeholders={field: f"{{{field}}}" for field in TEMPLATE_FIELDS},
    )
