"""Property tests of staff codes and of units with several doors, through the planner.

Random sequences of steps (new bookings, moved dates, cancellations, time passing, staff
hired and let go, a member's turnover or permanent rule switched, visits granted, revoked
or lost) run on 2-4 units, some with a second door, one door perhaps a shared entrance.
Each cycle builds the desired codes (`build_desired` then `with_staff`), plans against
keypads kept in memory, applies the plan as the cloud would (tests/engine/test_properties.py's
`apply`: creates and updates first, deletions after) and keeps the plan's PIN memory.
After every cycle the keypads hold exactly what the rules ask for (plus what plan.py keeps
on purpose, each allowance spelt out below), PINs are unique per keypad, a stay's doors
share one PIN, no guest in the house nor a standing permanent code loses its code, and a
second plan has nothing to do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import count, pairwise
import random
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, find, given, settings, strategies as st
import pytest

from custom_components.lockbridge.api.models import AccessCode, CodeFields
from custom_components.lockbridge.engine.actions import Guard
from custom_components.lockbridge.engine.bookings import Booking, BookingKey, BookingStatus, UnitKey
from custom_components.lockbridge.engine.grants import with_staff
from custom_components.lockbridge.engine.ownership import MANUAL, parse_ownership, tag
from custom_components.lockbridge.engine.plan import (
    ActionKind,
    Desired,
    KeypadRef,
    Plan,
    Reason,
    Settings,
    SourceSnapshot,
    Stay,
    UnitConfig,
    build_desired,
    code_end,
    plan,
)
from custom_components.lockbridge.engine.staff import (
    GUEST_MEMBER,
    STAFF,
    Grant,
    Member,
    Role,
    RuleKind,
    Staff,
    TurnoverRule,
    Visit,
    parse_staff_key,
    staff_key,
    unit_ref,
)
from custom_components.lockbridge.engine.window import TimePolicy
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU
from tests.engine.harness import booking
from tests.engine.test_properties import apply, assert_unique_pins, describe, stored

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 6, 10, 10, 0, tzinfo=PARIS)
#: Each unit's first door, and its own second door (a second keypad of the same lock).
FRONT = tuple(KeypadRef(1 + index, "Kp") for index in range(4))
BACK = tuple(KeypadRef(1 + index, "Kp2") for index in range(4))
#: A building's entrance two units may share, and a storeroom only staff open.
HALL = KeypadRef(9, "Hall")
STOREROOM = KeypadRef(9, "Store")
DOORS = (*FRONT, *BACK, HALL, STOREROOM)
LOCKS = sorted({door.lock_id for door in DOORS})
UNITS = tuple(UnitKey(SMOOBU, str(100 + index)) for index in range(4))
#: Members' own PINs; foreign codes sometimes hold them already.
OWN_PINS = ("4826", "7391")
TURNOVERS = (TurnoverRule(), TurnoverRule(time(11, 0), time(15, 0)))
#: Codes that are not ours, whatever they look like: never targeted, never changed.
FOREIGN_DESCRIPTIONS = (
    "",
    "cleaning staff",
    "lockbridge:ffffffff:staff:m1.p",  # another installation's staff code
    "lockbridge:staff:m1.p",  # a first-style tag: only a booking a source knows is ours
    "lockbridge:smoobu:9999999",  # a first-style tag for a booking nobody lists
    tag(BookingKey(MANUAL, "1")),  # made by hand with the create_code action
)

Store = dict[int, AccessCode]


# -- the scenario ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One change between two cycles; `target` picks among what exists then."""

    kind: str  # book, move, cancel, wait, hire, fire, turnover, permanent, visit, revoke, forget
    target: int = 0
    amount: int = 0
    extra: int = 0


@dataclass(frozen=True)
class Scenario:
    units: Mapping[UnitKey, UnitConfig]
    settings: Settings
    #: The members that may be hired (a fired one comes back as they were first hired).
    roster: tuple[Member, ...]
    hired: frozenset[str]
    foreign: tuple[AccessCode, ...]
    steps: tuple[Step, ...]


