"""What a tool call may see, and the unit, lock or stay a person means by its name."""

from __future__ import annotations

from typing import Any

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ..api import Lock
from ..const import DOMAIN
from ..engine.bookings import BookingKey
from ..engine.occupancy import UnitStay, current_stay, focus_stay, next_stay
from ..entity import account_id
from ..models import Unit
from ..runtime import LockBridgeConfigEntry
from ..stays import loaded_entries

UNIT = "unit"
BOOKING = "booking"
STAY = "stay"
#: The stay a new check-in is for when none is named: the first guest still to arrive
#: (today's, even once their code's window has begun; not one seen at the door).
ARRIVING = "arriving"


class ToolError(Exception):
    """A refusal told to the model as it is (translated messages come from the actions)."""


class Scope:
    """What a call may see: every unit, or for Assist only those exposed to the assistant.

    Assist answers about the entities a host exposed to it (Settings > Voice assistants),
    as Home Assistant's own tools do: a unit is in its scope when its calendar is exposed.
    A speaker in a guest's room, not exposed to, says nothing of the other guests. The
    administrators' API (2026.11+) and LockBridge's own API are not bounded so.
    """

    def __init__(self, hass: HomeAssistant, assistant: str | None) -> None:
        self.hass = hass
        self.bounded = assistant is not None
        registry = er.async_get(hass)
        self.units: list[tuple[LockBridgeConfigEntry, Unit]] = []
        self.locks: list[tuple[LockBridgeConfigEntry, Lock]] = []
        for entry in loaded_entries(hass):
            coordinator = entry.runtime_data.coordinator
            units = [
                unit
                for unit in coordinator.units
                if unit.keypad is not None
                and (
                    assistant is None
                    or (
                        (calendar := calendar_of(hass, unit)) is not None
                        and async_should_expose(hass, assistant, calendar)
                    )
                )
            ]
            self.units += [(entry, unit) for unit in units]
            doors = {door.lock_id for unit in units for door in unit.keypads}
            data = coordinator.data
            self.locks += [
                (entry, lock)
                for lock in (data.account.locks if data else ())
                if assistant is None or lock.id in doors
            ]
        self._problems = [
            entry
            for entry in loaded_entries(hass)
            if assistant is None
            or (
                (
                    sensor := registry.async_get_entity_id(
                        "binary_sensor", DOMAIN, f"{account_id(entry)}_sync_problem"
                    )
                )
                is not None
                and async_should_expose(hass, assistant, sensor)
            )
        ]

    def entries(self) -> list[LockBridgeConfigEntry]:
        """The accounts with a unit in scope, in their order."""
        seen = {id(entry) for entry, _ in self.units}
        return [entry for entry in loaded_entries(self.hass) if id(entry) in seen]

    def keys_of(self, entry: LockBridgeConfigEntry) -> set[BookingKey]:
        """The stays' and the staff rules' keys of the entry's units in scope."""
        coordinator = entry.runtime_data.coordinator
        units = [unit for e, unit in self.units if e is entry]
        keys = {stay.booking.key for unit in units for stay in coordinator.unit_view(unit).stays}
        inside = {unit.key for unit in units}
        doors = {door for unit in units for door in unit.keypads}
        data = coordinator.data
        for grant in data.grants.values() if data else ():
            # A staff code says nothing of any guest: shown on each door in scope it opens.
            if grant.unit in inside or (grant.unit is None and set(grant.keypads) & doors):
                keys.add(grant.key)
        return keys

    def problems(self) -> list[str]:
        """LockBridge's problems, where its Sync problem sensor is in scope."""
        return [
            text for entry in self._problems for text in entry.runtime_data.coordinator.problems()
        ]

    def find_unit(self, wanted: str) -> tuple[LockBridgeConfigEntry, Unit]:
        """The unit a person named ("seaside loft"), or its calendar's entity id."""
        units = self.units
        folded = wanted.strip().casefold()
        found = [(e, u) for e, u in units if u.name.strip().casefold() == folded]
        if not found:
            found = [(e, u) for e, u in units if calendar_of(self.hass, u) == wanted.strip()]
        if not found:
            found = [(e, u) for e, u in units if folded in u.name.casefold()]
        return _one(found, wanted, "unit", [unit.name for _, unit in units])

    def find_lock(self, wanted: str) -> tuple[LockBridgeConfigEntry, Lock]:
        """The lock a person named: by its name, its unit's, or a part of its name."""
        locks = self.locks
        folded = wanted.strip().casefold()
        found = [(e, lock) for e, lock in locks if lock.name.strip().casefold() == folded]
        if not found:
            found = [
                (e, lock)
                for e, unit in self.units
                if unit.name.strip().casefold() == folded
                for entry, lock in locks
                if entry is e and unit.keypad is not None and lock.id == unit.keypad.lock_id
            ]
        if not found:
            found = [(e, lock) for e, lock in locks if folded in lock.name.casefold()]
        return _one(found, wanted, "lock", [lock.name for _, lock in locks])

    def find_stay(self, args: dict[str, Any]) -> tuple[LockBridgeConfigEntry, Unit, UnitStay]:
        """The stay meant: by booking id, or the unit's current or next guest.

        Without a choice, the guest a host thinks of: the one in now, else the next (on an
        arrival day, before check-in, "the guest" is the one coming).
        """
        if BOOKING in args:
            wanted = str(args[BOOKING]).strip()
            for entry, unit in self.units:
                for listed in entry.runtime_data.coordinator.unit_view(unit).stays:
                    if str(listed.booking.key) == wanted:
                        return entry, unit, listed
            raise ToolError(
                f"No stay has the booking id {wanted!r}; lockbridge__get_stays lists them."
            )
        if UNIT not in args:
            raise ToolError("Say which unit (its name), or give a booking id.")
        entry, unit = self.find_unit(args[UNIT])
        stays, now = entry.runtime_data.coordinator.unit_view(unit).stays, dt_util.now()
        choice = args.get(STAY)
        stay: UnitStay | None
        if choice == ARRIVING:
            watch = entry.runtime_data.watch
            today = watch.today(unit.keypad.lock_id if unit.keypad else 0, now)
            stay = min(
                (
                    s
                    for s in stays
                    if s.booking.arrival >= today and watch.arrival(s.booking.key) is None
                ),
                key=lambda s: s.start,
                default=None,
            )
            # A guest in their stay and never seen at the door may be the late one (past
            # midnight) or one in for days: not guessed, asked.
            unseen = current_stay(stays, now)
            if (
                unseen is not None
                and watch.arrival(unseen.booking.key) is None
                and (stay is None or stay.booking.arrival != today)
            ):
                raise ToolError(
                    f"Which guest of {unit.name}: {_who(unseen)}, in their stay and not seen "
                    "at the door"
                    + (f", or {_who(stay)}, coming next" if stay else "")
                    + "? Give the booking id."
                )
            missing = f"{unit.name} has no guest still to arrive."
        elif choice == "next":
            stay = next_stay(stays, now)
            missing = f"{unit.name} has no guest coming."
        elif choice == "current":
            stay = current_stay(stays, now)
            missing = f"{unit.name} has no guest in their stay now; ask for the next one."
        else:
            stay = focus_stay(stays, now)
            missing = f"{unit.name} has no guest now and none coming."
        if stay is None:
            raise ToolError(missing)
        return entry, unit, stay


def _who(stay: UnitStay) -> str:
    return f"{stay.booking.guest_name} (booking {stay.booking.key}, from {stay.booking.arrival})"


def _one[T](found: list[T], wanted: str, what: str, names: list[str]) -> T:
    """The one match; else a refusal that names what there is to choose from."""
    if len(found) == 1:
        return found[0]
    which = f"No {what} is" if not found else f"More than one {what} is"
    known = ", ".join(sorted(names)) or "none"
    raise ToolError(f"{which} called {wanted!r}. The {what}s are: {known}.")


def calendar_of(hass: HomeAssistant, unit: Unit) -> str | None:
    """The unit's calendar entity (the actions' target for a unit)."""
    return er.async_get(hass).async_get_entity_id("calendar", DOMAIN, f"{unit.unique_id}_stays")
