"""Actions on staff access: a dated visit granted or revoked, and every staff code read.

A visit is a rule like any other: kept in the state, planned and applied by the sync with
the guests' codes (same tags, same PIN policy). The PIN comes back only in the response, to
the administrator who asked; the events never carry it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from ..engine.bookings import BookingKey, KeypadRef, clean_name
from ..engine.grants import member_doors
from ..engine.ownership import owned_key
from ..engine.staff import GUEST_MEMBER, Grant, RuleKind, Visit, staff_key
from ..members import NAME_MAX, members_named
from ..runtime import LockBridgeConfigEntry
from ..stays import loaded_entries
from .common import (
    ATTR_END,
    ATTR_ENTRY,
    ATTR_NAME,
    ATTR_START,
    aware,
    check_window,
    invalid,
    lock_target,
    sync_target,
    unit_target,
)

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

ATTR_PERSON = "person"
ATTR_LOCKS = "locks"
ATTR_UNITS = "units"
ATTR_VISIT = "visit_id"

GRANT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_PERSON): vol.All(cv.string, clean_name, vol.Length(min=1, max=NAME_MAX)),
        vol.Optional(ATTR_NAME): vol.All(cv.string, clean_name, vol.Length(min=1, max=NAME_MAX)),
        vol.Optional(ATTR_LOCKS): vol.All(cv.ensure_list, [cv.entity_id], vol.Length(max=16)),
        vol.Optional(ATTR_UNITS): vol.All(cv.ensure_list, [cv.entity_id], vol.Length(max=16)),
        vol.Required(ATTR_START): cv.datetime,
        vol.Required(ATTR_END): cv.datetime,
        vol.Optional(ATTR_ENTRY): cv.string,
    }
)
REVOKE_SCHEMA = vol.Schema(
    {vol.Required(ATTR_VISIT): vol.All(cv.string, vol.Match(r"^[0-9a-f]{1,16}$"))}
)
GET_ACCESS_SCHEMA = vol.Schema({vol.Optional(ATTR_ENTRY): cv.string})


def _doors(call: ServiceCall) -> tuple[LockBridgeConfigEntry | None, list[KeypadRef]]:
    """The doors named by lock (each of its keypads) and by unit (each of its doors)."""
    entry = None
    doors: list[KeypadRef] = []
    for entity_id in call.data.get(ATTR_LOCKS, []):
        entry, lock = lock_target(call.hass, entity_id)
        doors += [KeypadRef(lock.id, keypad.id) for keypad in lock.keypads]
    for entity_id in call.data.get(ATTR_UNITS, []):
        entry, unit = unit_target(call.hass, entity_id)
        doors += unit.keypads
    return entry, list(dict.fromkeys(doors))


async def grant_access(call: ServiceCall) -> ServiceResponse:
    """A dated code for a staff member (or anyone by name) on chosen doors."""
    start, end = aware(call.data[ATTR_START]), aware(call.data[ATTR_END])
    check_window(start, end)
    if end <= dt_util.utcnow():
        raise invalid("window_over")
    entry, doors = _doors(call)
    entry = entry or sync_target(call.hass, call.data.get(ATTR_ENTRY))
    coordinator = entry.runtime_data.coordinator
    member_id, name = GUEST_MEMBER, call.data.get(ATTR_NAME)
    if (person := call.data.get(ATTR_PERSON)) is not None:
        found = members_named(entry, coordinator.units, person)
        if len(found) != 1:
            raise invalid("unknown_person", person=person)
        member_id, name = found[0].member_id, name or found[0].name
        units = {unit.key: unit.keypads for unit in coordinator.units}
        doors = doors or list(member_doors(found[0], units))
    if not name:
        raise invalid("person_or_name")
    if not doors:
        raise invalid("no_doors")
    visit = Visit(
        visit_id=uuid.uuid4().hex[:12],
        member_id=member_id,
        name=name,
        doors=tuple(doors),
        start=start,
        end=end,
    )
    entry.runtime_data.state.set_visit(visit)
    await coordinator.sync_locks({door.lock_id for door in doors})
    key = staff_key(member_id, RuleKind.VISIT, visit.visit_id)
    return {"visit_id": visit.visit_id, **_answer(entry, key, name, start, end)}


def _answer(
    entry: LockBridgeConfigEntry,
    key: BookingKey,
    person: str,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Any]:
    """A staff code's window and, per door, its state and PIN (for the admin only)."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    owner = coordinator.owner
    codes = [
        code
        for items in (data.codes.values() if data else ())
        for code in items
        if owned_key(code.description, owner) == key
    ]
    failed = {o.action.keypad for o in (data.failed if data else ()) if o.action.key == key}
    return {
        "person": person,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "doors": [
            {
                "lock_id": code.lock_id,
                "lock": lock.name if (lock := coordinator.lock(code.lock_id)) else None,
                "keypad_id": code.keypad_id,
                "code_id": str(code.id),
                "pin": code.pin,
            }
            for code in codes
        ],
        "failed_doors": [
            {"lock_id": door.lock_id, "keypad_id": door.keypad_id}
            for door in sorted(failed, key=lambda door: (door.lock_id, door.keypad_id))
        ],
    }


async def revoke_access(call: ServiceCall) -> ServiceResponse:
    """Take a visit's code off its doors now."""
    visit_id = call.data[ATTR_VISIT]
    for entry in loaded_entries(call.hass):
        if (visit := entry.runtime_data.state.visits().get(visit_id)) is not None:
            entry.runtime_data.state.set_visit(replace(visit, revoked=True))
            await entry.runtime_data.coordinator.sync_locks({d.lock_id for d in visit.doors})
            return {"visit_id": visit_id, "revoked": True}
    raise invalid("unknown_visit", visit=visit_id)


async def get_access(call: ServiceCall) -> ServiceResponse:
    """Every staff code: who, by which rule, its window, and per door its PIN (admin)."""
    entry = sync_target(call.hass, call.data.get(ATTR_ENTRY))
    data = entry.runtime_data.coordinator.data
    units = {unit.key: unit for unit in entry.runtime_data.coordinator.units}
    grants: list[Grant] = sorted(
        (data.grants.values() if data else ()), key=lambda grant: str(grant.key)
    )
    return {
        "access": [
            {
                "key": str(grant.key),
                "rule": grant.kind.label,
                "role": str(grant.role),
                "language": grant.language,
                "unit": unit.name if grant.unit and (unit := units.get(grant.unit)) else None,
                **_answer(entry, grant.key, grant.person, grant.start, grant.end),
            }
            for grant in grants
        ]
    }
