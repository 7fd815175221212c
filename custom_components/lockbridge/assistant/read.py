"""Read tools: the stays of a day or a period, a stay's details, who is in, the locks.

Each answer is what the entities show at this moment (the views of the last sync, the
door's check-ins): guests' names and times, code states, never a PIN or a contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, override

from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util

from ..api import Lock
from ..door import stay_at_door
from ..engine.bookings import BookingKey
from ..engine.health import battery_percent
from ..engine.occupancy import current_stay, focus_stay, next_stay, occupancy
from ..engine.ownership import owned_key
from ..engine.window import in_range
from ..keypad import active_codes, in_sync
from ..stays import stay_record, stays_between
from ..sync.coordinator import SyncCoordinator
from ..sync.data import SyncData
from .base import NAME_FIELD, STAY_CHOICES, STAY_TEXT, LockBridgeTool
from .scope import BOOKING, STAY, UNIT, Scope, ToolError

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

#: A period asked for at once, and the stays told: an answer a model can read whole.
MAX_DAYS = 62
MAX_STAYS = 100
START, END = "start", "end"


def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    parsed = dt_util.parse_date(text.strip()[:10])
    if parsed is None or not in_range(parsed):
        raise ToolError(f"{text!r} is not a date (YYYY-MM-DD).")
    return parsed


class StaysTool(LockBridgeTool):
    """The stays of a period: who, where, when, the code's state."""

    name = "lockbridge__get_stays"
    title = "Stays of a period"
    description = (
        "Lists the guests' stays that touch a period (default: today) in the holiday lets "
        "LockBridge manages: unit, guest, check-in and check-out, the door code's state "
        "(active, scheduled, pending, failed, ended) and whether the guest has checked in. "
        "Use it for 'who arrives today?', 'who leaves tomorrow?', 'who is booked next week?'."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        vol.Optional(START, description="First day, YYYY-MM-DD (default today)"): NAME_FIELD,
        vol.Optional(END, description="Last day, YYYY-MM-DD (default the first day)"): NAME_FIELD,
        vol.Optional(UNIT, description="Only this unit (its name)"): NAME_FIELD,
    }

    @override
    async def answer(
        self, scope: Scope, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> dict[str, Any]:
        now = dt_util.now()
        first = _day(args.get(START), now.date())
        last = _day(args.get(END), first)
        if last < first:
            raise ToolError("The last day is before the first.")
        if (last - first).days >= MAX_DAYS:
            raise ToolError(f"Ask for at most {MAX_DAYS} days at once.")
        chosen = [scope.find_unit(args[UNIT])] if UNIT in args else scope.units
        found: list[dict[str, Any]] = []
        for entry in scope.entries():
            units = [unit for e, unit in chosen if e is entry]
            coordinator = entry.runtime_data.coordinator
            for unit, stay in stays_between(coordinator, units, first, last):
                record = stay_record(entry, unit, stay, now)
                record["arrives_in_period"] = first <= stay.booking.arrival <= last
                record["leaves_in_period"] = first <= stay.booking.departure <= last
                found.append(record)
        found.sort(key=lambda item: (item["start"], item["unit"]))
        return {
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "stays": found[:MAX_STAYS],
            "more": max(len(found) - MAX_STAYS, 0),
        }


class StayTool(LockBridgeTool):
    """One stay in full (still without its PIN or its guest's contacts)."""

    name = "lockbridge__get_stay"
    title = "A stay's details"
    description = (
        "Details of one stay: the unit's current or next guest, or a booking id from "
        "lockbridge__get_stays. Gives the guest's name, party, language, channel, dates, "
        "check-in and check-out times, the door code's window and state, and the check-in "
        "seen at the door. Never the PIN: only an administrator's action gives it."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        vol.Optional(UNIT, description="The unit's name"): NAME_FIELD,
        vol.Optional(STAY, description=STAY_TEXT): vol.In(STAY_CHOICES),
        vol.Optional(BOOKING, description="A booking id, as lockbridge__get_stays gives"): (
            NAME_FIELD
        ),
    }

    @override
    async def answer(
        self, scope: Scope, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> dict[str, Any]:
        entry, unit, stay = scope.find_stay(args)
        booking = stay.booking
        now = dt_util.now()
        return stay_record(entry, unit, stay, now) | {
            "adults": booking.adults,
            "children": booking.children,
            "channel": booking.channel,
            "late": entry.runtime_data.watch.late(stay, now),
            "times_changed_by_host": booking.key in entry.runtime_data.state.overrides(),
        }


class WhoIsInTool(LockBridgeTool):
    """Each unit's day: vacant, reserved, arriving, in house, departed; and who."""

    name = "lockbridge__who_is_in"
    title = "Who is in"
    description = (
        "Says, per unit (or for one), whether a guest is in now: the unit's day (vacant, "
        "reserved, arriving, in_house, departed), the guest it is about, when they checked "
        "in (seen at the door or marked by the host) and whether they are late, and the "
        "next guest."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        vol.Optional(UNIT, description="Only this unit (its name)"): NAME_FIELD
    }

    @override
    async def answer(
        self, scope: Scope, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> dict[str, Any]:
        chosen = [scope.find_unit(args[UNIT])] if UNIT in args else scope.units
        now = dt_util.now()
        units = []
        for entry, unit in chosen:
            watch = entry.runtime_data.watch
            day, stay = watch.day(unit, now)
            view = entry.runtime_data.coordinator.unit_view(unit)
            coming = next_stay(view.stays, now)
            lock_id = unit.keypad.lock_id if unit.keypad else 0
            units.append(
                {
                    "unit": unit.name,
                    "day": str(day),
                    "occupancy": str(occupancy(view.stays, now, watch.today(lock_id, now))),
                    "guest_in_stay_window": current_stay(view.stays, now) is not None,
                    "stay": stay_at_door(watch, stay, now) or None,
                    "next_guest": coming.booking.guest_name if coming else None,
                    "next_check_in": coming.check_in.isoformat() if coming else None,
                    "bookings_stale": view.stale,
                }
            )
        return {"units": units}


class LocksTool(LockBridgeTool):
    """Each lock's health, its codes (names only) and the changes still to make."""

    name = "lockbridge__get_locks"
    title = "Locks and pending changes"
    description = (
        "The health of the locks LockBridge manages: battery, locked or not, whether the "
        "keypad holds exactly the codes it should (in sync), the codes on it (names and "
        "windows, never PINs), the code changes that failed and wait for a retry, the stays "
        "whose code is not made yet, and LockBridge's problems."
    )
    schema: ClassVar[Mapping[Any, Any]] = {
        vol.Optional("lock", description="Only this lock (its name, or its unit's)"): NAME_FIELD
    }

    @override
    async def answer(
        self, scope: Scope, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> dict[str, Any]:
        chosen = [scope.find_lock(args["lock"])] if "lock" in args else scope.locks
        now = dt_util.now()
        locks = []
        for entry in scope.entries():
            coordinator = entry.runtime_data.coordinator
            data: SyncData | None = coordinator.data
            if data is None:  # its first sync still running
                continue
            units = [unit for e, unit in scope.units if e is entry]
            pending = [
                (unit.keypad.lock_id, stay.booking)
                for unit in units
                if unit.keypad is not None
                for stay in (focus_stay(coordinator.unit_view(unit).stays, now),)
                if stay is not None and coordinator.code_for(stay.booking.key) is None
            ]
            mine = scope.keys_of(entry) if scope.bounded else None
            for lock in (lock for e, lock in chosen if e is entry):
                failed = [o for o in data.failed if o.action.keypad.lock_id == lock.id]
                locks.append(
                    {
                        "lock": lock.name,
                        "battery_percent": battery_percent(lock.battery_raw),
                        "state": str(lock.state),
                        "in_sync": in_sync(coordinator, lock.id),
                        "codes_readable": lock.id not in data.unreadable,
                        **_codes(coordinator, lock, mine),
                        "failed_changes": [
                            {"change": str(o.action.kind), "for": str(o.action.key)} for o in failed
                        ],
                        "codes_not_made_yet": [
                            {"booking_id": str(booking.key), "guest": booking.guest_name}
                            for lock_id, booking in pending
                            if lock_id == lock.id
                        ],
                    }
                )
        return {"locks": locks, "problems": scope.problems()}


def _codes(
    coordinator: SyncCoordinator, lock: Lock, mine: set[BookingKey] | None
) -> dict[str, Any]:
    """The lock's codes (names, windows, ids; never a PIN), as remove_code takes them.

    Bounded (Assist): only the codes of the stays and staff rules of units in scope; a door
    shared with another unit does not tell that unit's guests.
    """
    shown, others = [], 0
    for code, start, end in active_codes(coordinator, lock):
        if mine is not None and owned_key(code.description, coordinator.owner) not in mine:
            others += 1
            continue
        shown.append(
            {
                "code_id": str(code.id),
                "name": code.name,
                "start": start.isoformat() if start else None,
                "end": end.isoformat() if end else None,
            }
        )
    return {"codes": shown, "other_codes": others}
