"""The guest at the door: lock activity read where a guest is due, check-ins, the unit's day.

Requests: a lock is read (`serrure/get`, one request) every ACTIVITY_EVERY while one of its
stays has its code working, its guest not yet seen, and its arrival day not over (every
LATE_EVERY once all its guests are late); a lock with a guest due today or tomorrow is read
every HEALTH_EVERY for its keypads' health; at most
ACTIVITY_MAX_LOCKS locks a round, the longest unread first; and on demand. No other lock is
read. docs/architecture.md and the README's bench give what that costs a day.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..api import ApiError, LockActivity, TheKeysClient
from ..const import (
    ACTIVITY_EVERY,
    ACTIVITY_MAX_LOCKS,
    CONF_NOT_ARRIVED_AFTER,
    DOMAIN,
    HEALTH_EVERY,
    LATE_EVERY,
    LOGGER,
)
from ..engine.arrivals import (
    Arrival,
    DayState,
    Housekeeping,
    HousekeepingMark,
    SeenHow,
    Watched,
    arrival_window_end,
    first_uses,
    housekeeping,
    is_late,
    is_watched,
    not_arrived_at,
    unit_day,
    window_after_check_in,
)
from ..engine.bookings import BookingKey
from ..engine.occupancy import UnitStay
from ..models import Unit, option
from ..repairs import Issues
from ..sync.coordinator import SyncCoordinator
from ..sync.data import SyncData
from .cleaning import cleaning_seen
from .events import Door, fire_arrival, fire_not_arrived
from .health import HealthRepairs
from .index import DoorIndex, UnitStays
from .store import ActivityStore

#: Locks read at once.
PARALLEL_READS = 4
#: Seconds from the setup to the first round of reads.
FIRST_ROUND_AFTER = 30
#: A guest due today or tomorrow checks in within this much of now (either way).
DUE_WITHIN = timedelta(hours=50)


@dataclass(frozen=True, slots=True)
class LockHealth:
    """What the last activity read of a lock said, besides its entries."""

    read_at: datetime
    keypads_seen: Mapping[str, datetime]
    entries: int
    dropped: int
    unknown_actions: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class DoorData:
    """What the entities show of the doors; equal data tells no entity."""

    arrivals: Mapping[BookingKey, Arrival]
    housekeeping: Mapping[str, HousekeepingMark]
    told: frozenset[BookingKey]
    unreadable: frozenset[int]
    health: Mapping[int, LockHealth] = field(compare=False, default_factory=dict)


class DoorWatch(DataUpdateCoordinator[DoorData]):
    """Reads the activity of the locks that matter; tells check-ins and late guests."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: TheKeysClient,
        sync: SyncCoordinator,
        store: ActivityStore,
        issues: Issues,
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} door activity",
            update_interval=ACTIVITY_EVERY,
            always_update=False,
        )
        self.client = client
        self.sync = sync
        self.store = store
        self.delay = timedelta(hours=int(option(entry.options, CONF_NOT_ARRIVED_AFTER)))
        self._health: dict[int, LockHealth] = {}
        self._unreadable: set[int] = set()
        self.repairs = HealthRepairs(issues)
        self.reads = 0
        self.read_failures = 0
        self._unknown: Counter[str] = Counter()
        self._due_timer: CALLBACK_TYPE | None = None
        self._telling = asyncio.Lock()
        #: The sync's views it was built from, and the index.
        self._index: tuple[object, DoorIndex] | None = None

    # -- life ------------------------------------------------------------------------------

    @callback
    def start(self) -> list[Callable[[], None]]:
        """Poll whether or not an entity listens (events and repairs need no entity).

        The first round comes FIRST_ROUND_AFTER the setup, not during it (the first sync and
        the entities' setup have the loop); who is late and the repairs are known now.
        """
        self._sync_changed()

        @callback
        def first_round(_: datetime) -> None:
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{DOMAIN} first door read"
            )

        return [
            async_call_later(self.hass, FIRST_ROUND_AFTER, first_round),
            self.async_add_listener(lambda: None),
            self.sync.async_add_listener(self._sync_changed),
            self._cancel_due,
        ]

    @callback
    def _cancel_due(self) -> None:
        if self._due_timer is not None:
            self._due_timer()
            self._due_timer = None

    @callback
    def _sync_changed(self) -> None:
        """New stays or codes: the next "not arrived" and the batteries may have moved."""
        now = dt_util.utcnow()
        self._schedule_due(now)
        self._check_health(now)

    # -- what the entities read ------------------------------------------------------------

    def units(self) -> tuple[UnitStays, ...]:
        """Every managed unit with its lock and stays."""
        return self.index().units

    def index(self) -> DoorIndex:
        """The stays by start and check-in, made again when the sync's views are new."""
        views = self.sync.views
        if self._index is None or self._index[0] is not views:
            units = [
                UnitStays(unit, unit.keypad.lock_id, views.units[unit.unique_id].stays)
                for unit in self.sync.units
                if unit.keypad is not None and unit.unique_id in views.units
            ]
            self._index = (views, DoorIndex(units, dt_util.utcnow()))
        return self._index[1]

    def today(self, lock_id: int, now: datetime) -> date:
        """The lock's local date now."""
        return now.astimezone(self.sync.views.zones.get(lock_id, self.sync.default_zone)).date()

    def arrival(self, key: BookingKey) -> Arrival | None:
        """A stay's check-in, when seen or marked."""
        return self.store.arrivals.get(key)

    def day(self, unit: Unit, now: datetime) -> tuple[DayState, UnitStay | None]:
        """The unit's day now, and the stay it is about."""
        stays = self.sync.unit_view(unit).stays
        lock_id = unit.keypad.lock_id if unit.keypad else 0
        return unit_day(stays, self.store.arrivals, now, self.today(lock_id, now))

    def late(self, stay: UnitStay | None, now: datetime) -> bool:
        """A guest not seen yet when their check-in and the delay have passed."""
        return stay is not None and is_late(
            stay, stay.booking.key in self.store.arrivals, now, self.delay
        )

    def housekeeping(self, unit: Unit, now: datetime) -> Housekeeping:
        """Dirty once a guest left after the last mark; units start ready."""
        mark = self.store.housekeeping.get(unit.unique_id) or HousekeepingMark(
            Housekeeping.READY, self.store.started
        )
        return housekeeping(mark, self.sync.unit_view(unit).stays, now)

    def keypad_seen(self, lock_id: int, keypad_id: str) -> datetime | None:
        """When the cloud last saw a keypad, as the last activity read of its lock said."""
        health = self._health.get(lock_id)
        return health.keypads_seen.get(keypad_id) if health else None

    def health(self, lock_id: int) -> LockHealth | None:
        """The last activity read of a lock."""
        return self._health.get(lock_id)

    # -- what the host does ----------------------------------------------------------------

    async def mark_checked_in(self, key: BookingKey, at: datetime | None = None) -> Arrival:
        """The host says the guest is in (no lock activity, or a key used)."""
        now = dt_util.utcnow()
        for item in self.units():
            for stay in item.stays:
                if stay.booking.key == key:
                    if (known := self.store.arrivals.get(key)) is not None:
                        return known
                    moment = at or now
                    arrival = Arrival(moment, SeenHow.MANUAL, moment < stay.check_in)
                    await self._tell_arrival(item, stay, arrival)
                    self._publish()
                    await self.sync.writes.drain()
                    return arrival
        raise KeyError(key)

    def set_housekeeping(self, unit: Unit, state: Housekeeping) -> None:
        """The host (or the cleaner) sets a unit's housekeeping state."""
        self.store.set_housekeeping(unit.unique_id, HousekeepingMark(state, dt_util.utcnow()))
        self._publish()

    async def read_now(self, lock_ids: Iterable[int] | None = None) -> None:
        """Read these locks' activity now (all locks that matter when None)."""
        now = dt_util.utcnow()
        watched = self._watched(now)
        if lock_ids is None:
            lock_ids = set(watched) | self.guest_due(now)
        await self._read_locks(set(lock_ids), now, watched)
        await self._tell_not_arrived(now)
        self._check_health(now)
        self._publish()
        await self.sync.writes.drain()

    # -- the rounds ------------------------------------------------------------------------

    async def _async_update_data(self) -> DoorData:
        now = dt_util.utcnow()
        if self.sync.data is not None:
            watched = self._watched(now)  # once a round: it walks every stay
            await self._read_locks(self._due_locks(now, watched), now, watched)
            await self._tell_not_arrived(now)
            self._check_health(now)
            self._schedule_due(now)
        return self._snapshot()

    def _watched(self, now: datetime) -> dict[int, list[tuple[UnitStays, Watched]]]:
        """Per lock, its stays whose first use of their code is looked for now."""
        found: dict[int, list[tuple[UnitStays, Watched]]] = {}
        for item, stay in self.index().begun(now):
            arrived = stay.booking.key in self.store.arrivals
            if not is_watched(stay, arrived, now, self.delay):
                continue
            code = self.sync.code_for(stay.booking.key)
            if code is not None and code.lock_id == item.lock_id:
                found.setdefault(item.lock_id, []).append(
                    (item, Watched(stay, item.lock_id, code.id))
                )
        return found

    def guest_due(self, now: datetime) -> set[int]:
        """Locks with a guest arriving today or tomorrow (their local days)."""
        due = set()
        for item, stay in self.index().checking_in(now - DUE_WITHIN, now + DUE_WITHIN):
            if item.lock_id in due or stay.end <= now:
                continue
            today = self.today(item.lock_id, now)
            if stay.booking.arrival in (today, today + timedelta(days=1)):
                due.add(item.lock_id)
        return due

    def _due_locks(
        self, now: datetime, watched: Mapping[int, list[tuple[UnitStays, Watched]]]
    ) -> set[int]:
        """The watched locks (less often once all their guests are late), and old health."""

        def older(lock_id: int, age: timedelta) -> bool:
            health = self._health.get(lock_id)
            return health is None or now - health.read_at >= age

        reading = {
            lock_id
            for lock_id, items in watched.items()
            if not all(self.late(w.stay, now) for _, w in items) or older(lock_id, LATE_EVERY)
        }
        return reading | {
            lock_id for lock_id in self.guest_due(now) if older(lock_id, HEALTH_EVERY)
        }

    async def _read_locks(
        self,
        lock_ids: set[int],
        now: datetime,
        watched: Mapping[int, list[tuple[UnitStays, Watched]]],
    ) -> None:
        def last_read(lock_id: int) -> datetime:
            health = self._health.get(lock_id)
            return health.read_at if health else datetime.min.replace(tzinfo=now.tzinfo)

        chosen = sorted(lock_ids, key=last_read)[:ACTIVITY_MAX_LOCKS]
        gate = asyncio.Semaphore(PARALLEL_READS)

        async def read(lock_id: int) -> LockActivity | None:
            zone = self.sync.views.zones.get(lock_id, self.sync.default_zone)
            async with gate:
                self.reads += 1
                try:
                    return await self.client.get_activity(lock_id, zone)
                except ApiError as err:
                    # The client's errors carry no secret; the lock's next round tries again.
                    LOGGER.debug("Activity of lock %s unreadable: %s", lock_id, err)
                    self.read_failures += 1
                    return None

        results = await asyncio.gather(*(read(lock_id) for lock_id in chosen))
        for lock_id, activity in zip(chosen, results, strict=True):
            if activity is None:
                self._unreadable.add(lock_id)
                continue
            self._unreadable.discard(lock_id)
            self._health[lock_id] = LockHealth(
                now,
                activity.keypads_seen,
                len(activity.entries),
                activity.dropped,
                activity.unknown_actions,
            )
            self._unknown.update(activity.unknown_actions)
            items = watched.get(lock_id, [])
            seen = first_uses((w for _, w in items), activity)
            for item, w in items:
                if (arrival := seen.get(w.stay.booking.key)) is not None:
                    await self._tell_arrival(item, w.stay, arrival)
            if cleaning_seen(self.sync, self.store, activity):
                self._publish()

    async def _tell_arrival(self, item: UnitStays, stay: UnitStay, arrival: Arrival) -> None:
        """Kept first, then told: a restart finds it and never tells it again."""
        key = stay.booking.key
        if key in self.store.arrivals:
            return
        await self.store.add_arrival(key, arrival, stay.end)
        fire_arrival(self.hass, self._door(item), stay, arrival)

    def _untold(
        self, now: datetime, due_by: datetime | None = None
    ) -> Iterator[tuple[UnitStays, UnitStay, datetime]]:
        """Stays not seen nor told late, in their arrival window, due since the watch began.

        The first due first; only those due by `due_by` when given.
        """
        since = now - window_after_check_in(self.delay)
        until = None if due_by is None else due_by - self.delay
        for item, stay in self.index().checking_in(since, until):
            key = stay.booking.key
            due = not_arrived_at(stay, self.delay)
            if (
                key not in self.store.arrivals
                and key not in self.store.not_arrived
                and self.store.started <= due
                and now < arrival_window_end(stay, self.delay)
            ):
                yield item, stay, due

    async def _tell_not_arrived(self, now: datetime) -> None:
        """Every stay whose guest is late now, once."""
        async with self._telling:
            for item, stay, due in list(self._untold(now, due_by=now)):
                if stay.booking.key in self.store.not_arrived:
                    continue
                await self.store.note_not_arrived(stay.booking.key, stay.end)
                fire_not_arrived(
                    self.hass,
                    self._door(item),
                    stay,
                    due,
                    readable=item.lock_id in self._health and item.lock_id not in self._unreadable,
                )

    @callback
    def _check_health(self, now: datetime) -> None:
        data: SyncData | None = self.sync.data  # None before the first sync
        if data is None:
            return
        keypads = [item.unit.keypad for item in self.units() if item.unit.keypad is not None]
        self.repairs.check(data.account.locks, keypads, self.guest_due(now), self.keypad_seen, now)

    def _door(self, item: UnitStays) -> Door:
        return Door(
            self.config_entry.entry_id, item.unit, item.lock_id, self.sync.lock(item.lock_id)
        )

    @callback
    def _schedule_due(self, now: datetime) -> None:
        """A timer at the next moment a guest becomes late (not the next round)."""
        self._cancel_due()
        # One already due (a stay moved back, a shorter delay) is told at once.
        first = next(self._untold(now), None)
        if first is not None:
            self._due_timer = async_track_point_in_utc_time(
                self.hass, self._on_due, max(first[2], now)
            )

    @callback
    def _on_due(self, now: datetime) -> None:
        self._due_timer = None

        async def tell() -> None:
            # A last look at the doors first: a guest in since the last round is no late one.
            moment = dt_util.utcnow()
            last_look = {item.lock_id for item, _, _ in self._untold(moment, due_by=moment)}
            await self._read_locks(last_look, moment, self._watched(moment))
            await self._tell_not_arrived(dt_util.utcnow())
            self._schedule_due(dt_util.utcnow())
            self._publish()

        self.config_entry.async_create_background_task(self.hass, tell(), f"{DOMAIN} late")

    def _snapshot(self) -> DoorData:
        return DoorData(
            arrivals=dict(self.store.arrivals),
            housekeeping=dict(self.store.housekeeping),
            told=frozenset(self.store.not_arrived),
            unreadable=frozenset(self._unreadable),
            health=dict(self._health),
        )

    @callback
    def _publish(self) -> None:
        """Tell the entities now, when what they show changed."""
        self.async_set_updated_data(self._snapshot())

    def diagnostics(self) -> dict[str, Any]:
        """Reads, failures, what the entries held (counts and unknown actions, no ids)."""
        return {
            "reads": self.reads,
            "read_failures": self.read_failures,
            "unreadable_locks": len(self._unreadable),
            "unknown_actions": dict(self._unknown.most_common(20)),
            "locks": {
                str(lock_id): {
                    "read_at": h.read_at.isoformat(),
                    "entries": h.entries,
                    "dropped": h.dropped,
                    "unknown_actions": dict(h.unknown_actions),
                    "keypads_seen": {k: v.isoformat() for k, v in h.keypads_seen.items()},
                }
                for lock_id, h in self._health.items()
            },
            "kept": self.store.as_dict(),
        }
