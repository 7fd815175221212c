"""Write tools: a stay's times, a dated access, a new PIN, a code removed, the PIN sent.

Each one is LockBridge's own action, called with the conversation's context: the action's
checks, plan, journal, tags and PIN policy apply as from the dashboard, and its admin rule
too. The tool refuses first any conversation that is not an administrator's.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, ClassVar, override

from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.util import dt as dt_util

from ..const import (
    DOMAIN,
    SERVICE_GRANT_ACCESS,
    SERVICE_REGENERATE_CODE,
    SERVICE_REMOVE_CODE,
    SERVICE_SEND_GUEST_MESSAGE,
    SERVICE_SET_STAY_OVERRIDE,
)
from ..engine.occupancy import UnitStay
from ..members import NAME_MAX, members_named, staff_of
from ..models import Unit
from ..stays import loaded_entries
from .base import (
    MOMENT_FIELD,
    NAME_FIELD,
    STAY_CHOICES,
    STAY_TEXT,
    WRITE,
    LockBridgeTool,
    require_admin,
)
from .scope import ARRIVING, BOOKING, STAY, UNIT, Scope, ToolError, calendar_of

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

#: A person's name, as the staff form and the grant action bound it.
PERSON_FIELD = vol.All(str, vol.Length(min=1, max=NAME_MAX))
#: The stay a write tool acts on, as the read tools name it.
STAY_SCHEMA = {
    vol.Optional(UNIT, description="The unit's name"): NAME_FIELD,
    vol.Optional(STAY, description=STAY_TEXT): vol.In(STAY_CHOICES),
    vol.Optional(BOOKING, description="A booking id, as lockbridge__get_stays gives"): NAME_FIELD,
}
#: The guest's message when the host gives none; {pin} and the rest are filled per stay.
DEFAULT_MESSAGE = (
    "Hello {guest}, the door code for {unit} is {pin}. It works {window}. Have a good stay!"
)
DEFAULT_TRANSLATIONS = {
    "fr": "Bonjour {guest}, le code de la porte de {unit} est {pin}. Il fonctionne {window}. "
    "Bon séjour !",
}


def moment(text: str, day_of: datetime) -> datetime:
    """A time ("13:00": on the day of `day_of`) or a date and time, in `day_of`'s zone."""
    text = text.strip()
    zone = day_of.tzinfo
    if (wall := dt_util.parse_time(text)) is not None:
        return datetime.combine(day_of.date(), time(wall.hour, wall.minute), zone)
    if ":" not in text:  # a date alone would be its midnight: not what a host means
        raise ToolError(f"{text!r} has no time: give HH:MM, or YYYY-MM-DD HH:MM.")
    try:
        parsed = dt_util.parse_datetime(text.replace(" ", "T", 1))
    except ValueError:  # the shape of a date, not one ("2026-02-30 10:00")
        parsed = None
    if parsed is None:
        raise ToolError(f"{text!r} is not a time (HH:MM) or a date and time (YYYY-MM-DD HH:MM).")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


async def run(
    hass: HomeAssistant, context: Context, service: str, data: dict[str, Any], *, answer: bool
) -> dict[str, Any]:
    """LockBridge's action, as the administrator of this conversation."""
    try:
        response = await hass.services.async_call(
            DOMAIN, service, data, blocking=True, context=context, return_response=answer
        )
    except vol.Invalid as err:  # the action's own bounds (a name's length, a booking id)
        raise ToolError(f"LockBridge refused these values: {err}") from err
    return dict(response or {})


