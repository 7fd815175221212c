"""The applier against The Keys simulator: retries, isolated failures, journal, crashes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.lockbridge.api.errors import AuthenticationError
from custom_components.lockbridge.api.models import AccessCode, CodeFields
from custom_components.lockbridge.api.thekeys import TheKeysClient
from custom_components.lockbridge.engine.apply import (
    Applier,
    Journal,
    MemoryStorage,
)
from custom_components.lockbridge.engine.bookings import Booking, BookingKey, BookingStatus, UnitKey
from custom_components.lockbridge.engine.ownership import parse_tag, tag
from custom_components.lockbridge.engine.plan import (
    ActionKind,
    KeypadRef,
    PinMethod,
    Plan,
    Reason,
    Settings,
    UnitConfig,
)
from custom_components.lockbridge.engine.window import Override
from custom_components.lockbridge.sources.hotelrunner_records import KIND as HOTELRUNNER
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU
from tests.conftest import TK_PASSWORD, TK_USERNAME, serve
from tests.engine.harness import PARIS, Cycle, booking, thekeys_client
from tests.engine.test_sync import (
    ARRIVAL,
    DEPARTURE,
    LOFT,
    MARIA,
    NOW,
    STUDIO_DOOR,
    UNITS,
)
from tests.fakes.thekeys import TheKeysSimulator

OTTO = booking(501, 102, ARRIVAL, DEPARTURE, "Otto Berg")


@pytest.fixture
def cycle(session: aiohttp.ClientSession, thekeys_sim: TheKeysSimulator, thekeys_url: str) -> Cycle:
    return Cycle(thekeys_sim, thekeys_client(session, thekeys_url, thekeys_sim), UNITS)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def planned(
    cycle: Cycle, bookings: list[Booking], now: datetime = NOW
) -> tuple[Plan, Journal]:
    result = await cycle.run(bookings, now, dry_run=True)
    journal = Journal(cycle.storage)
    await journal.load()
    return result.plan, journal


async def test_transient_failure_is_retried_with_backoff(cycle: Cycle) -> None:
    plan, journal = await planned(cycle, [MARIA])
    cycle.sim.faults.fail_next = 1
    sleeps = Sleeps()

    result = await Applier(cycle.client, journal, sleep=sleeps).apply(plan)

    [outcome] = result.outcomes
    assert (outcome.ok, outcome.attempts, sleeps.calls) == (True, 2, [2.0])
    assert outcome.code is not None
    assert outcome.code.pin == plan.actions[0].fields.pin  # type: ignore[union-attr]
    assert len(cycle.codes(LOFT)) == 1


async def test_create_whose_answer_was_lost_is_not_repeated(
    session: aiohttp.ClientSession, thekeys_sim: TheKeysSimulator, thekeys_url: str
) -> None:
    client = TheKeysClient(session, TK_USERNAME, TK_PASSWORD, base_url=thekeys_url, timeout=0.3)
    cycle = Cycle(thekeys_sim, client, UNITS)
    plan, journal = await planned(cycle, [MARIA])
    thekeys_sim.faults.timeout_next = 1
    thekeys_sim.faults.hang_seconds = 2
    thekeys_sim.clear_log()

    result = await Applier(client, journal, sleep=Sleeps()).apply(plan)

    assert [(item.ok, item.attempts) for item in result.outcomes] == [(True, 2)]
    assert thekeys_sim.count("/partage/create/", "POST") == 1
    assert len(thekeys_sim.codes()) == 1


async def test_retry_after_is_honoured_and_capped(cycle: Cycle) -> None:
    plan, journal = await planned(cycle, [MARIA])
    cycle.sim.faults.rate_limit_next = 2
    cycle.sim.faults.retry_after = "7"
    sleeps = Sleeps()

    await Applier(cycle.client, journal, sleep=sleeps).apply(plan)
    assert sleeps.calls == [7.0, 7.0]

    plan, journal = await planned(cycle, [MARIA, OTTO])
    cycle.sim.faults.rate_limit_next = 1
    cycle.sim.faults.retry_after = "86400"
    sleeps.calls.clear()
    await Applier(cycle.client, journal, sleep=sleeps).apply(plan)
    assert sleeps.calls == [60.0]


async def test_a_failing_action_does_not_stop_the_others(cycle: Cycle) -> None:
    plan, journal = await planned(cycle, [MARIA, OTTO])
    cycle.sim.faults.fail_next = 3  # every attempt of the first action

    result = await Applier(cycle.client, journal, total=1, sleep=Sleeps()).apply(plan)

    [failed] = result.failed
    assert failed.attempts == 3
    assert failed.error is not None
    assert failed.error.transient
    assert result.summary.total.created == 1
    assert result.summary.total.failed == 1
    assert result.summary.by_lock[failed.action.keypad.lock_id].failed == 1
    assert result.summary.by_unit[failed.action.unit].failed == 1
    # The next cycle finishes the job.
    again = await cycle.run([MARIA, OTTO], NOW)
    assert [action.reason for action in again.plan.actions] == [Reason.NEW_BOOKING]
    assert again.applied is not None
    assert not again.applied.failed


async def test_refused_credentials_are_not_retried(cycle: Cycle) -> None:
    plan, journal = await planned(cycle, [MARIA])
    cycle.sim.password = "changed"
    cycle.sim.expire_tokens()
    sleeps = Sleeps()

    result = await Applier(cycle.client, journal, sleep=sleeps).apply(plan)

    [outcome] = result.outcomes
    assert isinstance(outcome.error, AuthenticationError)
    assert (outcome.ok, outcome.attempts, sleeps.calls) == (False, 1, [])


async def test_deleting_a_code_already_gone_succeeds(cycle: Cycle) -> None:
    await cycle.run([MARIA], NOW)
    plan, journal = await planned(cycle, [replace(MARIA, status=BookingStatus.CANCELLED)])
    [code] = cycle.codes()
    cycle.sim.remove_code(code.id)

    result = await Applier(cycle.client, journal).apply(plan)

    assert [(item.action.kind, item.ok) for item in result.outcomes] == [(ActionKind.DELETE, True)]
    assert KEY_TEXT not in (cycle.storage.data or {}).get("pins", {})


KEY_TEXT = str(MARIA.key)


async def test_updating_a_code_removed_meanwhile_fails_then_recreates(cycle: Cycle) -> None:
    await cycle.run([MARIA], NOW)
    [code] = cycle.codes()
    moved = replace(MARIA, departure=DEPARTURE + timedelta(days=1))
    plan, journal = await planned(cycle, [moved])
    cycle.sim.remove_code(code.id)

    result = await Applier(cycle.client, journal).apply(plan)
    assert [item.ok for item in result.outcomes] == [False]

    again = await cycle.run([moved], NOW)
    assert [action.reason for action in again.plan.actions] == [Reason.NEW_BOOKING]
    [recreated] = cycle.codes()
    assert recreated.code == code.code  # the booking keeps its PIN


async def test_a_lock_that_cannot_be_listed_is_left_alone(cycle: Cycle) -> None:
    cycle.units = {**UNITS, UnitKey(SMOOBU, "103"): UnitConfig(KeypadRef(3999, "KpZz99Zz"))}
    stranded = booking(502, 103, ARRIVAL, DEPARTURE, "Nobody Home")

    result = await cycle.run([MARIA, stranded], NOW)

    assert set(result.unreadable) == {3999}
    assert result.plan.unreadable_locks == {3999}
    assert [action.key for action in result.plan.actions] == [MARIA.key]


async def test_phone_pin_and_override(cycle: Cycle) -> None:
    cycle.settings = Settings(pin_method=PinMethod.PHONE, pin_length=4, prefixes={SMOOBU: "Villa"})
    cycle.overrides[MARIA.key] = Override(check_in=datetime(2026, 6, 12, 11, 30, tzinfo=PARIS))

    await cycle.run([replace(MARIA, phone="+33 6 12 34 58 29")], NOW)

    [code] = cycle.codes()
    assert (code.code, code.name, code.start_time) == ("5829", "Villa Maria Keller", (11, 30))


async def test_summary_per_unit_and_lock(cycle: Cycle) -> None:
    await cycle.run([MARIA], NOW)
    hotel = booking("R9/HR:1", "HR:1", ARRIVAL, DEPARTURE, "Ali Veli", source=HOTELRUNNER)

    result = await cycle.run([MARIA, OTTO, hotel], NOW, sources=(SMOOBU, HOTELRUNNER))

    assert result.applied is not None
    summary = result.applied.summary
    assert (summary.total.created, summary.total.unchanged) == (2, 1)
    assert summary.by_lock[3002].created == 2
    assert summary.by_lock[3001].unchanged == 1
    assert summary.by_unit[UnitKey(HOTELRUNNER, "HR:1")].created == 1
    assert summary.by_unit[MARIA.unit].unchanged == 1


@pytest.mark.parametrize(
    "data",
    [None, [], {"version": 99, "pins": {"smoobu:1": "1234"}}, {"version": 1, "pins": "x"}],
)
async def test_journal_ignores_what_it_cannot_read(data: Any) -> None:
    journal = Journal(MemoryStorage(data))
    await journal.load()
    assert (dict(journal.pins), journal.interrupted) == ({}, ())


async def test_journal_keeps_good_entries_and_reports_interrupted_work() -> None:
    pending = {
        "kind": "create",
        "booking": "smoobu:1",
        "lock_id": 1,
        "keypad_id": "K",
        "code_id": None,
    }
    journal = Journal(
        MemoryStorage(
            {
                "version": 1,
                "pins": {"smoobu:1": "5173", "bad": "1234", "smoobu:2": 1234, "smoobu:3": "12a4"},
                "pending": {"a": pending, "b": "junk"},
            }
        )
    )
    await journal.load()
    assert {str(key): pin for key, pin in journal.pins.items()} == {"smoobu:1": "5173"}
    assert journal.interrupted == (pending,)


async def test_the_journal_is_written_twice_per_plan_with_changes_and_never_when_steady(
    cycle: Cycle,
) -> None:
    """Before: one save per mutation, twice each, and one on every cycle."""
    stays = [
        booking(600 + n, 101 + n % 2, ARRIVAL + timedelta(days=n), DEPARTURE + timedelta(days=n))
        for n in range(12)
    ]
    await cycle.run(stays, NOW)
    assert cycle.storage.saves == 2
    assert len(cycle.codes()) == 12

    for _ in range(3):
        assert not (await cycle.run(stays, NOW)).plan
    assert cycle.storage.saves == 2

    await cycle.run(stays[1:], NOW)  # one booking gone: its code stays, nothing to write
    assert cycle.storage.saves == 2
    cancelled = replace(stays[0], status=BookingStatus.CANCELLED)
    await cycle.run([cancelled, *stays[1:]], NOW)
    assert cycle.storage.saves == 4
    assert str(stays[0].key) not in cycle.storage.data["pins"]
    assert cycle.storage.data["pending"] == {}


# --- crash safety ---------------------------------------------------------------------


class Killed(BaseException):
    """The process died (not an error the applier may catch)."""


class KillAfter:
    """Lets `k` mutations reach the cloud, loses the answer of the k-th, then dies.

    The journal as it was saved at that moment is what a restarted process finds.
    """

    def __init__(self, client: TheKeysClient, storage: MemoryStorage, k: int) -> None:
        self.client = client
        self.storage = storage
        self.k = k
        self.sent = 0
        self.saved_at_death: Any = None

    async def list_codes(
        self, lock_id: int, keypad_id: str | None = None
    ) -> tuple[AccessCode, ...]:
        return await self.client.list_codes(lock_id, keypad_id)

    async def _mutation(self, call: Any) -> Any:
        self.sent += 1
        number = self.sent
        if number > self.k:
            self._die()
        result = await call()
        if number == self.k:
            self._die()
        return result

    def _die(self) -> None:
        if self.saved_at_death is None:
            self.saved_at_death = MemoryStorage(self.storage.data)
        raise Killed

    async def create_code(self, lock_id: int, keypad_id: str, fields: CodeFields) -> AccessCode:
        created: AccessCode = await self._mutation(
            lambda: self.client.create_code(lock_id, keypad_id, fields)
        )
        return created

    async def update_code(self, code: AccessCode) -> None:
        await self._mutation(lambda: self.client.update_code(code))

    async def delete_code(self, code_id: int) -> None:
        await self._mutation(lambda: self.client.delete_code(code_id))


BEFORE = [
    MARIA,
    OTTO,
    booking(503, 102, date(2026, 6, 20), date(2026, 6, 22), "Cancelled Soon"),
    booking(504, 101, date(2026, 6, 20), date(2026, 6, 25), "Moving Guest"),
]
AFTER = [
    replace(MARIA, departure=DEPARTURE + timedelta(days=2)),  # update
    OTTO,  # unchanged
    booking(
        503,
        102,
        date(2026, 6, 20),
        date(2026, 6, 22),
        "Cancelled Soon",
        status=BookingStatus.CANCELLED,
    ),
    booking(504, 102, date(2026, 6, 20), date(2026, 6, 25), "Moving Guest"),  # create + delete
    booking(505, 101, date(2026, 6, 26), date(2026, 6, 28), "New Guest"),  # create
    booking(506, 101, date(2026, 7, 1), date(2026, 7, 3), "Old Script"),  # adopt
    booking(
        "R7/HR:1", "HR:1", date(2026, 6, 21), date(2026, 6, 23), "Ali Veli", source=HOTELRUNNER
    ),
]
SOURCES = (SMOOBU, HOTELRUNNER)


async def staged(session: aiohttp.ClientSession) -> AsyncIterator[Cycle]:
    """A fresh simulator that went through the BEFORE cycle, plus foreign and old codes."""
    sim = TheKeysSimulator(username=TK_USERNAME, password=TK_PASSWORD)
    sim.add_lock(3001, "Seaside Loft", keypads=[("KpXy34Zt", "Front door keypad")])
    sim.add_lock(3002, "Garden Studio", keypads=[("KpAa11Bb", "Gate"), ("KpCc22Dd", "Door")])
    sim.add_code(3001, "KpXy34Zt", "Cleaner", "4826", date(2026, 1, 1), date(2027, 1, 1))
    server = await serve(sim.make_app())
    try:
        cycle = Cycle(
            sim, thekeys_client(session, str(server.make_url("")).rstrip("/"), sim), UNITS
        )
        await cycle.run(BEFORE, NOW, sources=SOURCES)
        sim.add_code(
            3001, "KpXy34Zt", "smoobu Old Script", "6284", date(2026, 7, 1), date(2026, 7, 3)
        )
        yield cycle
    finally:
        await server.close()


def expected_codes(cycle: Cycle) -> dict[str, tuple[int, str]]:
    return {
        code.description: (code.lock_id, code.id_accessoire)
        for code in cycle.sim.codes()
        if code.description.startswith("lockbridge:")
    }


async def test_the_crash_scenario_needs_every_kind_of_mutation(
    session: aiohttp.ClientSession,
) -> None:
    async for cycle in staged(session):
        result = await cycle.run(AFTER, NOW, dry_run=True, sources=SOURCES)
        assert sorted((action.kind, action.reason) for action in result.plan.actions) == sorted(
            [
                (ActionKind.UPDATE, Reason.WINDOW_CHANGED),
                (ActionKind.DELETE, Reason.CANCELLED),
                (ActionKind.CREATE, Reason.UNIT_MOVED),
                (ActionKind.DELETE, Reason.UNIT_MOVED),
                (ActionKind.CREATE, Reason.NEW_BOOKING),
                (ActionKind.CREATE, Reason.NEW_BOOKING),
                (ActionKind.ADOPT, Reason.OLD_SCRIPT_CODE),
            ]
        )


@pytest.mark.parametrize("k", range(8))
async def test_killed_after_k_mutations_converges_without_duplicates(
    session: aiohttp.ClientSession, k: int
) -> None:
    async for cycle in staged(session):
        intended = await cycle.run(AFTER, NOW, dry_run=True, sources=SOURCES)
        planned_pins = {str(key): pin for key, pin in intended.plan.pins.items()}
        journal = Journal(cycle.storage)
        await journal.load()
        killer = KillAfter(cycle.client, cycle.storage, k)  # type: ignore[arg-type]
        with pytest.raises(Killed):
            await Applier(killer, journal).apply(intended.plan)
        await asyncio.sleep(0)
        assert killer.sent >= k

        # Restart: a new process, the journal as saved when it died.
        cycle.storage = killer.saved_at_death
        restarted = await cycle.run(AFTER, NOW, sources=SOURCES)

        assert restarted.applied is not None
        assert not restarted.applied.failed
        ours = [code for code in cycle.sim.codes() if code.description.startswith("lockbridge:")]
        assert len(ours) == len({code.description for code in ours}) == 6  # one per live stay
        assert expected_codes(cycle) == {
            tag(BookingKey(SMOOBU, "500")): (3001, "KpXy34Zt"),
            tag(BookingKey(SMOOBU, "501")): (3002, "KpCc22Dd"),
            tag(BookingKey(SMOOBU, "504")): (3002, "KpCc22Dd"),
            tag(BookingKey(SMOOBU, "505")): (3001, "KpXy34Zt"),
            tag(BookingKey(SMOOBU, "506")): (3001, "KpXy34Zt"),
            tag(BookingKey(HOTELRUNNER, "R7/HR:1")): (3002, "KpAa11Bb"),
        }
        # PINs chosen before the crash are the ones the guests get.
        for code in ours:
            assert code.code == planned_pins[str(parse_tag(code.description))]
        assert [code.name for code in cycle.sim.codes() if not code.description] == ["Cleaner"]
        assert not (await cycle.run(AFTER, NOW, sources=SOURCES)).plan


async def test_an_adoption_of_thirty_codes_survives_tokens_dying_after_two_uses(
    cycle: Cycle,
) -> None:
    """Thirty requests in flight at once while each token serves two: no action may fail for it."""
    stays = [
        booking(600 + n, 101 + n % 2, ARRIVAL + timedelta(days=n), DEPARTURE + timedelta(days=n))
        for n in range(30)
    ]
    for n, stay in enumerate(stays):
        keypad = LOFT if stay.unit_id == "101" else STUDIO_DOOR
        cycle.sim.add_code(
            keypad.lock_id, keypad.keypad_id, f"smoobu {stay.guest_name}", f"{70_000 + n * 37}",
            stay.arrival, stay.departure, description=f"Smoobu#{stay.key.booking_id}",
        )  # fmt: skip
    cycle.sim.token_uses = 2

    result = await cycle.run(stays, NOW)

    assert result.applied is not None
    assert result.applied.failed == ()
    assert [a.kind for a in result.plan.actions] == [ActionKind.ADOPT] * 30
    assert cycle.sim.logins >= 15


async def test_the_journal_file_keeps_only_the_pins_no_keypad_holds(cycle: Cycle) -> None:
    """Each `cycle.run` loads the journal from its file again, as after a restart."""
    cycle.settings = Settings(horizon=timedelta(days=7))
    await cycle.run([MARIA], NOW)
    [code] = cycle.codes()
    assert cycle.storage.data["pins"] == {}  # the keypad holds Maria's PIN

    # Rebooked a month later in the studio: beyond the horizon there, so her old code goes
    # and nothing is made yet. No keypad holds her PIN now: the file does.
    later = replace(MARIA, unit_id="102", arrival=ARRIVAL + timedelta(days=30))
    later = replace(later, departure=DEPARTURE + timedelta(days=30))
    moved = await cycle.run([later], NOW)
    assert [action.kind for action in moved.plan.actions] == [ActionKind.DELETE]
    assert cycle.codes() == []
    assert cycle.storage.data["pins"] == {KEY_TEXT: code.code}

    await cycle.run([later], NOW + timedelta(days=28))  # due at last: the same PIN
    assert [item.code for item in cycle.codes()] == [code.code]
    assert cycle.storage.data["pins"] == {}