INDEX = st.integers(0, 63)
BOOK = st.builds(Step, st.just("book"), INDEX, st.integers(-2, 12), st.integers(1, 5))
WAIT = st.builds(Step, st.just("wait"), amount=st.sampled_from([1, 2, 3, 5, 8, 12, 24, 48, 72]))
MOVE = st.builds(Step, st.just("move"), INDEX, st.sampled_from([-2, -1, 1, 2, 3]))
STEPS = st.one_of(
    # Bookings and time come most often: they move the turnovers and end the stays.
    BOOK,
    BOOK,
    WAIT,
    WAIT,
    MOVE,
    st.builds(Step, st.just("cancel"), INDEX),
    st.builds(Step, st.just("hire"), INDEX),
    st.builds(Step, st.just("fire"), INDEX),
    st.builds(Step, st.just("turnover"), INDEX, st.integers(0, 1)),
    st.builds(Step, st.just("permanent"), INDEX),
    st.builds(Step, st.just("visit"), INDEX, st.integers(-30, 96), st.integers(1, 48)),
    st.builds(Step, st.just("revoke"), INDEX),
    st.builds(Step, st.just("forget"), INDEX),
)
POLICIES = st.sampled_from(
    [
        TimePolicy(),
        TimePolicy(buffer_before=timedelta(minutes=30), buffer_after=timedelta(minutes=45)),
        TimePolicy(check_in=time(16, 0), check_out=time(10, 0)),
    ]
)


def order(door: KeypadRef) -> tuple[int, str]:
    return door.lock_id, door.keypad_id


def pick[T](items: Sequence[T], index: int) -> T:
    return items[index % len(items)]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    size = draw(st.integers(2, 4))
    units: dict[UnitKey, UnitConfig] = {}
    for index, unit in enumerate(UNITS[:size]):
        # The first unit always has a second door; "again" lists its first door twice.
        choices = ["back", "hall", "both"] if index == 0 else ["none", "back", "hall", "again"]
        more = {
            "none": (),
            "back": (BACK[index],),
            "hall": (HALL,),
            "both": (BACK[index], HALL),
            "again": (FRONT[index],),
        }[draw(st.sampled_from(choices))]
        units[unit] = UnitConfig(FRONT[index], draw(POLICIES), doors=more)
    plan_settings = Settings(
        horizon=timedelta(days=draw(st.sampled_from([90, 90, 2]))),
        grace=timedelta(hours=draw(st.sampled_from([24, 24, 6, 0]))),
    )
    roster = tuple(
        Member(
            member_id=f"m{number}",
            name=f"Staff {number}",
            role=draw(st.sampled_from(Role)),
            units=tuple(
                draw(st.lists(st.sampled_from(list(units)), min_size=1, max_size=3, unique=True))
            ),
            doors=draw(st.sampled_from([(), (), (STOREROOM,), (HALL,)])),
            pin=draw(st.sampled_from([None, *OWN_PINS])),
            turnover=draw(st.sampled_from([None, TURNOVERS[0], *TURNOVERS])),
            permanent=draw(st.booleans()),
        )
        for number in (1, 2, 3)
    )
    hired = frozenset(draw(st.sets(st.sampled_from([member.member_id for member in roster]))))
    foreign: list[AccessCode] = []
    doors = sorted(
        {door for config in units.values() for door in config.keypads} | {STOREROOM}, key=order
    )
    for door in doors:
        number = draw(st.integers(0, 2))
        pins = draw(
            st.lists(
                st.sampled_from(OWN_PINS) | st.text("0123456789", min_size=4, max_size=4),
                min_size=number,
                max_size=number,
                unique=True,
            )
        )
        for pin in pins:
            foreign.append(
                AccessCode(
                    id=len(foreign) + 1,
                    lock_id=door.lock_id,
                    keypad_id=door.keypad_id,
                    name=draw(st.sampled_from(["Cleaner", "Owner", "smoobu Guest 1"])),
                    pin=pin,
                    start_date=None,
                    end_date=None,
                    description=draw(st.sampled_from(FOREIGN_DESCRIPTIONS)),
                )
            )
    # A few bookings first, then anything.
    steps = (
        *draw(st.lists(BOOK, min_size=1, max_size=5)),
        *draw(st.lists(STEPS, min_size=5, max_size=25)),
    )
    return Scenario(units, plan_settings, roster, hired, tuple(foreign), steps)


# -- the world, in memory ------------------------------------------------------------------


def listing(store: Store) -> dict[int, tuple[AccessCode, ...]]:
    """Every lock listed, even without codes."""
    found: dict[int, list[AccessCode]] = {lock_id: [] for lock_id in LOCKS}
    for code in store.values():
        found[code.lock_id].append(code)
    return {lock_id: tuple(codes) for lock_id, codes in found.items()}