class WriteTool(LockBridgeTool):
    """A tool that changes who can open a door: an administrator's only."""

    annotations = WRITE

    @override
    async def answer(
        self, scope: Scope, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> dict[str, Any]:
        return await self.write(scope, args, await require_admin(scope.hass, llm_context))

    @abstractmethod
    async def write(self, scope: Scope, args: dict[str, Any], context: Context) -> dict[str, Any]:
        """The change, made as the administrator of this conversation."""


def _stay_answer(stay: UnitStay) -> dict[str, Any]:
    return {
        "booking_id": str(stay.booking.key),
        "guest": stay.booking.guest_name,
        "check_in": stay.check_in.isoformat(),
        "check_out": stay.check_out.isoformat(),
        "code_valid_from": stay.start.isoformat(),
        "code_valid_to": stay.end.isoformat(),
    }


class SetStayTimesTool(WriteTool):
    """An early check-in or a late check-out: the stay's code follows."""

    name = "lockbridge__set_stay_times"
    title = "Move a stay's check-in or check-out"
    description = (
        "Moves a stay's check-in and/or check-out (an early arrival, a late departure); its "
        "door code's window follows on the keypad. A time alone (13:00) keeps the stay's "
        "day; a date needs a time. Without a stay chosen, a new check-in is for the first "
        "guest still to arrive (asked when a guest in their stay was never seen at the "
        "door) and a new check-out for the guest in now (else the next). clear=true goes "
        "back to the booking's own times. Administrators only."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        **STAY_SCHEMA,
        vol.Optional("check_in", description="HH:MM, or YYYY-MM-DD HH:MM"): MOMENT_FIELD,
        vol.Optional("check_out", description="HH:MM, or YYYY-MM-DD HH:MM"): MOMENT_FIELD,
        vol.Optional("clear", default=False, description="Back to the booking's times"): bool,
    }

    @override
    async def write(self, scope: Scope, args: dict[str, Any], context: Context) -> dict[str, Any]:
        chosen = dict(args)
        if STAY not in args and "check_in" in args and "check_out" not in args:
            chosen[STAY] = ARRIVING  # a guest already in has checked in
        _, unit, stay = scope.find_stay(chosen)
        data: dict[str, Any] = {BOOKING: str(stay.booking.key), "clear": args["clear"]}
        if "check_in" in args:
            data["check_in"] = moment(args["check_in"], stay.check_in).isoformat()
        if "check_out" in args:
            data["check_out"] = moment(args["check_out"], stay.check_out).isoformat()
        await run(scope.hass, context, SERVICE_SET_STAY_OVERRIDE, data, answer=False)
        _, unit, moved = scope.find_stay({BOOKING: str(stay.booking.key)})
        return {"unit": unit.name, **_stay_answer(moved)}


class GrantAccessTool(WriteTool):
    """A dated code for a staff member (or someone named) on units' doors."""

    name = "lockbridge__grant_access"
    title = "Give someone a dated door code"
    description = (
        "Gives a staff member (a cleaner, an owner, by the name LockBridge knows them by) or "
        "anyone named a door code valid between two moments, on the doors of the units "
        "given (default: the staff member's own units). Answers with the PIN for each door, "
        "for the administrator to pass on. Administrators only."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        vol.Optional("person", description="A staff member's name"): PERSON_FIELD,
        vol.Optional("name", description="The code's name, for someone not on the staff"): (
            PERSON_FIELD
        ),
        vol.Optional("units", description="The units' names"): vol.All(
            [NAME_FIELD], vol.Length(max=16)
        ),
        vol.Required("start", description="YYYY-MM-DD HH:MM"): MOMENT_FIELD,
        vol.Required("end", description="YYYY-MM-DD HH:MM"): MOMENT_FIELD,
    }

    @override
    async def write(self, scope: Scope, args: dict[str, Any], context: Context) -> dict[str, Any]:
        now = dt_util.now()
        data: dict[str, Any] = {
            "start": moment(args["start"], now).isoformat(),
            "end": moment(args["end"], now).isoformat(),
        }
        for field in ("person", "name"):
            if field in args:
                data[field] = args[field]
        if args.get("units"):
            units = [scope.find_unit(name)[1] for name in args["units"]]
        elif scope.bounded:
            # The member's own doors, as far as this assistant may see them.
            units = _member_units(scope, args.get("person"))
        else:
            units = []  # the action takes the member's doors
        if units:
            data["units"] = [_calendar(scope, unit) for unit in units]
        return await run(scope.hass, context, SERVICE_GRANT_ACCESS, data, answer=True)


def _calendar(scope: Scope, unit: Unit) -> str:
    if (entity_id := calendar_of(scope.hass, unit)) is None:
        raise ToolError(f"The unit {unit.name!r} has no calendar in Home Assistant.")
    return entity_id


def _member_units(scope: Scope, person: str | None) -> list[Unit]:
    """The staff member's units that are in scope; refused when that leaves none."""
    if person is None:
        raise ToolError("Say which units the code is for.")
    theirs = {
        key
        for entry in loaded_entries(scope.hass)
        for member in members_named(entry, entry.runtime_data.coordinator.units, person)
        for key in member.units
    }
    units = [unit for _, unit in scope.units if unit.key in theirs]
    if not units:
        raise ToolError(f"Say which units the code is for: none of {person}'s is known here.")
    return units


def staff_exists(hass: HomeAssistant) -> bool:
    """Some account has staff members: the grant tool is offered."""
    return any(
        staff_of(entry, entry.runtime_data.coordinator.units) for entry in loaded_entries(hass)
    )


class RegenerateCodeTool(WriteTool):
    """A new PIN for a stay's code, on the keypad at once."""

    name = "lockbridge__regenerate_code"
    title = "Give a stay a new PIN"
    description = (
        "Replaces a stay's door code PIN with a new random one, on the keypad at once (the "
        "old PIN stops working). Answers with the new PIN, for the administrator only."
    )
    schema = STAY_SCHEMA

    @override
    async def write(self, scope: Scope, args: dict[str, Any], context: Context) -> dict[str, Any]:
        _, unit, stay = scope.find_stay(args)
        data = {BOOKING: str(stay.booking.key)}
        answer = await run(scope.hass, context, SERVICE_REGENERATE_CODE, data, answer=True)
        return {"unit": unit.name, "guest": stay.booking.guest_name, **answer}


class RemoveCodeTool(WriteTool):
    """One code of LockBridge's off a lock's keypad."""

    name = "lockbridge__remove_code"
    title = "Remove a door code"
    description = (
        "Removes one door code LockBridge made from a lock's keypad, by its id or its name "
        "as lockbridge__get_locks lists them. Codes LockBridge did not make are never "
        "touched. A guest's code comes back at the next sync while their stay lasts: to "
        "move a stay, use lockbridge__set_stay_times. Administrators only."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        vol.Required("lock", description="The lock's name"): NAME_FIELD,
        vol.Optional("code_id", description="The code's id"): vol.All(
            vol.Coerce(str), vol.Match(r"^[0-9]{1,10}$")
        ),
        vol.Optional("code_name", description="The code's name"): NAME_FIELD,
    }

    @override
    async def write(self, scope: Scope, args: dict[str, Any], context: Context) -> dict[str, Any]:
        if "code_id" not in args and "code_name" not in args:
            raise ToolError("Give the code's id or its name (lockbridge__get_locks lists them).")
        data: dict[str, Any] = {"lock": _lock_entity(scope, args["lock"])}
        if "code_id" in args:
            data["code_id"] = args["code_id"]
        else:
            data["name"] = args["code_name"]
        answer = await run(scope.hass, context, SERVICE_REMOVE_CODE, data, answer=True)
        return {"removed": True, **answer}


def _lock_entity(scope: Scope, wanted: str) -> str:
    lock = scope.find_lock(wanted)[1]
    entity_id = er.async_get(scope.hass).async_get_entity_id("lock", DOMAIN, f"{lock.id}_lock")
    if entity_id is None:
        raise ToolError(f"The lock {lock.name!r} has no entity in Home Assistant.")
    return entity_id


class SendPinTool(WriteTool):
    """The stay's PIN and window to its guest, through the booking's own platform."""

    name = "lockbridge__send_pin"
    title = "Send the guest their door code"
    description = (
        "Sends the guest of a stay their door code and its window in a message through the "
        "booking platform (where it allows messages), once per code: a second call for the "
        "same code is refused. The message may use {guest}, {unit}, {pin}, {window}, "
        "{check_in} and {check_out}; a friendly default is used otherwise. The PIN is not "
        "in the answer. Administrators only."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        **STAY_SCHEMA,
        vol.Optional("message", description="The text, with {pin} in it"): vol.All(
            str, vol.Length(min=1, max=2000)
        ),
    }

    @override
    async def write(self, scope: Scope, args: dict[str, Any], context: Context) -> dict[str, Any]:
        _, unit, stay = scope.find_stay(args)
        data: dict[str, Any] = {BOOKING: str(stay.booking.key)}
        if "message" in args:
            data["message"] = args["message"]
        else:
            data["message"], data["translations"] = DEFAULT_MESSAGE, DEFAULT_TRANSLATIONS
        answer = await run(scope.hass, context, SERVICE_SEND_GUEST_MESSAGE, data, answer=True)
        return {"unit": unit.name, "guest": stay.booking.guest_name, **answer}
