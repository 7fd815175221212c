"""Desired codes vs the keypads' actual codes -> actions, each with its reason.

Pure: no I/O. Rules (DESIGN.md, "From booking to code"):
- a confirmed stay on a managed unit gets exactly one code on its keypad while its window
  has not ended and starts within the horizon; the code follows the stay's window and name;
- a booking keeps its PIN for life (dates, restarts, unit moves when the PIN is free);
- codes without our tag, or with another installation's, are foreign and never targeted;
  the old script's codes are adopted, for the sources it served (`SourceSnapshot.legacy`);
- a code is deleted only on positive evidence about its own booking: its source answered
  this cycle and says cancelled or blocked, or the code's stay is over (plus the grace).
  Never because a booking is missing from an answer that may be incomplete (a cache lost, a
  source removed, a listing of the next 30 days only). A unit-map change never takes the
  code of a stay in progress or starting within PROTECTED, unless the host released it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
import secrets
from zoneinfo import ZoneInfo

from ..api.models import AccessCode, CodeFields
from .actions import FINAL_REASONS, Action, ActionKind, Guard, Plan, Unchanged
from .bookings import BookingKey, KeypadRef, UnitKey
from .desired import (
    DEFAULT_GRACE,
    DEFAULT_HORIZON,
    Desired,
    PinMethod,
    Reason,
    Removal,
    Settings,
    SourceSnapshot,
    Stay,
    UnitConfig,
    build_desired,
    lock_zones,
)
from .ownership import MANUAL, is_legacy_name_match, legacy_booking, parse_ownership
from .pins import PinSpaceExhaustedError, is_digits, phone_pin, random_pin
from .staff import STAFF, Grant, RuleKind, Verdict, parse_staff_key
from .window import in_range

# The inputs and the outputs live in `desired` and `actions`; imported from here too.
__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_HORIZON",
    "FINAL_REASONS",
    "PROTECTED",
    "Action",
    "ActionKind",
    "Desired",
    "Guard",
    "KeypadRef",
    "PinMethod",
    "Plan",
    "Reason",
    "Removal",
    "Settings",
    "SourceSnapshot",
    "Stay",
    "Unchanged",
    "UnitConfig",
    "build_desired",
    "code_end",
    "in_use",
    "lock_zones",
    "plan",
]

#: A code live now or starting this soon is a guest's way in: no unit-map change takes it.
PROTECTED = timedelta(hours=24)


@dataclass(slots=True)
class _Owned:
    code: AccessCode
    #: Made by the replaced script (`<Kind>#<id>`, or found by its name), not by us.
    legacy: bool
    #: The source instance its tag names; None for the script's codes and the first tags.
    source_id: str | None = None

    @property
    def keypad(self) -> KeypadRef:
        return KeypadRef(self.code.lock_id, self.code.keypad_id)


def in_use(code: AccessCode, zone: ZoneInfo, now: datetime) -> bool:
    """A guest's way in: the code works now, or will within PROTECTED."""
    end = code_end(code, zone)
    start = (
        datetime.combine(code.start_date, code.start_time or time(0, 0), zone)
        if code.start_date is not None and in_range(code.start_date)
        else None
    )
    return (end is None or end > now) and (start is None or start <= now + PROTECTED)


def code_end(code: AccessCode, zone: ZoneInfo) -> datetime | None:
    """When a code stops working; None when it never does (as far as any stay goes)."""
    if code.end_date is None or not in_range(code.end_date):
        return None  # open-ended, as far as any stay goes (and year 9999 + grace overflows)
    return datetime.combine(code.end_date, code.end_time or time(23, 59), zone)


