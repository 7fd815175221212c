"""The sync cycle against The Keys simulator, case by case (DESIGN.md "From booking to code")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.lockbridge.api.models import AccessCode
from custom_components.lockbridge.engine.apply import SyncResult
from custom_components.lockbridge.engine.bookings import (
    Booking,
    BookingKey,
    BookingStatus,
    Normalised,
    Rejection,
    RejectReason,
    UnitKey,
)
from custom_components.lockbridge.engine.ownership import tag
from custom_components.lockbridge.engine.plan import (
    ActionKind,
    Desired,
    Guard,
    KeypadRef,
    Reason,
    SourceSnapshot,
    UnitConfig,
    build_desired,
    lock_zones,
    plan,
)
from custom_components.lockbridge.engine.window import TimePolicy
from custom_components.lockbridge.sources.hotelrunner_records import KIND as HOTELRUNNER
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU
from tests.engine.harness import PARIS, Cycle, at, booking, thekeys_client
from tests.fakes.thekeys import SimCode, TheKeysSimulator

LOFT = KeypadRef(3001, "KpXy34Zt")
STUDIO_DOOR = KeypadRef(3002, "KpCc22Dd")
STUDIO_GATE = KeypadRef(3002, "KpAa11Bb")
UNITS = {
    UnitKey(SMOOBU, "101"): UnitConfig(LOFT),
    UnitKey(SMOOBU, "102"): UnitConfig(STUDIO_DOOR, TimePolicy(use_booking_times=True)),
    UnitKey(HOTELRUNNER, "HR:1"): UnitConfig(STUDIO_GATE),
}
TODAY = date(2026, 6, 10)
NOW = at(TODAY)
ARRIVAL = date(2026, 6, 12)
DEPARTURE = date(2026, 6, 15)
MARIA = booking(500, 101, ARRIVAL, DEPARTURE, "Maria Keller")
KEY = MARIA.key
IN_HOUSE = at(ARRIVAL + timedelta(days=1))


@pytest.fixture
def cycle(session: aiohttp.ClientSession, thekeys_sim: TheKeysSimulator, thekeys_url: str) -> Cycle:
    """Sync cycles on the simulator's two locks."""
    return Cycle(thekeys_sim, thekeys_client(session, thekeys_url, thekeys_sim), UNITS)


def kinds(result: SyncResult) -> list[tuple[ActionKind, Reason]]:
    return [(action.kind, action.reason) for action in result.plan.actions]


def ours(sim: TheKeysSimulator, key: BookingKey = KEY) -> list[SimCode]:
    return [code for code in sim.codes() if code.description == tag(key)]


def seed_code(sim: TheKeysSimulator, keypad: KeypadRef, name: str, pin: str, **kwargs) -> int:
    kwargs.setdefault("start", ARRIVAL)
    kwargs.setdefault("end", DEPARTURE)
    return sim.add_code(keypad.lock_id, keypad.keypad_id, name, pin, **kwargs)


# --- the table ------------------------------------------------------------------------


@dataclass
class Case:
    """First cycle (`before`), then the cycle under test (`after`)."""

    before: Sequence[Booking]
    after: Sequence[Booking]
    expected: list[tuple[ActionKind, Reason]]
    seed: Callable[[TheKeysSimulator], object] = lambda _sim: None
    now: datetime = NOW
    ok: bool = True
    rejected: Sequence[Rejection] = ()
    #: Checks on the simulator after the cycle under test.
    check: Callable[[TheKeysSimulator, dict[str, str]], None] = lambda _sim, _pins: None
    extra: dict[str, object] = field(default_factory=dict)
    guarded: dict[str, Guard] = field(default_factory=dict)


def one_code_on(keypad: KeypadRef) -> Callable[[TheKeysSimulator, dict[str, str]], None]:
    """Exactly one code for the booking, on `keypad`, with the PIN it had before (if any)."""

    def check(sim: TheKeysSimulator, pins: dict[str, str]) -> None:
        [code] = ours(sim)
        assert (code.lock_id, code.id_accessoire) == (keypad.lock_id, keypad.keypad_id)
        assert code.code == pins.get("before", code.code)

    return check