@dataclass
class Model:
    """The bookings, the staff rules, the clock and the keypads between cycles."""

    scenario: Scenario
    now: datetime = START
    bookings: dict[BookingKey, Booking] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    visits: dict[str, Visit] = field(default_factory=dict)
    store: Store = field(default_factory=dict)
    memory: Mapping[BookingKey, str] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: count(1000))
    cycles: int = 0
    granted: int = 0

    def desired(self) -> Desired:
        snapshot = SourceSnapshot(True, tuple(self.bookings.values()))
        guests = build_desired(
            {SMOOBU: snapshot},
            self.scenario.units,
            zones={},
            default_zone=PARIS,
            settings=self.scenario.settings,
        )
        return with_staff(guests, Staff(dict(self.members), dict(self.visits)), self.now)

    def take(self, step: Step) -> None:
        roster = self.scenario.roster
        member = pick(roster, step.target).member_id
        confirmed = [
            key for key, item in self.bookings.items() if item.status is BookingStatus.CONFIRMED
        ]
        match step.kind:
            case "book":
                number = len(self.bookings) + 1
                arrival = self.now.date() + timedelta(days=step.amount)
                item = booking(
                    f"B{number}",
                    pick(list(self.scenario.units), step.target).unit_id,
                    arrival,
                    arrival + timedelta(days=step.extra),
                    f"Guest {number}",
                )
                self.bookings[item.key] = item
            case "move" if confirmed:
                item = self.bookings[pick(confirmed, step.target)]
                shift = timedelta(days=step.amount)
                self.bookings[item.key] = replace(
                    item, arrival=item.arrival + shift, departure=item.departure + shift
                )
            case "cancel" if confirmed:
                key = pick(confirmed, step.target)
                self.bookings[key] = replace(self.bookings[key], status=BookingStatus.CANCELLED)
            case "wait":
                self.now += timedelta(hours=step.amount)
            case "hire" if member not in self.members:
                self.members[member] = pick(roster, step.target)
            case "fire":
                self.members.pop(member, None)
            case "turnover" if member in self.members:
                current = self.members[member]
                rule = None if current.turnover else TURNOVERS[step.amount]
                self.members[member] = replace(current, turnover=rule)
            case "permanent" if member in self.members:
                current = self.members[member]
                self.members[member] = replace(current, permanent=not current.permanent)
            case "visit":
                # Visit ids are never reused, even once the store lost one.
                self.granted += 1
                number = self.granted
                rng = random.Random(step.target)
                start = self.now + timedelta(hours=step.amount)
                self.visits[f"v{number}"] = Visit(
                    visit_id=f"v{number}",
                    member_id=pick([*(item.member_id for item in roster), GUEST_MEMBER], number),
                    name=f"Visitor {number}",
                    doors=tuple(rng.sample(sorted(self.doors(), key=order), rng.randint(1, 3))),
                    start=start,
                    end=start + timedelta(hours=step.extra),
                )
            case "revoke" if self.visits:
                visit = pick(list(self.visits), step.target)
                self.visits[visit] = replace(self.visits[visit], revoked=True)
            case "forget" if self.visits:
                # The staff store lost it: its codes are kept to their own end.
                del self.visits[pick(list(self.visits), step.target)]
            case _:
                pass  # nothing to move, cancel, switch or revoke

    def doors(self) -> set[KeypadRef]:
        units = self.scenario.units.values()
        return {door for config in units for door in config.keypads} | {STOREROOM}

    def cycle(self) -> tuple[Desired, Plan]:
        """Plan, apply, and check everything the keypads must be after it."""
        desired = self.desired()
        self.cycles += 1
        planned = plan(
            desired,
            listing(self.store),
            self.now,
            pins=self.memory,
            randbelow=random.Random(self.cycles).randrange,
        )
        check_grants(desired, self)
        check_nothing_vital_deleted(desired, planned, self.now)
        check_deletions_have_evidence(desired, planned, self.now)
        for action in planned.actions:
            assert action.code is None or action.code.id not in foreign_ids(self), str(action)
        self.store = apply(self.store, planned, self.ids)
        self.memory = planned.pins
        # Foreign codes never change.
        assert [self.store.get(code.id) for code in self.scenario.foreign] == list(
            self.scenario.foreign
        )
        assert_unique_pins(self.store)
        check_keypads(desired, self.store, self.now, planned.pins)
        again = plan(
            desired,
            listing(self.store),
            self.now,
            pins=self.memory,
            randbelow=random.Random(-self.cycles).randrange,
        )
        assert not again.actions, describe(again)
        return desired, planned


