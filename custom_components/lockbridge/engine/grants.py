"""Staff rules + the guests' stays -> the codes staff need (`Grant`s), beside the guests'.

Pure: no I/O. Runs in the sync's worker with the plan: a turnover is worked out from the
same stays the guests' codes are, so moving a check-in moves the cleaner's window with it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from .bookings import BookingKey, KeypadRef, UnitKey
from .desired import Desired, Stay
from .ownership import code_name, tag
from .staff import Grant, Member, Role, RuleKind, Staff, TurnoverRule, staff_key, unit_ref
from .window import validity

#: A turnover with no next guest that day ends with the day (the cleaner has the day).
_DAY_END = time(23, 59)


def with_staff(desired: Desired, staff: Staff, now: datetime) -> Desired:
    """The desired codes with the staff's beside the guests'."""
    return replace(desired, grants=build_grants(desired, staff, now), staff=staff)


def _prefix(role: Role) -> str:
    return "staff" if role is Role.OTHER else str(role)


def member_doors(
    member: Member, keypads: Mapping[UnitKey, Sequence[KeypadRef]]
) -> tuple[KeypadRef, ...]:
    """A member's doors: every door of its units, then its own (each once)."""
    found = [door for unit in member.units for door in keypads.get(unit, ())]
    return tuple(dict.fromkeys([*found, *member.doors]))


def build_grants(desired: Desired, staff: Staff, now: datetime) -> dict[BookingKey, Grant]:
    """Every code the staff rules want now."""
    units = desired.units
    unit_doors = {key: config.keypads for key, config in units.items()}
    by_unit: dict[UnitKey, list[Stay]] = defaultdict(list)
    for stay in desired.stays.values():
        by_unit[stay.unit].append(stay)
    grants: dict[BookingKey, Grant] = {}

    def add(
        member: Member,
        kind: RuleKind,
        ref: str,
        keypads: tuple[KeypadRef, ...],
        window: tuple[datetime, datetime] | None = None,
        unit: UnitKey | None = None,
    ) -> None:
        if not keypads:
            return
        key = staff_key(member.member_id, kind, ref)
        zone = desired.zone(keypads[0].lock_id)
        grants[key] = Grant(
            key=key,
            member_id=member.member_id,
            kind=kind,
            person=member.name,
            role=member.role,
            name=code_name(_prefix(member.role), member.name),
            unit=unit,
            keypads=keypads,
            start=window[0] if window else None,
            end=window[1] if window else None,
            validity=validity(*window, zone) if window else None,
            description=tag(key, desired.owner),
            pin=member.pin,
            language=member.language,
        )

    for member in staff.members.values():
        if member.permanent:
            add(member, RuleKind.PERMANENT, "", member_doors(member, unit_doors))
        for unit in member.units if member.turnover is not None else ():
            if (config := units.get(unit)) is None:
                continue
            stays = by_unit.get(unit, [])
            zone = desired.zone(config.keypad.lock_id)
            window = next_turnover(stays, member.turnover or TurnoverRule(), zone, now)
            if window is not None:
                add(member, RuleKind.TURNOVER, unit_ref(unit), config.keypads, window, unit)
    for visit in staff.visits.values():
        if visit.revoked or visit.end <= visit.start:
            continue
        member = staff.members.get(visit.member_id) or Member(
            member_id=visit.member_id, name=visit.name
        )
        add(
            replace(member, name=visit.name or member.name),
            RuleKind.VISIT,
            visit.visit_id,
            tuple(dict.fromkeys(visit.doors)),
            (visit.start, visit.end),
        )
    return grants


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    # Through UTC, so that a wall time DST skips becomes a real instant.
    return datetime.combine(day, wall, zone).astimezone(UTC).astimezone(zone)


def turnovers(
    stays: list[Stay], rule: TurnoverRule, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """Each check-out's cleaning window.

    By default from the check-out to the next guest's check-in that day (the first check-in
    at or after it: a room type's stays may overlap), else to the day's end; a rule's fixed
    window is taken as it is, on the check-out day.
    """
    arrivals = sorted(stay.check_in or stay.start for stay in stays)
    for leaving in stays:
        out = (leaving.check_out or leaving.end).astimezone(zone)
        day = out.date()
        if rule.start is not None and rule.end is not None:
            start, end = _at(day, rule.start, zone), _at(day, rule.end, zone)
        else:
            start, end = out, _at(day, _DAY_END, zone)
            if (index := bisect_left(arrivals, out)) < len(arrivals):
                end = min(end, arrivals[index])
        if end > start:
            yield start, end


def next_turnover(
    stays: list[Stay], rule: TurnoverRule, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime] | None:
    """The first cleaning window not over yet."""
    return min((w for w in turnovers(stays, rule, zone) if w[1] > now), default=None)
