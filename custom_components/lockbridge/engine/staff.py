"""Staff access: who else needs the door, by which rule, and the code each rule wants.

Pure: no I/O, no Home Assistant. A staff member (a cleaner, maintenance, the owner) has
rules; each rule names its codes by a key of the `staff` source, so staff codes carry the
same ownership tags as guests' and go through the same plan:

- `<member>.p`: a permanent code on the member's doors (no dates: the cloud's permanent
  share);
- `<member>.t.<unit>`: the member's turnover code on a unit's doors, holding the window of
  the unit's next turnover (check-out to the next check-in, or a fixed window that day) and
  moved to the following one once it is over, so the cleaner keeps one PIN per unit;
- `<member>.v.<visit>`: a dated visit set by the `grant_access` action. The Keys' weekly
  schedules (`horaires`) are not known to work, so each visit is its own dated code.

A staff code goes only on evidence about its own rule (`Staff.verdict`): the member or the
rule was removed, the visit revoked, or the code's window is over. A booking feed saying
nothing is never such evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from ..api.models import CodeFields
from .bookings import BookingKey, KeypadRef, UnitKey
from .ownership import short_id
from .window import Validity

#: The source of every staff code's key.
STAFF = "staff"
#: The member id of visits granted to a name rather than to a configured member.
GUEST_MEMBER = "x"


class Role(StrEnum):
    """What a staff member does (their code's name starts with it)."""

    CLEANER = "cleaner"
    MAINTENANCE = "maintenance"
    OWNER = "owner"
    OTHER = "other"


class RuleKind(StrEnum):
    """Why a staff code exists."""

    PERMANENT = "p"
    TURNOVER = "t"
    VISIT = "v"

    @property
    def label(self) -> str:
        """The rule's name in events and answers."""
        return {"p": "permanent", "t": "turnover", "v": "visit"}[self.value]


class Verdict(StrEnum):
    """Why a staff code goes (the plan's reason, by the same name)."""

    STAFF_REMOVED = "staff_removed"
    RULE_REMOVED = "rule_removed"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class TurnoverRule:
    """A cleaner's window on each check-out day: by default check-out to the next check-in."""

    #: A fixed window that day (e.g. 11:00-15:00) instead of the bookings' own times.
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """A staff member, as its subentry says."""

    member_id: str
    name: str
    role: Role = Role.OTHER
    #: The units whose doors the member's turnover and permanent codes open.
    units: tuple[UnitKey, ...] = ()
    #: More doors (a shared entrance, a storeroom) for the permanent code and visits.
    doors: tuple[KeypadRef, ...] = ()
    #: The member's own PIN, used wherever it is free on the keypad.
    pin: str | None = field(default=None, repr=False)
    turnover: TurnoverRule | None = None
    permanent: bool = False
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """A dated access granted by the host (aware datetimes)."""

    visit_id: str
    #: A configured member's id, or GUEST_MEMBER for a visit granted to a name.
    member_id: str
    name: str
    doors: tuple[KeypadRef, ...]
    start: datetime
    end: datetime
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Staff:
    """Every staff member and visit: the rules' whole truth (local, always complete)."""

    members: Mapping[str, Member] = field(default_factory=dict)
    visits: Mapping[str, Visit] = field(default_factory=dict)

    def verdict(self, key: BookingKey) -> Verdict | None:
        """Why a staff code no rule wants any more must go; None: keep it until it is over.

        Only evidence about the code's own rule counts: a visit unknown here (a store lost)
        keeps its code to its own end.
        """
        parsed = parse_staff_key(key)
        if parsed is None:
            return None
        member_id, kind, ref = parsed
        if kind is RuleKind.VISIT:
            visit = self.visits.get(ref)
            return Verdict.REVOKED if visit is not None and visit.revoked else None
        member = self.members.get(member_id)
        if member is None:
            return Verdict.STAFF_REMOVED
        if kind is RuleKind.PERMANENT:
            return None if member.permanent else Verdict.RULE_REMOVED
        covered = {unit_ref(unit) for unit in member.units}
        return None if member.turnover is not None and ref in covered else Verdict.RULE_REMOVED


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """The code one staff rule wants, on each of its doors."""

    key: BookingKey
    member_id: str
    kind: RuleKind
    #: Who it is for, as the code and the events name them.
    person: str
    role: Role
    name: str
    #: The unit of a turnover; None for codes on chosen doors.
    unit: UnitKey | None
    keypads: tuple[KeypadRef, ...]
    #: None for a permanent code: it has no window at all.
    start: datetime | None
    end: datetime | None
    validity: Validity | None
    description: str
    pin: str | None = field(default=None, repr=False)
    #: The member's language, for the messages an automation sends them.
    language: str | None = None

    @property
    def keypad(self) -> KeypadRef:
        """The first door."""
        return self.keypads[0]

    def code_fields(self, pin: str, *, notify: bool = False) -> CodeFields:
        """The full field set of this rule's code (no dates for a permanent one)."""
        valid = self.validity
        return CodeFields(
            name=self.name,
            pin=pin,
            start_date=valid.start_date if valid else None,
            start_time=valid.start_time if valid else None,
            end_date=valid.end_date if valid else None,
            end_time=valid.end_time if valid else None,
            description=self.description,
            active=True,
            notify=notify,
        )


def unit_ref(unit: UnitKey) -> str:
    """A unit as a staff key names it: short, and free of any character the tag refuses."""
    return short_id(unit.source, unit.unit_id)


def staff_key(member_id: str, kind: RuleKind, ref: str = "") -> BookingKey:
    """The key of a staff rule's code."""
    return BookingKey(STAFF, f"{member_id}.{kind}" + (f".{ref}" if ref else ""))


def parse_staff_key(key: BookingKey) -> tuple[str, RuleKind, str] | None:
    """(member, rule, unit or visit) of a staff key; None for any other key."""
    if key.source != STAFF:
        return None
    member_id, _, rest = key.booking_id.partition(".")
    kind, _, ref = rest.partition(".")
    try:
        return member_id, RuleKind(kind), ref
    except ValueError:
        return None