def foreign_ids(model: Model) -> set[int]:
    return {code.id for code in model.scenario.foreign}


# -- the checks ----------------------------------------------------------------------------


def shape(fields: CodeFields) -> tuple[object, ...]:
    """What a code must carry for its rule (not its PIN, nor the notify flag it was made with)."""
    return (
        fields.name,
        fields.start_date,
        fields.start_time,
        fields.end_date,
        fields.end_time,
        fields.description,
        fields.active,
    )


def ours(desired: Desired, store: Store) -> dict[BookingKey, list[AccessCode]]:
    """Our codes by key: our owner's tag. Codes made by hand, other installations' and the
    first tags (all of them name bookings nobody lists here) are foreign."""
    found: dict[BookingKey, list[AccessCode]] = defaultdict(list)
    for code in store.values():
        owned = parse_ownership(code.description)
        if owned is not None and owned.owner == desired.owner and owned.key.source != MANUAL:
            found[owned.key].append(code)
    return found


def door_of(code: AccessCode) -> KeypadRef:
    return KeypadRef(code.lock_id, code.keypad_id)


def check_keypads(
    desired: Desired, store: Store, now: datetime, pins: Mapping[BookingKey, str]
) -> None:
    """Each door holds exactly the codes its rules ask for, and only what plan.py keeps."""
    held = ours(desired, store)
    horizon, grace = desired.settings.horizon, desired.settings.grace
    rules: list[Stay | Grant] = [*desired.stays.values(), *desired.grants.values()]
    for rule in rules:
        codes = held.pop(rule.key, [])
        doors = rule.keypads or (rule.keypad,)
        by_door: dict[KeypadRef, list[AccessCode]] = defaultdict(list)
        for code in codes:
            by_door[door_of(code)].append(code)
        assert set(by_door) <= set(doors), (rule.key, "a code off its doors")
        # One PIN on every door of a stay (and of a staff rule).
        assert len({code.pin for code in codes}) <= 1, (rule.key, "PINs differ between doors")
        if rule.end is not None and now >= rule.end + grace:
            assert codes == [], (rule.key, "over, yet still on a keypad")
            continue
        # At most one code per door, whatever the state.
        assert all(len(items) == 1 for items in by_door.values()), (rule.key, "duplicates")
        if rule.end is not None and now >= rule.end:
            # Allowed: over within the grace, plan.stay leaves its codes be (as they were).
            continue
        if rule.start is None or rule.start <= now + horizon:
            # Due: exactly one code on each of its doors, with the rule's window and name.
            assert set(by_door) == set(doors), (rule.key, "a door without its code")
        # Allowed: a stay not due yet (moved past the horizon) keeps the codes it has, brought
        # to its window (plan.stay keeps each door's code whatever `due`), but gets no new one.
        for code in codes:
            assert shape(code) == shape(rule.code_fields(code.pin)), (rule.key, code)
            assert pins.get(rule.key) == code.pin, (rule.key, "PIN memory is not the PIN held")
    for key, codes in held.items():
        # Codes of ours that no rule wants now.
        for code in codes:
            end = code_end(code, desired.zone(code.lock_id))
            assert end is None or now < end + grace, (key, "over, yet still on a keypad")
            if key.source == STAFF:
                # Allowed: a staff code goes only on its own rule's word (plan._staff_orphans,
                # Staff.verdict): a visit the store lost, or a turnover rule still in force
                # with no next window (its stays cancelled or over), keeps its code to its
                # end; a fired member, a rule switched off or a revoked visit has none.
                assert desired.staff.verdict(key) is None, (key, "its rule is gone")
            else:
                # Allowed: a booking the source no longer lists keeps its code until it is
                # over (plan.orphans). A cancelled one (the source said so) has none.
                assert key not in desired.removed, (key, "cancelled, yet still on a keypad")


def check_nothing_vital_deleted(desired: Desired, planned: Plan, now: datetime) -> None:
    """No code of a guest in the house, nor of a standing permanent rule, is deleted."""
    for action in planned.actions:
        if action.kind is not ActionKind.DELETE:
            continue
        stay = desired.stays.get(action.key)
        if stay is not None:
            assert not stay.start <= now < stay.end, ("guest in the house", str(action))
        parsed = parse_staff_key(action.key)
        if parsed is not None and parsed[1] is RuleKind.PERMANENT:
            member = desired.staff.members.get(parsed[0])
            assert member is None or not member.permanent, ("standing rule", str(action))


