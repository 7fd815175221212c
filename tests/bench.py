"""Sync benchmark: LockBridge vs the replaced script, against the simulators.

`python -m tests.bench --locks 50 --bookings 500 --latency 0.2 --changed 10 [--check]`

Each tool gets its own pair of simulators holding the same data set, and runs three
scenarios: the first sync, a steady-state sync with nothing changed, and a sync after
`--changed` bookings moved by a day. The naive baseline does what the old cron script did:
a new login every run, then per booking, one after the other, a listing of its lock's codes
and a create or update when needed, then a clean-up pass listing every mapped lock again.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
import sys
import time as clock
from typing import Protocol
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.lockbridge.api.models import CodeFields
from custom_components.lockbridge.api.smoobu import SmoobuClient
from custom_components.lockbridge.api.thekeys import TheKeysClient
from custom_components.lockbridge.engine.apply import Journal, MemoryStorage, sync
from custom_components.lockbridge.engine.bookings import BookingKey, UnitKey
from custom_components.lockbridge.engine.ownership import code_name, tag
from custom_components.lockbridge.engine.pins import random_pin
from custom_components.lockbridge.engine.plan import (
    DEFAULT_GRACE,
    DEFAULT_HORIZON,
    KeypadRef,
    SourceSnapshot,
    UnitConfig,
    build_desired,
)
from custom_components.lockbridge.engine.window import stay_window, validity
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU, from_smoobu
from tests.fakes.smoobu import SmoobuSimulator
from tests.fakes.thekeys import SimCode, TheKeysSimulator

ZONE = ZoneInfo("Europe/Paris")
TODAY = date(2026, 6, 1)
NOW = datetime.combine(TODAY, time(10, 0), ZONE)
# Fake credentials of the simulators; never printed.
TK_USER = "+33600000050"
TK_PASSWORD = "bench-tk-password"
SMOOBU_KEY = "bench-smoobu-key"
SMOOBU_SECRET = "bench-smoobu-secret"
NIGHTS = 3

SCENARIOS = ("first sync", "steady state", "after changes")
NAIVE = "naive script"
LOCKBRIDGE = "LockBridge"

LISTING = "/partage/all/serrure/"
MUTATIONS = ("/partage/create/", "/partage/accessoire/update/", "/partage/accessoire/delete/")
LOGIN = "/api/login_check"


@dataclass(frozen=True, slots=True)
class Stay:
    """A booking of the data set."""

    id: int
    apartment: int
    arrival: date
    departure: date
    guest: str


@dataclass(slots=True)
class World:
    """The data set: one apartment per lock (one keypad each) and the bookings."""

    keypads: dict[int, KeypadRef]  # apartment id -> keypad
    stays: dict[int, Stay]

    @property
    def units(self) -> dict[UnitKey, UnitConfig]:
        """LockBridge's unit map."""
        return {UnitKey(SMOOBU, str(apt)): UnitConfig(kp) for apt, kp in self.keypads.items()}

    @property
    def lock_ids(self) -> list[int]:
        """Every lock."""
        return sorted(kp.lock_id for kp in self.keypads.values())


