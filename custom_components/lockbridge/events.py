"""Events for automations: a code was created, updated, removed, or could not be.

They carry no PIN: Home Assistant's recorder keeps every event in its database, and its
debug log prints them. An automation reads the PIN with `lockbridge.get_stays` (admin).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant

from .api import AccessCode, Lock
from .const import (
    EVENT_ACCESS_GRANTED,
    EVENT_ACCESS_REVOKED,
    EVENT_CODE_CREATED,
    EVENT_CODE_FAILED,
    EVENT_CODE_REMOVED,
    EVENT_CODE_UPDATED,
)
from .engine.apply import Outcome
from .engine.bookings import UnitKey
from .engine.plan import ActionKind
from .engine.staff import parse_staff_key
from .models import Unit

_EVENT_OF_KIND = {
    ActionKind.CREATE: EVENT_CODE_CREATED,
    ActionKind.UPDATE: EVENT_CODE_UPDATED,
    ActionKind.ADOPT: EVENT_CODE_UPDATED,
    ActionKind.DELETE: EVENT_CODE_REMOVED,
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def code_payload(
    entry_id: str,
    code: AccessCode | None,
    lock: Lock | None,
    *,
    lock_id: int,
    keypad_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """What every code event carries about the code and its lock (never its PIN)."""
    return {
        "entry_id": entry_id,
        "lock_id": lock_id,
        "lock": lock.name if lock else None,
        "keypad_id": keypad_id,
        "code_id": str(code.id) if code else None,  # an id, not a number to format
        "name": code.name if code else None,
        "start": _iso(start),
        "end": _iso(end),
    }


def fire_outcome(
    hass: HomeAssistant,
    entry_id: str,
    outcome: Outcome,
    units: Mapping[UnitKey, Unit],
    locks: Mapping[int, Lock],
) -> None:
    """One event for one applied (or failed) action of a sync."""
    action = outcome.action
    stay = action.stay or action.grant
    code = outcome.code or action.code
    unit = units.get(action.unit) if action.unit else None
    data = code_payload(
        entry_id,
        code,
        locks.get(action.keypad.lock_id),
        lock_id=action.keypad.lock_id,
        keypad_id=action.keypad.keypad_id,
        start=stay.start if stay else None,
        end=stay.end if stay else None,
    )
    if code is None and action.fields is not None:
        data["name"] = action.fields.name
    data |= {
        "booking_id": str(action.key),
        "source": action.key.source,
        "unit_id": action.unit.unit_id if action.unit else None,
        "unit": unit.name if unit else None,
        "reason": str(action.reason),
    }
    if (staff := parse_staff_key(action.key)) is not None:
        # A staff code: who it is for, by which rule (the PIN: `lockbridge.get_access`).
        data |= {
            "member_id": staff[0],
            "rule": staff[1].label,
            "person": action.grant.person if action.grant else None,
            "role": str(action.grant.role) if action.grant else None,
        }
        if outcome.ok:
            revoked = action.kind is ActionKind.DELETE
            hass.bus.async_fire(EVENT_ACCESS_REVOKED if revoked else EVENT_ACCESS_GRANTED, data)
            return
    else:
        data["guest"] = action.stay.booking.guest_name if action.stay else None
    if outcome.ok:
        hass.bus.async_fire(_EVENT_OF_KIND[action.kind], data)
    else:
        data |= {"action": str(action.kind), "error": str(outcome.error)}
        hass.bus.async_fire(EVENT_CODE_FAILED, data)
