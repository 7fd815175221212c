"""The iCal source measured inside a real Home Assistant: 50 feeds, their polls and the loop.

Not collected by the normal suite (no test_ prefix); scripts/bench runs it:

    .venv/bin/python -m pytest tests/perf_ical.py -p no:cacheprovider --no-cov -q

One iCal source with FEEDS Airbnb-shaped feeds (a unit and a lock each), served by the
simulator from a thread of its own over loopback HTTP with LATENCY per request. Scenarios:
the first read and sync; a steady poll where the platform answers 304 (ETag); a steady poll
where it does not (Airbnb's export stamps every read anew: the bytes come, no parse follows);
a poll where every feed changed (each parsed in the executor); a reservation dropped from
its feed, polled until its code goes. Per scenario: wall, feed requests and bytes, The Keys
calls, the loop's longest block (a 1 ms heartbeat) and the longest callback, loop CPU.
LOCKBRIDGE_PERF_CHECK=1: the last test fails unless the targets (TARGETS) hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import os
from statistics import median
import threading
import time
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from aiohttp import web
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import CONF_THEKEYS_URL, CONF_UNITS, DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.sources.ical_reading import MISS_GAP
from tests import bench
from tests.fakes import TheKeysSimulator
from tests.fakes.ical import IcalSimulator, SimEvent
from tests.perf_ha import (  # noqa: F401  # fixtures: the loop as Home Assistant runs it
    CallbackMeter,
    GcMeter,
    Heartbeat,
    custom_integrations,
    enable_event_loop_debug,
    production_logging,
    set_up,
)

ZONE = ZoneInfo("Europe/Paris")
FEEDS = 50
#: Reservations per feed over a year, and "Not available" windows (rolling ones included).
STAYS_PER_FEED = 20
BLOCKS_PER_FEED = 6
LATENCY = 0.1
STEADY = 5
#: The interval a host keeps by default (minutes): polls a day = 24 * 60 / this.
INTERVAL = 15
#: Targets: the loop's longest block in a steady poll and in a poll that parses every feed.
TARGETS = {"steady": 0.020, "changed": 0.050}


class Later:
    """dt_util as the source reads it, `offset` later: polls spaced as a host's are.

    The bench polls back to back; a real poll comes every 15 minutes, and reads closer than
    MISS_GAP are one piece of evidence of a dropped stay (a "Sync now", a reload).
    """

    offset = timedelta()

    def __getattr__(self, name: str) -> Any:
        return getattr(dt_util, name)

    def now(self, time_zone: Any = None) -> datetime:
        return dt_util.now(time_zone) + self.offset


class Clouds:
    """The Keys and the feeds behind one loopback server, in a thread with its own loop."""

    def __init__(self, thekeys: TheKeysSimulator, ical: IcalSimulator) -> None:
        self.thekeys, self.ical = thekeys, ical
        #: Answer without validators (no ETag): every poll fetches every byte.
        self.validators = True
        self.bytes = 0
        self.base_url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="perf-ical", daemon=True)

    def app(self) -> web.Application:
        @web.middleware
        async def meter(request: web.Request, handler: Any) -> web.StreamResponse:
            await asyncio.sleep(LATENCY)
            if not self.validators:  # a platform that knows no ETag answers every byte
                headers = {k: v for k, v in request.headers.items() if k != "If-None-Match"}
                request = request.clone(headers=headers)
            response: web.StreamResponse = await handler(request)
            if request.path.startswith("/ical/"):
                if not self.validators:
                    response.headers.pop("ETag", None)
                if isinstance(response, web.Response) and response.body is not None:
                    self.bytes += len(response.body)  # type: ignore[arg-type]
            return response

        root = web.Application(middlewares=[meter])
        root.add_subapp("/thekeys", self.thekeys.make_app())
        root.add_subapp("/ical", self.ical.make_app())
        return root

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(30)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    def call[T](self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the simulators' loop (their state is its)."""
        assert self._loop is not None

        async def run() -> T:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def _run(self) -> None:
        loop = asyncio.SelectorEventLoop()
        self._loop = loop
        runner = web.AppRunner(self.app(), access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()


@dataclass(slots=True)
class Row:
    """One scenario."""

    name: str
    wall: float
    feed_requests: int
    feed_bytes: int
    thekeys: int
    block: float
    callback: float
    callback_what: str
    cpu: float
    codes: int
    note: str = ""


ROWS: list[Row] = []


def seed(today: date) -> tuple[TheKeysSimulator, IcalSimulator, list[str]]:
    """FEEDS locks and feeds; each feed a year of stays, with blocks around them."""
    thekeys = TheKeysSimulator(bench.TK_USER, bench.TK_PASSWORD)
    ical = IcalSimulator()
    tokens = []
    for index in range(FEEDS):
        lock_id = 8001 + index
        thekeys.add_lock(lock_id, f"Cabin {index + 1}", keypads=[(f"Kc{index:06d}", "Keypad")])
        token = ical.add_feed("airbnb", token=f"perf{index:04d}{'0' * 24}")
        tokens.append(token)
        for stay in range(STAYS_PER_FEED):
            start = today + timedelta(days=-6 + stay * 18 + index % 5)
            ical.book(token, start, start + timedelta(days=3 + stay % 4), phone_last4="1234")
        for block in range(BLOCKS_PER_FEED):
            start = today + timedelta(days=block * 60 + 8)
            ical.add_event(
                token,
                SimEvent(f"b{index}-{block}@airbnb", start, start + timedelta(days=2), block=True),
            )
        # A rolling lead-time window and the far future: Airbnb moves both every day.
        ical.add_event(
            token, SimEvent(f"lead{index}", today, today + timedelta(days=1), block=True)
        )
        ical.add_event(
            token,
            SimEvent(
                f"far{index}", today + timedelta(days=365), today + timedelta(days=730), block=True
            ),
        )
    return thekeys, ical, tokens


def make_entry(clouds: Clouds, tokens: list[str]) -> MockConfigEntry:
    """The account and one iCal source with every feed, as its flow stores them."""
    feeds = [
        {
            "feed_url": f"{clouds.base_url}/ical/feeds/{token}.ics",
            "platform": "airbnb",
            "unit": f"u{i + 1}",
        }
        for i, token in enumerate(tokens)
    ]
    units = {
        f"u{i + 1}": {
            "name": f"Cabin {i + 1}",
            "keypad": f"{8001 + i}/Kc{i:06d}",
            "check_in": "15:00:00",
            "check_out": "11:00:00",
        }
        for i in range(len(tokens))
    }
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id="42",
        title=clouds.thekeys.username,
        data={
            CONF_USERNAME: clouds.thekeys.username,
            CONF_PASSWORD: clouds.thekeys.password,
            CONF_THEKEYS_URL: f"{clouds.base_url}/thekeys",
        },
        subentries_data=[
            ConfigSubentryData(
                data={"feeds": feeds, CONF_UNITS: units, "missing_reads": 3},
                subentry_type="ical",
                title="Airbnb: 50 cabins",
                unique_id="ical-perf",
            )
        ],
        pref_disable_polling=True,  # each poll is the scenario's own
    )