def make_world(locks: int, bookings: int) -> World:
    """`bookings` 3-night stays spread round-robin over `locks` apartments, no overlaps."""
    keypads = {1001 + i: KeypadRef(5001 + i, f"Kp{i:06d}") for i in range(locks)}
    apartments = list(keypads)
    per_apartment = -(-bookings // locks)
    # Every 8 days while it fits in ~85 days; never less than a night between two stays.
    step = max(NIGHTS + 1, min(8, 85 // per_apartment))
    stays: dict[int, Stay] = {}
    for i in range(bookings):
        index, slot = i % locks, i // locks
        arrival = TODAY + timedelta(days=1 + index % 5 + slot * step)
        stays[70001 + i] = Stay(
            70001 + i,
            apartments[index],
            arrival,
            arrival + timedelta(days=NIGHTS),
            f"Guest {i + 1:03d}",
        )
    return World(keypads, stays)


def changed_ids(world: World, count: int) -> list[int]:
    """`count` bookings picked evenly across the data set."""
    ids = sorted(world.stays)
    count = min(count, len(ids))
    return [ids[i * len(ids) // count] for i in range(count)] if count else []


def move(world: World, ids: Sequence[int]) -> None:
    """Shift these stays by one day (the gap between stays keeps them apart)."""
    for booking_id in ids:
        stay = world.stays[booking_id]
        day = timedelta(days=1)
        world.stays[booking_id] = replace(
            stay, arrival=stay.arrival + day, departure=stay.departure + day
        )


@dataclass(slots=True)
class Sims:
    """A tool's own pair of simulators, served on loopback."""

    thekeys: TheKeysSimulator
    smoobu: SmoobuSimulator
    servers: list[TestServer] = field(default_factory=list)

    def url(self, index: int) -> str:
        """Base URL of a served simulator."""
        return str(self.servers[index].make_url("")).rstrip("/")

    async def close(self) -> None:
        """Stop the servers."""
        for server in self.servers:
            await server.close()


async def _serve(app: web.Application) -> TestServer:
    # No access log: it would be the fake clouds' own request log.
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log=None)
    return server


async def start_sims(world: World, latency: float) -> Sims:
    """Fresh simulators holding the data set, with `latency` seconds per request."""
    thekeys = TheKeysSimulator(TK_USER, TK_PASSWORD)
    smoobu = SmoobuSimulator(SMOOBU_KEY, SMOOBU_SECRET)
    for apartment, keypad in world.keypads.items():
        thekeys.add_lock(
            keypad.lock_id, f"Lock {keypad.lock_id}", keypads=[(keypad.keypad_id, "Keypad")]
        )
        smoobu.add_apartment(apartment, f"Apartment {apartment}")
    for stay in world.stays.values():
        smoobu.add_booking(
            stay.apartment, stay.arrival, stay.departure, stay.guest, booking_id=stay.id
        )
    thekeys.faults.latency = smoobu.faults.latency = latency
    sims = Sims(thekeys, smoobu)
    sims.servers = [await _serve(thekeys.make_app()), await _serve(smoobu.make_app())]
    return sims


def _window(arrival: date, departure: date) -> tuple[date, time, date, time]:
    start, end = stay_window(arrival, departure, ZONE)
    valid = validity(start, end, ZONE)
    return valid.start_date, valid.start_time, valid.end_date, valid.end_time


class Tool(Protocol):
    """One sync run of a tool."""

    async def run(self) -> int:
        """Sync once; the number of failed actions."""


class NaiveScript:
    """The replaced script: new login each run, one listing per booking, sequential."""

    def __init__(self, session: aiohttp.ClientSession, world: World, sims: Sims) -> None:
        self.session = session
        self.world = world
        self.tk_url, self.smoobu_url = sims.url(0), sims.url(1)

    async def run(self) -> int:
        """Sync once, as the cron script did."""
        thekeys = TheKeysClient(self.session, TK_USER, TK_PASSWORD, base_url=self.tk_url)
        smoobu = SmoobuClient(self.session, SMOOBU_KEY, SMOOBU_SECRET, base_url=self.smoobu_url)
        reservations = await smoobu.get_reservations(
            arrival_from=TODAY, arrival_to=TODAY + DEFAULT_HORIZON
        )
        live: set[str] = set()
        deleted: set[int] = set()
        for item in reservations:
            keypad = self.world.keypads.get(item.apartment_id or 0)
            if keypad is None or item.arrival is None or item.departure is None:
                continue
            codes = await thekeys.list_codes(keypad.lock_id, keypad.keypad_id)
            label = f"Smoobu#{item.id}"
            mine = [code for code in codes if code.description == label]
            if item.is_cancelled or item.is_blocked:
                for code in mine:
                    await thekeys.delete_code(code.id)
                    deleted.add(code.id)
                continue
            live.add(label)
            start_date, start_time, end_date, end_time = _window(item.arrival, item.departure)
            if not mine:
                fields = CodeFields(
                    name=code_name(SMOOBU, item.guest_name),  # as the script named them
                    pin=random_pin(4, {code.pin for code in codes}),
                    start_date=start_date,
                    start_time=start_time,
                    end_date=end_date,
                    end_time=end_time,
                    description=label,
                )
                await thekeys.create_code(keypad.lock_id, keypad.keypad_id, fields)
            elif (mine[0].start_date, mine[0].end_date) != (start_date, end_date):
                await thekeys.update_code(
                    replace(
                        mine[0],
                        start_date=start_date,
                        start_time=start_time,
                        end_date=end_date,
                        end_time=end_time,
                    )
                )
        # Then its clean-up pass: one more listing per mapped lock, deleting its codes of
        # bookings gone from Smoobu and those over (smoobu_sync.py `_cleanup_old_codes`).
        for keypad in self.world.keypads.values():
            for code in await thekeys.list_codes(keypad.lock_id, keypad.keypad_id):
                gone = code.description.startswith("Smoobu#") and code.description not in live
                over = code.end_date is not None and code.end_date < TODAY - timedelta(days=1)
                if (gone or over) and code.id not in deleted:
                    await thekeys.delete_code(code.id)
                    deleted.add(code.id)
        return 0


class LockBridge:
    """The engine with long-lived clients and journal, as the integration keeps them."""

    def __init__(self, session: aiohttp.ClientSession, world: World, sims: Sims) -> None:
        self.world = world
        self.thekeys = TheKeysClient(session, TK_USER, TK_PASSWORD, base_url=sims.url(0))
        self.smoobu = SmoobuClient(session, SMOOBU_KEY, SMOOBU_SECRET, base_url=sims.url(1))
        self.journal = Journal(MemoryStorage())

    async def run(self) -> int:
        """Sync once: the source's pages, one listing per lock, the actions."""
        reservations = await self.smoobu.get_reservations(
            departure_from=TODAY - DEFAULT_GRACE, arrival_to=TODAY + DEFAULT_HORIZON
        )
        units = self.world.units
        normalised = from_smoobu(reservations, known_units=[unit.unit_id for unit in units])
        desired = build_desired(
            {SMOOBU: SourceSnapshot.answered(normalised, legacy=True)},
            units,
            zones={},
            default_zone=ZONE,
        )
        result = await sync(self.thekeys, desired, self.world.lock_ids, self.journal, NOW)
        failed = len(result.unreadable)
        if result.applied is not None:
            failed += len(result.applied.failed)
        return failed


@dataclass(frozen=True, slots=True)
class Row:
    """One scenario of one tool."""

    scenario: str
    tool: str
    thekeys_calls: int
    listings: int
    mutations: int
    logins: int
    smoobu_calls: int
    seconds: float
    #: Bookings with exactly one code, on the right keypad, with the right dates.
    codes_right: int
    bookings: int
    failed: int

    @property
    def calls(self) -> int:
        """Every API call, both clouds."""
        return self.thekeys_calls + self.smoobu_calls


def codes_right(world: World, codes: Sequence[SimCode], label: str) -> int:
    """How many bookings have exactly one matching code (`label` formats the tag)."""
    by_tag: dict[str, list[SimCode]] = {}
    for code in codes:
        by_tag.setdefault(code.description, []).append(code)
    right = 0
    for stay in world.stays.values():
        found = by_tag.get(label.format(id=stay.id), [])
        keypad = world.keypads[stay.apartment]
        start_date, _, end_date, _ = _window(stay.arrival, stay.departure)
        if len(found) == 1 and (
            found[0].lock_id,
            found[0].id_accessoire,
            found[0].start,
            found[0].end,
        ) == (keypad.lock_id, keypad.keypad_id, start_date, end_date):
            right += 1
    return right


async def measure(scenario: str, name: str, tool: Tool, sims: Sims, world: World) -> Row:
    """Run `tool` once and count what its simulators saw."""
    sims.thekeys.clear_log()
    sims.smoobu.clear_log()
    started = clock.perf_counter()
    failed = await tool.run()
    seconds = clock.perf_counter() - started
    tk = sims.thekeys
    label = "Smoobu#{id}" if name == NAIVE else tag(BookingKey(SMOOBU, "{id}"))
    return Row(
        scenario=scenario,
        tool=name,
        thekeys_calls=len(tk.requests),
        listings=tk.count(LISTING),
        mutations=sum(tk.count(path) for path in MUTATIONS),
        logins=tk.count(LOGIN),
        smoobu_calls=len(sims.smoobu.requests),
        seconds=seconds,
        codes_right=codes_right(world, tk.codes(), label),
        bookings=len(world.stays),
        failed=failed,
    )


@dataclass(slots=True)
class Report:
    """Every row, and the parameters."""

    locks: int
    bookings: int
    latency: float
    changed: int
    rows: list[Row] = field(default_factory=list)

    def row(self, scenario: str, tool: str) -> Row:
        """The row of one scenario and tool."""
        return next(r for r in self.rows if (r.scenario, r.tool) == (scenario, tool))

    def problems(self) -> list[str]:
        """Acceptance criteria that do not hold (steady state)."""
        naive, ours = self.row("steady state", NAIVE), self.row("steady state", LOCKBRIDGE)
        checks = {
            "LockBridge steady state logs in": ours.logins == 0,
            "LockBridge steady state mutates": ours.mutations == 0,
            "LockBridge steady state lists a lock more than once": ours.listings <= self.locks,
            f"API calls only {_ratio(naive.calls, ours.calls)} fewer than the baseline "
            f"({naive.calls} vs {ours.calls}), 10x wanted": naive.calls >= 10 * ours.calls,
            f"wall time only {_ratio(naive.seconds, ours.seconds)} less than the baseline, "
            "5x wanted": naive.seconds >= 5 * ours.seconds,
            "some bookings lack their one right code": all(
                row.codes_right == row.bookings for row in self.rows
            ),
            "some actions failed": not any(row.failed for row in self.rows),
        }
        return [text for text, ok in checks.items() if not ok]

    def table(self) -> str:
        """The Markdown table and the ratio lines."""
        lines = [
            f"{self.locks} locks, {self.bookings} bookings, "
            f"{self.latency * 1000:g} ms latency per request, {self.changed} bookings changed",
            "",
            "| scenario | tool | The Keys calls | listings | mutations | logins "
            "| Smoobu calls | wall time | codes right |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        lines += [
            f"| {r.scenario} | {r.tool} | {r.thekeys_calls} | {r.listings} | {r.mutations} "
            f"| {r.logins} | {r.smoobu_calls} | {r.seconds:.2f} s "
            f"| {r.codes_right}/{r.bookings} |"
            for r in self.rows
        ]
        lines.append("")
        for scenario in SCENARIOS:
            naive, ours = self.row(scenario, NAIVE), self.row(scenario, LOCKBRIDGE)
            lines.append(
                f"{scenario}: {_ratio(naive.calls, ours.calls)} fewer API calls "
                f"({naive.calls} vs {ours.calls}; The Keys alone "
                f"{_ratio(naive.thekeys_calls, ours.thekeys_calls)}), "
                f"{_ratio(naive.seconds, ours.seconds)} less wall time"
            )
        return "\n".join(lines)


def _ratio(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.1f}x" if ours else "inf"


async def bench(
    *, locks: int = 50, bookings: int = 500, latency: float = 0.2, changed: int = 10
) -> Report:
    """Run the three scenarios with both tools, each on its own simulators."""
    report = Report(locks, bookings, latency, changed)
    worlds = {NAIVE: make_world(locks, bookings), LOCKBRIDGE: make_world(locks, bookings)}
    moved = changed_ids(worlds[NAIVE], changed)
    sims = {name: await start_sims(world, latency) for name, world in worlds.items()}
    try:
        async with aiohttp.ClientSession() as session:
            ours = LockBridge(session, worlds[LOCKBRIDGE], sims[LOCKBRIDGE])
            await ours.journal.load()
            tools: dict[str, Tool] = {
                NAIVE: NaiveScript(session, worlds[NAIVE], sims[NAIVE]),
                LOCKBRIDGE: ours,
            }
            for scenario in SCENARIOS:
                if scenario == "after changes":
                    for name, world in worlds.items():
                        move(world, moved)
                        for booking_id in moved:
                            stay = world.stays[booking_id]
                            sims[name].smoobu.move_booking(
                                booking_id, arrival=stay.arrival, departure=stay.departure
                            )
                for name, tool in tools.items():
                    row = await measure(scenario, name, tool, sims[name], worlds[name])
                    report.rows.append(row)
    finally:
        for item in sims.values():
            await item.close()
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print the table; with --check, 1 unless acceptance holds."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--locks", type=int, default=50)
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 unless acceptance holds")
    args = parser.parse_args(argv)
    if args.locks < 1 or args.bookings < 1 or args.changed < 0 or args.latency < 0:
        parser.error("locks and bookings must be positive, changed and latency not negative")
    if args.bookings > 21 * args.locks:
        parser.error("at most 21 bookings per lock fit in the 90-day horizon")
    report = asyncio.run(
        bench(locks=args.locks, bookings=args.bookings, latency=args.latency, changed=args.changed)
    )
    print(report.table())
    problems = report.problems()
    print()
    print("acceptance: " + ("OK" if not problems else "NOT MET: " + "; ".join(problems)))
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