def check_deletions_have_evidence(desired: Desired, planned: Plan, now: datetime) -> None:
    """A code goes only on evidence about its own booking or rule (plan.py's rules).

    Never a duplicate nor a moved code here: every rule's doors are fixed in this model.
    """
    grace = desired.settings.grace
    for action in planned.actions:
        if action.kind is not ActionKind.DELETE:
            continue
        assert action.code is not None
        rule = desired.stays.get(action.key) or desired.grants.get(action.key)
        if action.reason is Reason.ENDED:
            # Its rule's window, or (for a code no rule wants) its own, is over + the grace.
            rule_end = rule.end if rule is not None else None
            code_ends = code_end(action.code, desired.zone(action.code.lock_id))
            end = rule_end or code_ends
            assert end is not None, str(action)
            assert now >= end + grace, str(action)
        elif action.reason is Reason.CANCELLED:
            removal = desired.removed.get(action.key)
            assert removal is not None, str(action)
            assert removal.reason is Reason.CANCELLED, str(action)
        else:
            # A staff rule's own word: its member fired, its rule switched off, its visit
            # revoked (Staff.verdict), and never for a rule that still wants the code.
            verdict = desired.staff.verdict(action.key)
            assert rule is None, str(action)
            assert verdict is not None, str(action)
            assert action.reason == verdict.value, str(action)


def expected_turnover(
    stays: Sequence[Stay], rule: TurnoverRule, now: datetime
) -> tuple[datetime, datetime] | None:
    """The unit's next cleaning window, worked out apart from engine/grants.py.

    Each check-out opens one: to the first check-in at or after it that day, else to 23:59
    (or the rule's fixed hours on the check-out day); the first not over yet is the one.
    """
    windows = []
    for leaving in stays:
        out = (leaving.check_out or leaving.end).astimezone(PARIS)
        if rule.start is not None and rule.end is not None:
            start = datetime.combine(out.date(), rule.start, PARIS)
            end = datetime.combine(out.date(), rule.end, PARIS)
        else:
            arrivals = [
                arriving.check_in or arriving.start
                for arriving in stays
                if (arriving.check_in or arriving.start) >= out
            ]
            start = out
            end = min([datetime.combine(out.date(), time(23, 59), PARIS), *arrivals])
        if end > start:
            windows.append((start, end))
    return min((window for window in windows if window[1] > now), default=None)


def overlap(stays: Sequence[Stay]) -> bool:
    spans = sorted((stay.start, stay.end) for stay in stays)
    return any(later[0] < earlier[1] for earlier, later in pairwise(spans))


def check_grants(desired: Desired, model: Model) -> None:
    """The staff rules' codes, as the rules say them (an oracle apart from engine/grants.py)."""
    units = model.scenario.units
    wanted: dict[BookingKey, tuple[frozenset[KeypadRef], datetime | None, datetime | None]] = {}
    unsure: set[BookingKey] = set()
    for member in model.members.values():
        if member.permanent:
            doors = {door for unit in member.units for door in units[unit].keypads}
            wanted[staff_key(member.member_id, RuleKind.PERMANENT)] = (
                frozenset(doors | set(member.doors)),
                None,
                None,
            )
        for unit in member.units if member.turnover else ():
            key = staff_key(member.member_id, RuleKind.TURNOVER, unit_ref(unit))
            stays = [stay for stay in desired.stays.values() if stay.unit == unit]
            if overlap(stays):
                # A double booking has no single "next guest": not checked here.
                unsure.add(key)
                continue
            assert member.turnover is not None
            window = expected_turnover(stays, member.turnover, model.now)
            if window is not None:
                wanted[key] = (frozenset(units[unit].keypads), *window)
    for visit in model.visits.values():
        if not visit.revoked:
            key = staff_key(visit.member_id, RuleKind.VISIT, visit.visit_id)
            wanted[key] = (frozenset(visit.doors), visit.start, visit.end)
    found = {
        key: (frozenset(grant.keypads), grant.start, grant.end)
        for key, grant in desired.grants.items()
        if key not in unsure
    }
    assert found == wanted
    for grant in desired.grants.values():
        # The first door first: the grant's zone and the code's window come from it.
        if grant.unit is not None:
            assert grant.keypads == units[grant.unit].keypads