def our_codes(thekeys: TheKeysSimulator) -> int:
    return sum(
        1
        for code in thekeys.codes()
        if (key := parse_tag(code.description)) and key.source == "ical"
    )


@pytest.fixture
def clouds() -> Iterator[Clouds]:
    thekeys, ical, tokens = seed(datetime.now(ZONE).date())
    server = Clouds(thekeys, ical)
    server.start()
    server.tokens = tokens  # type: ignore[attr-defined]
    yield server
    server.stop()


async def test_fifty_feeds(hass: HomeAssistant, clouds: Clouds) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    heart, callbacks = Heartbeat(), CallbackMeter()
    tokens: list[str] = clouds.tokens  # type: ignore[attr-defined]
    entry = make_entry(clouds, tokens)
    entry.add_to_hass(hass)
    with callbacks.patched():
        await heart.start()
        try:
            await _scenarios(hass, clouds, entry, tokens, heart, callbacks)
        finally:
            await heart.stop()
            await hass.config_entries.async_unload(entry.entry_id)


async def _scenarios(
    hass: HomeAssistant,
    clouds: Clouds,
    entry: MockConfigEntry,
    tokens: list[str],
    heart: Heartbeat,
    callbacks: CallbackMeter,
) -> None:
    async def measure(name: str, action: Callable[[], Awaitable[str | None]]) -> Row:
        clouds.call(clouds.ical.clear_log)
        clouds.call(clouds.thekeys.clear_log)
        clouds.bytes = 0
        heart.reset()
        await asyncio.sleep(0.01)
        heart.reset()
        callbacks.reset()
        cpu, started = time.thread_time(), time.perf_counter()
        with GcMeter():
            note = await action()
            await hass.async_block_till_done()
            wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
            ticks = heart.ticks
            await asyncio.sleep(0.01)
        return Row(
            name,
            wall,
            clouds.call(clouds.ical.count, "/feeds/"),
            clouds.bytes,
            clouds.call(clouds.thekeys.count),
            heart.worst,
            callbacks.worst,
            callbacks.what,
            max(cpu - ticks * heart.tick_cpu, 0.0),
            clouds.call(our_codes, clouds.thekeys),
            note or "",
        )

    async def first() -> None:
        await set_up(hass, entry)

    ROWS.append(await measure("first read and sync", first))
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    coordinator = entry.runtime_data.coordinator

    async def poll() -> str | None:
        before = coordinator.data
        await source.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
        return None if coordinator.data is not before else "no change: no sync"

    ROWS.append(
        _median("steady poll, 304 (ETag)", [await measure("", poll) for _ in range(STEADY)])
    )
    clouds.validators = False
    await measure("", poll)  # the first answer without a validator is new bytes: parsed once
    ROWS.append(
        _median(
            "steady poll, no ETag, new DTSTAMP", [await measure("", poll) for _ in range(STEADY)]
        )
    )
    today = datetime.now(ZONE).date()
    before = ROWS[-1].codes
    new = []
    for index, token in enumerate(tokens):
        start = today + timedelta(days=2 + index % 3)
        new.append(clouds.call(clouds.ical.book, token, start, start + timedelta(days=1), ""))
    row = await measure("every feed changed (a new stay each)", poll)
    row.note = f"{row.codes - before} new codes"
    ROWS.append(row)
    clouds.call(clouds.ical.cancel, tokens[0], new[0].uid)
    later = Later()
    with patch("custom_components.lockbridge.sources.ical.dt_util", later):
        for read in (1, 2, 3):
            later.offset = read * (MISS_GAP + timedelta(minutes=1))
            ROWS.append(await measure(f"a stay dropped, read {read}", poll))


