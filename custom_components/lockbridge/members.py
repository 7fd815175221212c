"""Staff members as their subentries keep them, read into the engine's rules.

Every value is bounded: a subentry edited by hand, or a unit no longer configured, harms
only its own member's codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .const import (
    CONF_DOORS,
    CONF_LANGUAGE,
    CONF_NAME,
    CONF_PERMANENT,
    CONF_PIN,
    CONF_ROLE,
    CONF_TURNOVER,
    CONF_TURNOVER_END,
    CONF_TURNOVER_START,
    CONF_UNIT_IDS,
    SUBENTRY_STAFF,
)
from .engine.ownership import short_id, truncate
from .engine.pins import is_digits
from .engine.staff import Member, Role, TurnoverRule
from .models import MAX_DOORS, Unit, parse_keypads, parse_time

#: A staff member's PIN: as many digits as a keypad takes.
PIN_LENGTHS = range(4, 9)
NAME_MAX = 40


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff subentry and the engine's member it makes."""

    subentry_id: str
    member: Member


def member_id(subentry_id: str) -> str:
    """The id a member's codes are tagged with (short, stable, no subentry id in clear)."""
    return short_id("staff", subentry_id)


def _role(value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        return Role.OTHER


def valid_pin(value: object) -> str | None:
    """The PIN if it is one a keypad takes, else None."""
    pin = str(value or "").strip()
    return pin if is_digits(pin) and len(pin) in PIN_LENGTHS else None


def member_of(subentry: ConfigSubentry, units: Mapping[str, Unit]) -> Member:
    """The engine's member of a staff subentry; `units` by unique id."""
    data = subentry.data
    raw_units = data.get(CONF_UNIT_IDS)
    unit_ids = raw_units if isinstance(raw_units, list) else []
    start, end = parse_time(data.get(CONF_TURNOVER_START)), parse_time(data.get(CONF_TURNOVER_END))
    return Member(
        member_id=member_id(subentry.subentry_id),
        name=truncate(str(data.get(CONF_NAME) or subentry.title), NAME_MAX),
        role=_role(data.get(CONF_ROLE)),
        units=tuple(
            dict.fromkeys(units[str(u)].key for u in unit_ids[:MAX_DOORS] if str(u) in units)
        ),
        doors=parse_keypads(data.get(CONF_DOORS)),
        pin=valid_pin(data.get(CONF_PIN)),
        turnover=(TurnoverRule(start, end) if start and end and start < end else TurnoverRule())
        if data.get(CONF_TURNOVER)
        else None,
        permanent=bool(data.get(CONF_PERMANENT)),
        language=str(data[CONF_LANGUAGE]) if data.get(CONF_LANGUAGE) else None,
    )


def members_named(entry: ConfigEntry, units: Iterable[Unit], person: str) -> list[Member]:
    """The entry's staff members called `person` (case aside): one, or none, or a clash."""
    folded = person.casefold()
    return [item.member for item in staff_of(entry, units) if item.member.name.casefold() == folded]


def staff_of(entry: ConfigEntry, units: Iterable[Unit]) -> list[StaffMember]:
    """Every staff member of the entry."""
    by_id = {unit.unique_id: unit for unit in units}
    return [
        StaffMember(subentry.subentry_id, member_of(subentry, by_id))
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_STAFF
    ]
