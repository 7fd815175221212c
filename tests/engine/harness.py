"""A sync cycle against The Keys simulator, for the engine's tests and the bench."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
import random
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from custom_components.lockbridge.api.thekeys import TheKeysClient
from custom_components.lockbridge.engine.apply import (
    Applier,
    CodeClient,
    Journal,
    MemoryStorage,
    SyncResult,
    sync,
)
from custom_components.lockbridge.engine.bookings import (
    Booking,
    BookingKey,
    BookingStatus,
    Rejection,
    UnitKey,
)
from custom_components.lockbridge.engine.plan import (
    Desired,
    KeypadRef,
    Settings,
    SourceSnapshot,
    UnitConfig,
    build_desired,
)
from custom_components.lockbridge.engine.window import Override
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU
from tests.fakes.thekeys import SimCode, TheKeysSimulator

PARIS = ZoneInfo("Europe/Paris")


def booking(
    booking_id: int | str,
    unit: int | str,
    arrival: date,
    departure: date,
    guest: str = "John Doe",
    *,
    status: BookingStatus = BookingStatus.CONFIRMED,
    source: str = SMOOBU,
    **details: Any,
) -> Booking:
    """A normalised booking with sensible defaults."""
    return Booking(
        key=BookingKey(source, str(booking_id)),
        unit_id=str(unit),
        status=status,
        arrival=arrival,
        departure=departure,
        guest_name=guest,
        **details,
    )


class Cycle:
    """Runs sync cycles for a unit map against a live The Keys simulator.

    The journal's storage is kept between cycles, as Home Assistant's `Store` would be.
    """

    def __init__(
        self,
        sim: TheKeysSimulator,
        client: CodeClient,
        units: Mapping[UnitKey, UnitConfig],
        *,
        settings: Settings | None = None,
        seed: int = 1,
        zone: ZoneInfo = PARIS,
    ) -> None:
        self.sim = sim
        self.client = client
        self.units = units
        self.settings = settings or Settings()
        self.storage = MemoryStorage()
        self.zone = zone
        self.overrides: dict[BookingKey, Override] = {}
        self._random = random.Random(seed)  # deterministic test PINs

    @property
    def randbelow(self) -> Callable[[int], int]:
        """Seeded PIN draws, so failures replay."""
        return self._random.randrange

    def desired(
        self,
        bookings: Iterable[Booking] = (),
        *,
        ok: bool = True,
        rejected: Iterable[Rejection] = (),
        sources: Iterable[str] = (SMOOBU,),
    ) -> Desired:
        """The desired state of `bookings`, each source answering `ok`."""
        items = tuple(bookings)
        snapshots = {
            source: SourceSnapshot(
                ok,
                tuple(item for item in items if item.key.source == source),
                tuple(item for item in rejected if item.key.source == source),
                legacy=source == SMOOBU,  # the replaced script served Smoobu
            )
            for source in sources
        }
        return build_desired(
            snapshots,
            self.units,
            zones={},
            default_zone=self.zone,
            settings=self.settings,
            overrides=self.overrides,
        )

    async def run(
        self,
        bookings: Iterable[Booking] = (),
        now: datetime | None = None,
        *,
        ok: bool = True,
        rejected: Iterable[Rejection] = (),
        dry_run: bool = False,
        applier: Applier | None = None,
        sources: Iterable[str] = (SMOOBU,),
    ) -> SyncResult:
        """One cycle: list, plan, apply (journal loaded from the kept storage)."""
        journal = Journal(self.storage)
        await journal.load()
        return await sync(
            self.client,
            self.desired(bookings, ok=ok, rejected=rejected, sources=sources),
            self.lock_ids,
            journal,
            now or datetime.now(self.zone),
            dry_run=dry_run,
            applier=applier or Applier(self.client, journal, sleep=_no_sleep),
            randbelow=self.randbelow,
        )

    @property
    def lock_ids(self) -> list[int]:
        """Every lock the unit map names."""
        return sorted({unit.keypad.lock_id for unit in self.units.values()})

    def codes(self, keypad: KeypadRef | None = None) -> list[SimCode]:
        """The simulator's codes, of one keypad or all."""
        if keypad is None:
            return self.sim.codes()
        return self.sim.codes(keypad.lock_id, keypad.keypad_id)


async def _no_sleep(_seconds: float) -> None:
    """Retries without waiting: the tests check what is retried, not the clock."""


def thekeys_client(
    session: aiohttp.ClientSession, url: str, sim: TheKeysSimulator
) -> TheKeysClient:
    """A client logged in as the simulator's account."""
    return TheKeysClient(session, sim.username, sim.password, base_url=url)


def at(day: date, hour: int = 10, minute: int = 0, zone: ZoneInfo = PARIS) -> datetime:
    """A wall-clock instant in `zone`."""
    return datetime.combine(day, time(hour, minute), zone)