def _median(name: str, rows: list[Row]) -> Row:
    return Row(
        name,
        median(r.wall for r in rows),
        round(median(r.feed_requests for r in rows)),
        round(median(r.feed_bytes for r in rows)),
        round(median(r.thekeys for r in rows)),
        max(r.block for r in rows),
        max(r.callback for r in rows),
        max(rows, key=lambda r: r.callback).callback_what,
        median(r.cpu for r in rows),
        rows[-1].codes,
        f"median of {len(rows)}, worst block",
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def test_report(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        f"## iCal: {FEEDS} feeds, {STAYS_PER_FEED} stays and {BLOCKS_PER_FEED + 2} blocks each, "
        f"{LATENCY:g} s per request",
        "",
        "| scenario | wall | feed requests | feed bytes | The Keys calls | longest block | "
        "longest callback | loop CPU | our codes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    lines += [
        f"| {r.name} | {r.wall:.2f} s | {r.feed_requests} | {r.feed_bytes / 1024:.0f} kB | "
        f"{r.thekeys} | {_ms(r.block)} | {_ms(r.callback)} | {_ms(r.cpu)} | {r.codes} |"
        for r in ROWS
    ]
    checks: list[tuple[str, bool]] = []
    by = {r.name: r for r in ROWS}
    steady = [r for r in ROWS if r.name.startswith("steady")]
    changed = by.get("every feed changed (a new stay each)")
    if steady and changed is not None:
        polls = 24 * 60 // INTERVAL
        lines += [
            "",
            f"Polling cost at the default {INTERVAL} min: {polls * FEEDS} feed requests a day; "
            f"{steady[0].feed_bytes * polls / 1e6:.1f} MB a day where the platform answers 304, "
            f"{steady[1].feed_bytes * polls / 1e6:.1f} MB where it does not.",
            "Longest callbacks: "
            + "; ".join(f"{r.name}: {_ms(r.callback)} ({r.callback_what[:120]})" for r in ROWS),
        ]
        for row in steady:
            checks.append(
                (
                    f"{row.name}: block {_ms(row.block)} <= {_ms(TARGETS['steady'])}",
                    row.block <= TARGETS["steady"],
                )
            )
        checks.append(
            (
                f"changed: block {_ms(changed.block)} <= {_ms(TARGETS['changed'])}",
                changed.block <= TARGETS["changed"],
            )
        )
        dropped = [r for r in ROWS if r.name.startswith("a stay dropped")]
        codes = [r.codes for r in dropped]
        checks.append(
            (f"each new stay got its code ({changed.note})", changed.note == f"{FEEDS} new codes")
        )
        checks.append(
            (
                f"the dropped stay's code stays two reads, goes at the third ({codes})",
                len(codes) == 3 and codes[0] == codes[1] == codes[2] + 1,
            )
        )
    else:
        checks.append(("scenarios not measured", False))
    failed = [text for text, ok in checks if not ok]
    lines += ["", *(f"- {'ok' if ok else 'NOT MET'}: {text}" for text, ok in checks)]
    lines.append("acceptance (iCal): " + ("OK" if not failed else "NOT MET"))
    with capsys.disabled():
        print("\n" + "\n".join(lines), flush=True)
    if os.environ.get("LOCKBRIDGE_PERF_CHECK") == "1" and failed:
        pytest.fail("iCal acceptance figures not met (see the report above)", pytrace=False)