# -- the property --------------------------------------------------------------------------

PROPERTIES = settings(
    max_examples=300,
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# Hypothesis 6.148 on Python 3.14 warns of its own PRNG when a derandomized test starts
# (a refcount heuristic in hypothesis/internal/entropy.py): nothing of this test's.
@pytest.mark.filterwarnings("ignore:It looks like `register_random`")
@PROPERTIES
@given(scenario=scenarios())
def test_staff_and_guests_codes_stay_right_on_every_door(scenario: Scenario) -> None:
    model = Model(scenario)
    model.members = {
        member.member_id: member for member in scenario.roster if member.member_id in scenario.hired
    }
    model.store = {code.id: code for code in scenario.foreign}
    model.cycle()
    for step in scenario.steps:
        model.take(step)
        model.cycle()


@pytest.mark.parametrize(
    "kind",
    [
        "book",
        "move",
        "cancel",
        "wait",
        "hire",
        "fire",
        "turnover",
        "permanent",
        "visit",
        "revoke",
        "forget",
    ],
)
def test_the_step_model_meets_every_step(kind: str) -> None:
    """The strategy reaches each kind of step (a guard against a model that tests nothing)."""
    assert find(STEPS, lambda step: step.kind == kind).kind == kind


# -- examples ------------------------------------------------------------------------------

UNIT = UNITS[0]
DAY = START.date()


def cycle(
    desired: Desired, store: Store, now: datetime, memory: Mapping[BookingKey, str]
) -> tuple[Plan, Store]:
    """Plan and apply once; the next plan must have nothing to do."""
    planned = plan(desired, listing(store), now, pins=memory, randbelow=random.Random(3).randrange)
    after = apply(store, planned, count(max(store, default=0) + 1))
    again = plan(desired, listing(after), now, pins=planned.pins)
    assert not again.actions, describe(again)
    return planned, after


def desired_of(
    bookings: Sequence[Booking],
    staff: Staff,
    now: datetime,
    *,
    units: Mapping[UnitKey, UnitConfig],
    snapshot: SourceSnapshot | None = None,
) -> Desired:
    guests = build_desired(
        {SMOOBU: snapshot or SourceSnapshot(True, tuple(bookings))},
        units,
        zones={},
        default_zone=PARIS,
    )
    return with_staff(guests, staff, now)


@pytest.mark.parametrize(
    ("move", "end"),
    [
        (lambda item: replace(item, check_in=time(14, 0)), (DAY + timedelta(1), time(14, 0))),
        (
            lambda item: replace(
                item, arrival=item.arrival + timedelta(1), departure=item.departure + timedelta(1)
            ),
            (DAY + timedelta(1), time(23, 59)),  # nobody arrives that day: the day is theirs
        ),
    ],
    ids=["earlier_check_in", "arrival_a_day_later"],
)
def test_moving_the_next_check_in_moves_the_turnover_end(
    move: Callable[[Booking], Booking], end: tuple[date, time]
) -> None:
    units = {UNIT: UnitConfig(FRONT[0], TimePolicy(use_booking_times=True), doors=(HALL,))}
    leaving = booking("B1", UNIT.unit_id, DAY - timedelta(2), DAY + timedelta(1), "Ann")
    arriving = booking("B2", UNIT.unit_id, DAY + timedelta(1), DAY + timedelta(4), "Bob")
    cleaner = Member(
        member_id="m1", name="Carla", role=Role.CLEANER, units=(UNIT,), turnover=TurnoverRule()
    )
    staff = Staff({"m1": cleaner})
    key = staff_key("m1", RuleKind.TURNOVER, unit_ref(UNIT))

    first, store = cycle(desired_of([leaving, arriving], staff, START, units=units), {}, START, {})
    made = [action for action in first.actions if action.key == key]
    assert [(action.kind, action.keypad) for action in made] == [
        (ActionKind.CREATE, FRONT[0]),
        (ActionKind.CREATE, HALL),
    ]
    for action in made:
        assert action.fields is not None
        assert (action.fields.start_date, action.fields.start_time) == (
            DAY + timedelta(1),
            time(12),
        )
        assert (action.fields.end_date, action.fields.end_time) == (DAY + timedelta(1), time(15))

    desired = desired_of([leaving, move(arriving)], staff, START, units=units)
    moved, _ = cycle(desired, store, START, first.pins)

    updates = [action for action in moved.actions if action.key == key]
    assert [(action.kind, action.reason, action.keypad) for action in updates] == [
        (ActionKind.UPDATE, Reason.WINDOW_CHANGED, FRONT[0]),
        (ActionKind.UPDATE, Reason.WINDOW_CHANGED, HALL),
    ]
    for action in updates:
        assert action.fields is not None
        assert action.code is not None
        assert (action.fields.end_date, action.fields.end_time) == end
        assert action.fields.pin == action.code.pin  # the cleaner keeps their PIN
    # The guest's own code moves with the booking; nothing else changes.
    others = {action.key for action in moved.actions} - {key}
    assert others <= {arriving.key}


def _staffed_house() -> tuple[dict[UnitKey, UnitConfig], list[Booking], Staff]:
    """Two units behind a shared entrance, guests in the house and due, every kind of rule."""
    units = {
        UNITS[0]: UnitConfig(FRONT[0], doors=(HALL,)),
        UNITS[1]: UnitConfig(FRONT[1], doors=(BACK[1], HALL)),
    }
    bookings = [
        booking("B1", UNITS[0].unit_id, DAY - timedelta(2), DAY + timedelta(1), "Ann"),
        booking("B2", UNITS[0].unit_id, DAY + timedelta(1), DAY + timedelta(3), "Bob"),
        booking("B3", UNITS[1].unit_id, DAY - timedelta(1), DAY, "Cem"),  # leaves today
        booking("B4", UNITS[1].unit_id, DAY + timedelta(5), DAY + timedelta(8), "Dua"),
    ]
    cleaner = Member(
        member_id="m1",
        name="Carla",
        role=Role.CLEANER,
        units=tuple(units),
        pin="4826",
        turnover=TurnoverRule(),
        permanent=True,
        doors=(STOREROOM,),
    )
    plumber = Visit(
        visit_id="v1",
        member_id=GUEST_MEMBER,
        name="Plumber",
        doors=(HALL, FRONT[1]),
        start=START - timedelta(hours=1),
        end=START + timedelta(hours=6),
    )
    return units, bookings, Staff({"m1": cleaner}, {"v1": plumber})


@pytest.mark.parametrize("source", ["empty", "failed", "failed_with_last_bookings"])
@pytest.mark.parametrize("later", [timedelta(0), timedelta(hours=3)])
def test_an_empty_or_failed_source_deletes_no_code(source: str, later: timedelta) -> None:
    units, bookings, staff = _staffed_house()
    first, store = cycle(desired_of(bookings, staff, START, units=units), {}, START, {})
    kinds = {parse_staff_key(action.key) is not None for action in first.actions}
    assert kinds == {True, False}  # guests' and staff codes were both made
    assert {action.kind for action in first.actions} == {ActionKind.CREATE}

    snapshot = {
        "empty": SourceSnapshot(True),
        "failed": SourceSnapshot(False),
        "failed_with_last_bookings": SourceSnapshot(False, tuple(bookings)),
    }[source]
    now = START + later
    desired = desired_of(bookings, staff, now, units=units, snapshot=snapshot)
    broken = plan(desired, listing(store), now, pins=first.pins)

    assert [str(a) for a in broken.actions if a.kind is ActionKind.DELETE] == []
    guard = Guard.SOURCE_EMPTY if source == "empty" else Guard.SOURCE_FAILED
    assert broken.guarded == {SMOOBU: guard}
    # Every PIN is still remembered: the codes are all on the keypads.
    assert set(broken.pins) == set(first.pins)


def test_one_door_units_plan_as_before() -> None:
    """Today's unit map (one keypad each) plans the same with the staff step, and converges."""
    kp1, kp2 = KeypadRef(1, "Kp1"), KeypadRef(1, "Kp2")
    units = {
        UnitKey(SMOOBU, "100"): UnitConfig(kp1),
        UnitKey(SMOOBU, "101"): UnitConfig(kp2, doors=(kp2,)),  # its one door named twice
    }
    assert [unit.keypads for unit in units.values()] == [(kp1,), (kp2,)]
    stays = [
        booking(7, "100", DAY - timedelta(1), DAY + timedelta(2), "John Doe"),
        booking(8, "101", DAY + timedelta(3), DAY + timedelta(5), "Maria Keller"),
    ]
    snapshot = SourceSnapshot(True, tuple(stays), legacy=True)
    before = build_desired({SMOOBU: snapshot}, units, zones={}, default_zone=PARIS)
    after = with_staff(before, Staff(), START)
    assert after.grants == {}
    assert [stay.keypads for stay in after.stays.values()] == [(kp1,), (kp2,)]

    old = plan(before, {1: []}, START, randbelow=random.Random(5).randrange)
    new = plan(after, {1: []}, START, randbelow=random.Random(5).randrange)

    assert new.actions == old.actions
    assert [(a.kind, a.keypad) for a in new.actions] == [
        (ActionKind.CREATE, kp1),
        (ActionKind.CREATE, kp2),
    ]
    store = apply({}, new, count(1))
    assert not plan(after, listing(store), START, pins=new.pins).actions


def test_a_move_beyond_the_horizon_converges_with_the_staff_step() -> None:
    # test_properties.test_a_move_beyond_the_horizon_converges, through with_staff.
    now = datetime(2026, 6, 10, 10, 0, tzinfo=PARIS)
    units = {UnitKey(SMOOBU, "100"): UnitConfig(KeypadRef(1, "Kp1"))}
    stay = booking(7, "100", date(2026, 9, 20), date(2026, 9, 22), "John Doe")  # past 90 days
    snapshot = SourceSnapshot(True, (stay,), legacy=True)
    desired = with_staff(
        build_desired({SMOOBU: snapshot}, units, zones={}, default_zone=PARIS), Staff(), now
    )
    by_name = AccessCode(
        id=1,
        lock_id=1,
        keypad_id="Kp1",
        name="smoobu John Doe",
        pin="5820",
        start_date=stay.arrival,
        end_date=stay.departure,
    )
    ours_elsewhere = stored(2, KeypadRef(1, "Kp2"), desired.stays[stay.key].code_fields("6311"))

    first = plan(desired, {1: [by_name, ours_elsewhere]}, now)
    second = plan(desired, {1: [by_name]}, now, pins=first.pins)

    assert [str(action) for action in first.actions] == [
        "delete smoobu:7 on lock 1 keypad Kp2 code 2 (unit_moved)"
    ]
    assert first.pins == {stay.key: "6311"}
    assert not second.actions, describe(second)


@pytest.mark.parametrize(
    "edit",
    [
        lambda member: replace(member, doors=()),  # the storeroom taken from the rule
        lambda member: replace(member, units=(), doors=(), turnover=None),  # no door at all
    ],
    ids=["a_door_taken", "every_door_taken"],
)
def test_a_door_taken_from_a_permanent_rule_loses_its_code(
    edit: Callable[[Member], Member],
) -> None:
    """The host's edit of the rule is its evidence: the code goes at once, in use or not."""
    units, bookings, staff = _staffed_house()
    first, store = cycle(desired_of(bookings, staff, START, units=units), {}, START, {})
    on_store = [c for c in store.values() if door_of(c) == STOREROOM and ".p" in c.description]
    assert on_store, "the permanent code was made on the storeroom"

    edited = Staff({"m1": edit(staff.members["m1"])}, staff.visits)
    later = START + timedelta(days=30)
    desired = desired_of(bookings, edited, later, units=units)
    planned = plan(desired, listing(store), later, pins=first.pins)
    deleted = {a.code.id for a in planned.actions if a.kind is ActionKind.DELETE and a.code}
    assert {code.id for code in on_store} <= deleted


def test_with_overlapping_stays_the_turnover_ends_at_the_first_check_in_after_it() -> None:
    """A room type's stays overlap: the window runs to the next check-in, not the next start."""
    units = {UNIT: UnitConfig(FRONT[0])}
    bookings = [
        booking("A", UNIT.unit_id, DAY, DAY + timedelta(2), "Ann"),  # leaves day 2 at 12:00
        booking("B", UNIT.unit_id, DAY + timedelta(1), DAY + timedelta(5), "Bob"),
        booking("C", UNIT.unit_id, DAY + timedelta(2), DAY + timedelta(4), "Cem"),  # 15:00
    ]
    cleaner = Member(member_id="m1", name="Carla", units=(UNIT,), turnover=TurnoverRule())
    desired = desired_of(bookings, Staff({"m1": cleaner}), START, units=units)
    grant = desired.grants[staff_key("m1", RuleKind.TURNOVER, unit_ref(UNIT))]
    assert (grant.start, grant.end) == (
        datetime.combine(DAY + timedelta(2), time(12, 0), PARIS),
        datetime.combine(DAY + timedelta(2), time(15, 0), PARIS),
    )