class _Planner:
    def __init__(
        self,
        desired: Desired,
        actual: Mapping[int, Sequence[AccessCode]],
        now: datetime,
        pins: Mapping[BookingKey, str],
        randbelow: Callable[[int], int],
    ) -> None:
        self.desired = desired
        self.settings = desired.settings
        self.actual = actual
        self.now = now
        self.randbelow = randbelow
        self.memory = dict(pins)
        self.actions: list[Action] = []
        self.unchanged: list[Unchanged] = []
        self.owned: dict[BookingKey, list[_Owned]] = defaultdict(list)
        self.untagged: dict[KeypadRef, list[AccessCode]] = defaultdict(list)
        self.taken: dict[KeypadRef, set[str]] = defaultdict(set)
        self.unreadable: set[int] = set()
        self.no_free_pin: dict[BookingKey, KeypadRef] = {}
        self.listed: dict[BookingKey, list[AccessCode]] = defaultdict(list)
        #: The kinds of the sources the replaced script served: only theirs are adopted.
        self.legacy_kinds = {
            snapshot.kind or source_id
            for source_id, snapshot in desired.sources.items()
            if snapshot.legacy
        }
        for codes in actual.values():
            for code in sorted(codes, key=lambda item: item.id):
                self._classify(code)
        self.guarded = self._guards()

    def _classify(self, code: AccessCode) -> None:
        keypad = KeypadRef(code.lock_id, code.keypad_id)
        self.taken[keypad].add(code.pin)
        if (found := parse_ownership(code.description)) is not None:
            if found.key.source == MANUAL:
                return  # made by hand: the sync never touches it
            ours = found.owner == self.desired.owner
            if ours or (found.owner is None and self._known(found.key)):
                self.owned[found.key].append(_Owned(code, legacy=False, source_id=found.source_id))
                self.listed[found.key].append(code)
            # Else another installation's (or an old tag for a booking we do not know):
            # foreign, never touched, and not a candidate for adoption by name either.
        elif (key := self._legacy_key(code.description)) is not None:
            self.owned[key].append(_Owned(code, legacy=True))
            self.listed[key].append(code)
        else:
            self.untagged[keypad].append(code)

    def _legacy_key(self, description: str) -> BookingKey | None:
        """The booking of a code the replaced script made, for a source it served."""
        key = legacy_booking(description)
        return key if key is not None and key.source in self.legacy_kinds else None

    def _known(self, key: BookingKey) -> bool:
        desired = self.desired
        return key in desired.stays or key in desired.removed or key in desired.held

    def _guards(self) -> dict[str, Guard]:
        guarded: dict[str, Guard] = {}
        live_sources = {
            source_id
            for key, codes in self.owned.items()
            for item in codes
            if not self._ended(item.code, grace=False)
            for source_id in self._sources_of(key, item)
        }
        for source_id, snapshot in self.desired.sources.items():
            if not snapshot.ok:
                guarded[source_id] = Guard.SOURCE_FAILED
            elif snapshot.empty and source_id in live_sources:
                # We hold live codes for it, yet it lists nothing, not even cancellations:
                # far likelier a broken answer than every booking erased.
                guarded[source_id] = Guard.SOURCE_EMPTY
        return guarded

    def _sources_of(self, key: BookingKey, item: _Owned) -> list[str]:
        """The sources that may speak for a code: the one its tag names, else its kind's."""
        sources = self.desired.sources
        if item.source_id is not None:
            return [item.source_id] if item.source_id in sources else []
        return [sid for sid, snap in sources.items() if (snap.kind or sid) == key.source]

    def _answered(self, key: BookingKey, item: _Owned) -> bool:
        """The code's own source answered this cycle, so what it says of the booking holds."""
        if key.source == STAFF:
            return True  # the staff rules are local: always whole
        found = self._sources_of(key, item)
        return bool(found) and not any(source_id in self.guarded for source_id in found)

    def _protected(self, key: BookingKey, code: AccessCode) -> bool:
        """A guest's way in now or soon, not released by the host: a unit-map change spares it."""
        if key in self.desired.released:
            return False
        return in_use(code, self.desired.zone(code.lock_id), self.now)

    def _ended(self, code: AccessCode, *, grace: bool) -> bool:
        end = code_end(code, self.desired.zone(code.lock_id))
        margin = self.settings.grace if grace else timedelta(0)
        return end is not None and self.now >= end + margin

    # -- stays and grants --------------------------------------------------------------

    def stay(self, stay: Stay | Grant) -> None:
        """Bring every door of a stay (or a staff rule) to its one code."""
        codes = self.owned.pop(stay.key, [])
        doors = stay.keypads or (stay.keypad,)
        readable = [door for door in doors if door.lock_id in self.actual]
        self.unreadable.update(door.lock_id for door in doors if door.lock_id not in self.actual)
        if not readable:
            return
        unit = stay.unit
        if stay.end is not None and self.now >= stay.end + self.settings.grace:
            for item in codes:
                self._delete(stay.key, item.code, Reason.ENDED, unit)
            return
        here = {door: [item for item in codes if item.keypad == door] for door in readable}
        elsewhere = [item for item in codes if item.keypad not in doors]
        if stay.end is not None and self.now >= stay.end:
            # Over, within the grace: leave the codes be, they change nothing now.
            self.unchanged.extend(
                Unchanged(stay.key, door, unit) for door in readable if here[door]
            )
            return
        if (
            not codes
            and isinstance(stay, Stay)
            and stay.keypad in here
            and (adoptable := self._adoptable(stay)) is not None
        ):
            here[stay.keypad] = [_Owned(adoptable, legacy=True)]
        due = stay.start is None or stay.start <= self.now + self.settings.horizon
        missing = [door for door in readable if not here[door]]
        # One PIN on every door: the remembered one while a code of the stay holds it (a
        # regenerated PIN reaches the other doors), else the oldest code's.
        held = [item.code for door in readable for item in here[door]]
        remembered = self.memory.get(stay.key)
        oldest = min(held, key=lambda code: code.id, default=None)
        target = remembered if remembered in {code.pin for code in held} else None
        target = target or (oldest.pin if oldest else None)
        for door in readable:
            if here[door]:
                self._keep(stay, door, here[door], target)
        if missing and due:
            reason = Reason.UNIT_MOVED if elsewhere else Reason.NEW_BOOKING
            kept = [items[0].code.pin for items in here.values() if items]
            moved = [item.code.pin for item in elsewhere]
            self._create(stay, missing, reason, [*kept, *moved])
        elif elsewhere and not any(here.values()):
            # Moved to a unit where it is not due yet: keep the guest's PIN for then.
            self.memory[stay.key] = elsewhere[0].code.pin
        if len(readable) < len(doors):
            return  # a door unread: the old codes stay until every new one can be made
        for item in elsewhere:
            # Moved by its source, or its unit's doors changed: the old code goes, unless a
            # guest may be using it now (it then goes once the stay is over). A staff rule's
            # doors are the host's own word: a door taken from it loses the code at once.
            if self._answered(stay.key, item) and (
                isinstance(stay, Grant) or not self._protected(stay.key, item.code)
            ):
                self._delete(stay.key, item.code, Reason.UNIT_MOVED, unit)

    def _adoptable(self, stay: Stay) -> AccessCode | None:
        # A name match only stands for a booking we never gave a PIN (or planned to adopt
        # with this very PIN): otherwise that PIN is the guest's and the look-alike is not.
        if stay.key.source not in self.legacy_kinds:
            return None
        remembered = self.memory.get(stay.key)
        candidates = self.untagged[stay.keypad]
        for code in candidates:
            if is_legacy_name_match(code, stay.booking) and remembered in (None, code.pin):
                candidates.remove(code)
                return code
        return None

    def _keep(
        self, stay: Stay | Grant, door: KeypadRef, codes: list[_Owned], target: str | None
    ) -> None:
        codes.sort(key=lambda item: (item.code.pin != target, item.legacy, item.code.id))
        kept, *duplicates = codes
        for item in duplicates:
            self._delete(stay.key, item.code, Reason.DUPLICATE, stay.unit)
        code = kept.code
        pin = code.pin
        if target is not None and pin != target and target not in self.taken[door]:
            pin = target
            self.taken[door].add(pin)
        self.memory[stay.key] = pin
        wanted = stay.code_fields(pin, notify=code.notify)
        reason = self._difference(code, wanted)
        if kept.legacy:
            kind, reason = ActionKind.ADOPT, Reason.OLD_SCRIPT_CODE
        elif reason is None:
            self.unchanged.append(Unchanged(stay.key, door, stay.unit))
            return
        else:
            kind = ActionKind.UPDATE
        self.actions.append(self._action(kind, reason, stay, door, code=code, fields=wanted))

    @staticmethod
    def _action(
        kind: ActionKind,
        reason: Reason,
        stay: Stay | Grant,
        door: KeypadRef,
        *,
        fields: CodeFields,
        code: AccessCode | None = None,
    ) -> Action:
        return Action(
            kind=kind,
            reason=reason,
            key=stay.key,
            keypad=door,
            unit=stay.unit,
            code=code,
            fields=fields,
            stay=stay if isinstance(stay, Stay) else None,
            grant=stay if isinstance(stay, Grant) else None,
        )

    @staticmethod
    def _difference(code: AccessCode, wanted: CodeFields) -> Reason | None:
        if code.pin != wanted.pin:
            return Reason.PIN_CHANGED
        if (code.start_date, code.start_time, code.end_date, code.end_time) != (
            wanted.start_date,
            wanted.start_time,
            wanted.end_date,
            wanted.end_time,
        ):
            return Reason.WINDOW_CHANGED
        if code.name != wanted.name:
            return Reason.NAME_CHANGED
        if code.description != wanted.description or not code.active:
            return Reason.DETAILS_CHANGED
        return None

    def _create(
        self, stay: Stay | Grant, doors: list[KeypadRef], reason: Reason, pins: list[str]
    ) -> None:
        """New codes on these doors, all with one PIN, free on each of them."""
        taken = set().union(*(self.taken[door] for door in doors))
        length = self.settings.pin_length
        pin = next(
            (
                candidate
                # The PIN the guest already has comes first: on another door, on the old
                # keypad, or remembered; then a staff member's own.
                for candidate in (*pins, self.memory.get(stay.key), stay.pin)
                if candidate is not None and is_digits(candidate) and candidate not in taken
            ),
            None,
        )
        if pin is None and self.settings.pin_method is PinMethod.PHONE and isinstance(stay, Stay):
            pin = phone_pin(stay.booking.phone, length, taken)
        if pin is None:
            try:
                pin = random_pin(length, taken, randbelow=self.randbelow)
            except PinSpaceExhaustedError:
                # A keypad full of codes holds back its own stays only.
                self.no_free_pin[stay.key] = doors[0]
                return
        self.memory[stay.key] = pin
        for door in doors:
            self.taken[door].add(pin)
            self.actions.append(
                self._action(ActionKind.CREATE, reason, stay, door, fields=stay.code_fields(pin))
            )

    # -- codes without a stay ----------------------------------------------------------

    def orphans(self) -> None:
        """Codes of ours without a stay: cancelled, blocked, unmanaged, over, or unlisted.

        A booking no source lists now keeps its code until the code is over: the listing
        may be incomplete, and only time or the source itself may take a guest's code.
        """
        for key, codes in self.owned.items():
            if key in self.desired.held:
                continue
            if key.source == STAFF:
                self._staff_orphans(key, codes)
                continue
            removal = self.desired.removed.get(key)
            for item in codes:
                if self._ended(item.code, grace=True) and (
                    not item.legacy or self._sources_of(key, item)
                ):
                    # Over: ours goes whichever source it came from (even one removed);
                    # the old script's only while its source is set up, as it did.
                    self._delete(key, item.code, Reason.ENDED, None)
                elif removal is None or not self._answered(key, item):
                    continue
                elif removal.reason is not Reason.UNIT_NOT_MANAGED or not self._protected(
                    key, item.code
                ):
                    self._delete(key, item.code, removal.reason, removal.booking.unit)

    def _staff_orphans(self, key: BookingKey, codes: list[_Owned]) -> None:
        """A staff code no rule wants: it goes on its rule's word, or once it is over."""
        verdict = self.desired.staff.verdict(key)
        parsed = parse_staff_key(key)
        if verdict is None and parsed is not None and parsed[1] is RuleKind.PERMANENT:
            verdict = Verdict.RULE_REMOVED  # the rule stands but names no door any more
        for item in codes:
            if self._ended(item.code, grace=True):
                self._delete(key, item.code, Reason.ENDED, None)
            elif verdict is not None:
                self._delete(key, item.code, Reason(verdict.value), None)

    def _delete(
        self, key: BookingKey, code: AccessCode, reason: Reason, unit: UnitKey | None
    ) -> None:
        if reason in FINAL_REASONS:
            self.memory.pop(key, None)
        self.actions.append(
            Action(
                kind=ActionKind.DELETE,
                reason=reason,
                key=key,
                keypad=KeypadRef(code.lock_id, code.keypad_id),
                unit=unit,
                code=code,
            )
        )

    def result(self) -> Plan:
        pins = self._live_pins()
        return Plan(
            actions=tuple(self.actions),
            unchanged=tuple(self.unchanged),
            pins=pins,
            guarded=self.guarded,
            unreadable_locks=frozenset(self.unreadable),
            no_free_pin=self.no_free_pin,
            on_keypads=self._on_keypads(pins),
        )

    def _on_keypads(self, pins: Mapping[BookingKey, str]) -> frozenset[BookingKey]:
        deleted = {a.code.id for a in self.actions if a.kind is ActionKind.DELETE and a.code}
        return frozenset(
            key
            for key, pin in pins.items()
            if any(code.pin == pin and code.id not in deleted for code in self.listed[key])
        )

    def _live_pins(self) -> dict[BookingKey, str]:
        # Remember PINs of bookings still around in any form; forget the rest.
        known = set(self.desired.stays) | set(self.desired.grants) | self.desired.held
        for snapshot in self.desired.sources.values():
            if not snapshot.ok:
                known.update(booking.key for booking in snapshot.bookings)
        known.update(self.owned)
        return {key: pin for key, pin in self.memory.items() if key in known}


def plan(
    desired: Desired,
    actual: Mapping[int, Sequence[AccessCode]],
    now: datetime,
    *,
    pins: Mapping[BookingKey, str] | None = None,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> Plan:
    """The actions that bring the listed keypads in line with the bookings.

    `actual` holds the codes of every lock that could be listed this cycle; stays on other
    locks are left for later. `pins` is the PIN memory kept from earlier cycles.
    """
    planner = _Planner(desired, actual, now, pins or {}, randbelow)
    for key in sorted(desired.stays):
        planner.stay(desired.stays[key])
    for key in sorted(desired.grants):
        planner.stay(desired.grants[key])
    planner.orphans()
    return planner.result()