def no_code(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
    assert ours(sim) == []


def one_code(sim: TheKeysSimulator, pins: dict[str, str]) -> None:
    [code] = ours(sim)
    if "before" in pins:
        assert code.code == pins["before"]


def foreign_untouched(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
    names = sorted(code.name for code in sim.codes() if not code.description)
    assert names == ["Maria Keller", "smoobu Maria Keller"]
    [code] = ours(sim)
    assert code.code not in {"4826", "7391"}


def adopted(pin: str) -> Callable[[TheKeysSimulator, dict[str, str]], None]:
    def check(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
        [code] = sim.codes()
        assert (code.code, code.description, code.name) == (pin, tag(KEY), "smoobu Maria Keller")

    return check


def codes_on(*keypads: KeypadRef) -> Callable[[TheKeysSimulator, dict[str, str]], None]:
    """One code per keypad, all with the PIN the booking had."""

    def check(sim: TheKeysSimulator, pins: dict[str, str]) -> None:
        codes = ours(sim)
        assert sorted((c.lock_id, c.id_accessoire) for c in codes) == sorted(
            (keypad.lock_id, keypad.keypad_id) for keypad in keypads
        )
        assert {code.code for code in codes} == {pins["before"]}

    return check


def foreign_tag_left(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
    [foreign] = [code for code in sim.codes() if code.description == tag(KEY, "ffffffff")]
    assert foreign.code == "5173"
    assert len(ours(sim)) == 1


def first_style_left(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
    [code] = [code for code in sim.codes() if code.description == "lockbridge:smoobu:77"]
    assert code.code == "5173"


def old_script_code_left(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
    [code] = [code for code in sim.codes() if code.description == "Smoobu#77"]
    assert code.code == "5173"


def left_alone(description: str) -> Callable[[TheKeysSimulator, dict[str, str]], None]:
    """The host's code that mentions a tag is as it was."""

    def check(sim: TheKeysSimulator, _pins: dict[str, str]) -> None:
        [code] = [code for code in sim.codes() if code.description == description]
        assert (code.name, code.code, code.start, code.end) == (
            "Cleaner",
            "5173",
            ARRIVAL,
            DEPARTURE,
        )

    return check


MENTION = "call Smoobu#500 guest"
QUOTED = "was lockbridge:smoobu:500 before"

CREATE, UPDATE, ADOPT, DELETE = (
    ActionKind.CREATE,
    ActionKind.UPDATE,
    ActionKind.ADOPT,
    ActionKind.DELETE,
)
MOVED_TO_STUDIO = replace(MARIA, unit_id="102")

CASES = {
    "new booking -> created on the mapped keypad": Case(
        [], [MARIA], [(CREATE, Reason.NEW_BOOKING)], check=one_code_on(LOFT)
    ),
    "dates moved -> updated with the same PIN": Case(
        [MARIA],
        [replace(MARIA, departure=DEPARTURE + timedelta(days=2))],
        [(UPDATE, Reason.WINDOW_CHANGED)],
        check=one_code_on(LOFT),
    ),
    "check-in time changed, same dates -> updated": Case(
        [replace(MOVED_TO_STUDIO, check_in=time(16, 0))],
        [replace(MOVED_TO_STUDIO, check_in=time(13, 30))],
        [(UPDATE, Reason.WINDOW_CHANGED)],
        check=one_code_on(STUDIO_DOOR),
    ),
    "guest renamed -> updated": Case(
        [MARIA],
        [replace(MARIA, guest_name="Maria Keller-Brandt")],
        [(UPDATE, Reason.NAME_CHANGED)],
        check=one_code_on(LOFT),
    ),
    "cancelled -> deleted": Case(
        [MARIA],
        [replace(MARIA, status=BookingStatus.CANCELLED)],
        [(DELETE, Reason.CANCELLED)],
        check=no_code,
    ),
    "cancelled with no code -> nothing": Case(
        [], [replace(MARIA, status=BookingStatus.CANCELLED)], [], check=no_code
    ),
    "unit moved -> created on the new keypad with the same PIN, then removed": Case(
        [MARIA],
        [MOVED_TO_STUDIO],
        [(CREATE, Reason.UNIT_MOVED), (DELETE, Reason.UNIT_MOVED)],
        check=one_code_on(STUDIO_DOOR),
    ),
    "unit moved, PIN taken there -> a new PIN": Case(
        [MARIA],
        [MOVED_TO_STUDIO],
        [(CREATE, Reason.UNIT_MOVED), (DELETE, Reason.UNIT_MOVED)],
        extra={"taken_on": STUDIO_DOOR},
    ),
    "blocked period -> no code": Case(
        [], [replace(MARIA, status=BookingStatus.BLOCKED, guest_name="")], [], check=no_code
    ),
    "unit no longer managed -> deleted": Case(
        [MARIA],
        [replace(MARIA, unit_id="103")],
        [(DELETE, Reason.UNIT_NOT_MANAGED)],
        check=no_code,
    ),
    "foreign code with the guest's name -> untouched": Case(
        [],
        [MARIA],
        [(CREATE, Reason.NEW_BOOKING)],
        seed=lambda sim: (
            seed_code(sim, LOFT, "Maria Keller", "4826"),
            seed_code(sim, LOFT, "smoobu Maria Keller", "7391", start=ARRIVAL - timedelta(1)),
        ),
        check=foreign_untouched,
    ),
    "old-script code tagged Smoobu#id -> adopted, PIN kept": Case(
        [],
        [MARIA],
        [(ADOPT, Reason.OLD_SCRIPT_CODE)],
        seed=lambda sim: seed_code(
            sim, LOFT, "smoobu Maria", "5173", description="Smoobu#500", end=DEPARTURE
        ),
        check=adopted("5173"),
    ),
    "old-script code by name and start date -> adopted, PIN kept": Case(
        [],
        [MARIA],
        [(ADOPT, Reason.OLD_SCRIPT_CODE)],
        seed=lambda sim: seed_code(sim, LOFT, "Smoobu  maria keller", "6284"),
        check=adopted("6284"),
    ),
    "old-script code of a cancelled booking -> deleted": Case(
        [],
        [replace(MARIA, status=BookingStatus.CANCELLED)],
        [(DELETE, Reason.CANCELLED)],
        seed=lambda sim: seed_code(sim, LOFT, "smoobu Maria", "5173", description="Smoobu#500"),
    ),
    "ended more than the grace ago -> deleted": Case(
        [MARIA],
        [MARIA],
        [(DELETE, Reason.ENDED)],
        now=at(DEPARTURE + timedelta(days=1), 12, 1),
        check=no_code,
    ),
    "ended within the grace -> left": Case(
        [MARIA], [MARIA], [], now=at(DEPARTURE, 20), check=one_code
    ),
    "ended and gone from the source -> deleted after the grace": Case(
        [MARIA], [], [(DELETE, Reason.ENDED)], now=at(DEPARTURE + timedelta(days=3))
    ),
    "gone from a source that answered -> left until over (the listing may be incomplete)": Case(
        [MARIA, booking(501, 102, ARRIVAL, DEPARTURE, "Other Guest")],
        [booking(501, 102, ARRIVAL, DEPARTURE, "Other Guest")],
        [],
        check=one_code,
    ),
    "source failed -> nothing deleted": Case(
        [MARIA],
        [replace(MARIA, status=BookingStatus.CANCELLED)],
        [],
        ok=False,
        check=one_code,
        guarded={SMOOBU: Guard.SOURCE_FAILED},
    ),
    "source answered empty -> nothing deleted": Case(
        [MARIA], [], [], check=one_code, guarded={SMOOBU: Guard.SOURCE_EMPTY}
    ),
    "broken record -> its code is left": Case(
        [MARIA, booking(501, 102, ARRIVAL, DEPARTURE, "Other Guest")],
        [booking(501, 102, ARRIVAL, DEPARTURE, "Other Guest")],
        [],
        rejected=[Rejection(KEY, RejectReason.DEPARTURE_NOT_AFTER_ARRIVAL)],
        check=one_code,
    ),
    "beyond the horizon -> not yet": Case(
        [],
        [replace(MARIA, arrival=TODAY + timedelta(days=95), departure=TODAY + timedelta(days=98))],
        [],
        check=no_code,
    ),
    "ended within the grace, never had a code -> nothing": Case(
        [], [MARIA], [], now=at(DEPARTURE, 20), check=no_code
    ),
    "ended long ago, the source down -> deleted (time is the evidence)": Case(
        [MARIA],
        [MARIA],
        [(DELETE, Reason.ENDED)],
        ok=False,
        now=at(DEPARTURE + timedelta(days=5)),
        check=no_code,
        guarded={SMOOBU: Guard.SOURCE_FAILED},
    ),
    "guest in the house, unit no longer managed -> code kept until check-out": Case(
        [MARIA], [replace(MARIA, unit_id="103")], [], now=IN_HOUSE, check=one_code_on(LOFT)
    ),
    "guest in the house, moved to another unit -> a code there, the old kept": Case(
        [MARIA],
        [MOVED_TO_STUDIO],
        [(CREATE, Reason.UNIT_MOVED)],
        now=IN_HOUSE,
        check=codes_on(LOFT, STUDIO_DOOR),
    ),
    "arriving within 24 h, unit no longer managed -> code kept": Case(
        [MARIA], [replace(MARIA, unit_id="103")], [], now=at(ARRIVAL, 9), check=one_code
    ),
    "another installation's code for the booking -> foreign, left": Case(
        [],
        [MARIA],
        [(CREATE, Reason.NEW_BOOKING)],
        seed=lambda sim: seed_code(
            sim, LOFT, "smoobu Maria Keller", "5173", description=tag(KEY, "ffffffff")
        ),
        check=foreign_tag_left,
    ),
    "a first-style tag for a known booking -> re-tagged, PIN kept": Case(
        [],
        [MARIA],
        [(UPDATE, Reason.DETAILS_CHANGED)],
        seed=lambda sim: seed_code(
            sim, LOFT, "smoobu Maria Keller", "5173", description="lockbridge:smoobu:500"
        ),
        check=adopted("5173"),
    ),
    "a first-style tag for a booking nobody lists -> left": Case(
        [],
        [MARIA],
        [(CREATE, Reason.NEW_BOOKING)],
        seed=lambda sim: seed_code(
            sim, LOFT, "smoobu Somebody", "5173", description="lockbridge:smoobu:77"
        ),
        check=first_style_left,
    ),
    "old-script code of a booking no longer listed, not over -> left": Case(
        [],
        [MARIA],
        [(CREATE, Reason.NEW_BOOKING)],
        seed=lambda sim: seed_code(
            sim, LOFT, "smoobu Somebody", "5173", description="Smoobu#77", end=date(2026, 9, 1)
        ),
        check=old_script_code_left,
    ),
    "a note that mentions Smoobu#id -> foreign, not adopted": Case(
        [],
        [MARIA],
        [(CREATE, Reason.NEW_BOOKING)],
        seed=lambda sim: seed_code(sim, LOFT, "Cleaner", "5173", description=MENTION),
        check=left_alone(MENTION),
    ),
    "a note that mentions Smoobu#id, booking cancelled -> left": Case(
        [],
        [replace(MARIA, status=BookingStatus.CANCELLED)],
        [],
        seed=lambda sim: seed_code(sim, LOFT, "Cleaner", "5173", description=MENTION),
        check=left_alone(MENTION),
    ),
    "a note that mentions Smoobu#id, its stay long over -> left": Case(
        [],
        [MARIA],
        [],
        now=at(DEPARTURE + timedelta(days=5)),
        seed=lambda sim: seed_code(sim, LOFT, "Cleaner", "5173", description=MENTION),
        check=left_alone(MENTION),
    ),
    "a note that quotes a first-style tag -> foreign, not re-tagged": Case(
        [],
        [MARIA],
        [(CREATE, Reason.NEW_BOOKING)],
        seed=lambda sim: seed_code(sim, LOFT, "Cleaner", "5173", description=QUOTED),
        check=left_alone(QUOTED),
    ),
    "two copies of our code -> one deleted": Case(
        [MARIA],
        [MARIA],
        [(DELETE, Reason.DUPLICATE)],
        extra={"duplicate": True},
        check=one_code,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_case(cycle: Cycle, case: Case) -> None:
    sim = cycle.sim
    case.seed(sim)
    pins: dict[str, str] = {}
    if case.before:
        first = await cycle.run(case.before, NOW)
        assert first.applied is not None
        assert not first.applied.failed
        if codes := ours(sim):
            pins["before"] = codes[0].code
    if keypad := case.extra.get("taken_on"):
        assert isinstance(keypad, KeypadRef)
        seed_code(sim, keypad, "Cleaner", pins["before"])
    if case.extra.get("duplicate"):
        [code] = ours(sim)
        sim.add_code(
            code.lock_id,
            code.id_accessoire,
            code.name,
            "8642",
            code.start,
            code.end,
            description=code.description,
        )

    result = await cycle.run(case.after, case.now, ok=case.ok, rejected=case.rejected)

    assert kinds(result) == case.expected
    assert result.plan.guarded == case.guarded
    assert result.applied is not None
    assert not result.applied.failed
    case.check(sim, pins)
    if keypad := case.extra.get("taken_on"):
        [code] = ours(sim)
        assert code.code != pins["before"]
    again = await cycle.run(case.after, case.now, ok=case.ok, rejected=case.rejected)
    assert not again.plan, [str(action) for action in again.plan.actions]


# --- pure planner details -------------------------------------------------------------


def listed(key: BookingKey, *, end: date | None, pin: str = "5173", code_id: int = 7) -> AccessCode:
    return AccessCode(
        id=code_id,
        lock_id=LOFT.lock_id,
        keypad_id=LOFT.keypad_id,
        name="smoobu Somebody",
        pin=pin,
        start_date=date(2026, 1, 1) if end else None,
        end_date=end,
        description=tag(key),
    )


def desired_of(*bookings: Booking, ok: bool = True) -> Desired:
    normalised = Normalised(tuple(bookings))
    snapshot = (
        SourceSnapshot.answered(normalised, legacy=True)
        if ok
        else SourceSnapshot(False, tuple(bookings), legacy=True)
    )
    return build_desired({SMOOBU: snapshot}, UNITS, zones={}, default_zone=PARIS)


def test_a_code_of_ours_gone_from_the_source_stays_until_it_is_over() -> None:
    gone = BookingKey(SMOOBU, "77")
    codes = [
        listed(gone, end=None),
        listed(BookingKey(SMOOBU, "78"), end=date(2026, 6, 1), pin="6182", code_id=8),
    ]
    result = plan(desired_of(MARIA), {LOFT.lock_id: codes}, NOW)

    assert [(action.kind, action.reason, action.key) for action in result.actions] == [
        (ActionKind.CREATE, Reason.NEW_BOOKING, KEY),
        (ActionKind.DELETE, Reason.ENDED, BookingKey(SMOOBU, "78")),
    ]
    assert "delete smoobu:78 on lock 3001 keypad KpXy34Zt code 8 (ended)" in {
        str(action) for action in result.actions
    }
    assert KEY in result.pins


def test_a_code_ending_in_year_9999_does_not_stop_the_plan() -> None:
    cancelled = booking(78, 101, ARRIVAL, DEPARTURE, status=BookingStatus.CANCELLED)
    codes = [
        listed(BookingKey(SMOOBU, "77"), end=date(9999, 12, 31)),
        listed(cancelled.key, end=DEPARTURE, pin="6182", code_id=8),
    ]
    result = plan(desired_of(MARIA, cancelled), {LOFT.lock_id: codes}, NOW)

    assert KEY in {action.key for action in result.actions}
    assert (ActionKind.DELETE, Reason.CANCELLED) in {(a.kind, a.reason) for a in result.actions}


def test_our_codes_of_a_source_removed_since_go_once_over_and_not_before() -> None:
    over, live = BookingKey("airbnb", "1"), BookingKey("airbnb", "2")
    codes = [
        listed(over, end=date(2026, 1, 2)),
        listed(live, end=DEPARTURE, pin="6182", code_id=8),
        # The same, tagged the first way: no source knows them, so they are not ours to judge.
        replace(
            listed(over, end=date(2026, 1, 2), pin="7293", code_id=9),
            description="lockbridge:airbnb:1",
        ),
    ]
    result = plan(desired_of(), {LOFT.lock_id: codes}, NOW)
    assert [(a.kind, a.reason, a.code.id if a.code else None) for a in result.actions] == [
        (ActionKind.DELETE, Reason.ENDED, 7)
    ]


def test_only_updates_resubmit_a_code() -> None:
    result = plan(desired_of(MARIA), {LOFT.lock_id: []}, NOW)
    with pytest.raises(ValueError, match="re-submit"):
        result.actions[0].updated_code()


def test_lock_zones_skip_unknown_names() -> None:
    zones = lock_zones({1: "Europe/Lisbon", 2: None, 3: "Mars/Olympus_Mons", 4: "../etc"})
    assert zones == {1: ZoneInfo("Europe/Lisbon")}


def test_a_keypad_without_a_free_pin_holds_back_its_own_stays_only() -> None:
    otto = booking(501, 102, ARRIVAL, DEPARTURE, "Otto Berg")
    full = [
        AccessCode(
            id=10_000 + n,
            lock_id=LOFT.lock_id,
            keypad_id=LOFT.keypad_id,
            name=f"Staff {n}",
            pin=f"{n:04}",
            start_date=None,
            end_date=None,
            description="",
        )
        for n in range(10_000)
    ]

    result = plan(desired_of(MARIA, otto), {LOFT.lock_id: full, STUDIO_DOOR.lock_id: []}, NOW)

    assert [(a.kind, a.key) for a in result.actions] == [(ActionKind.CREATE, otto.key)]
    assert result.no_free_pin == {KEY: LOFT}
