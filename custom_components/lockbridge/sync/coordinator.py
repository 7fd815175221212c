"""The sync: The Keys account read once per cycle, codes planned and applied, views built.

One coordinator per account. The sources (sources/) hand it their bookings; a source's
update starts a sync at once (unless one is on it), and the periodic one catches the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
import secrets
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ..api import AccessCode, Account, ApiError, AuthenticationError, Lock, TheKeysClient
from ..clients import login_digest
from ..clock import ClockedCoordinator
from ..const import CONF_LOCKS_INTERVAL, DOMAIN, FAILURES_BEFORE_PROBLEM, LOGGER
from ..engine.apply import Applier, Journal, Outcome, codes_after
from ..engine.bookings import BookingKey
from ..engine.plan import Desired, KeypadRef, lock_zones
from ..engine.staff import Staff
from ..login_guard import LOGIN_GUARDS, LoginGuard, login_refused
from ..members import staff_of
from ..models import Unit, option, settings_from
from ..repairs import Issues
from ..sources.base import SourceCoordinator, SourceData
from ..storage import StateStore
from .changes import Inputs, Pending, locks_of, quiet, touched_locks
from .data import SyncData
from .jobs import desired_job, plan_job, turnovers_by_unit
from .problems import sync_problems
from .reads import read
from .report import report
from .views import SourceView, UnitView, Views, build_views
from .writes import EntityWrites


class SyncCoordinator(ClockedCoordinator[SyncData]):
    """The Keys account: locks and codes, read once per cycle, and the sync itself."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: TheKeysClient,
        journal: Journal,
        state: StateStore,
        issues: Issues,
        owner: str,
    ) -> None:
        minutes = int(option(entry.options, CONF_LOCKS_INTERVAL))
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} The Keys sync",  # not the title: the account's phone number
            update_interval=timedelta(minutes=minutes),
            # A quiet cycle (changes.py) returns data equal to the last: no entity is told.
            always_update=False,
        )
        self.client = client
        self.journal = journal
        self.state = state
        #: This installation and account, as the tags of their codes name them.
        self.owner = owner
        self.issues = issues
        self.sources: dict[str, SourceCoordinator] = {}
        #: The account's device in the registry, set up before the entities (entity.py).
        self.account_device_id = ""
        #: Device models in Home Assistant's language ("Apartment", "Logement"...).
        self.models: dict[str, str] = {}
        #: Labels of calendar events in Home Assistant's language ("Adults", "Adultes"...).
        self.labels: dict[str, str] = {}
        self.failures = 0
        #: Refused logins in a row: retried with backoff, reauth only when they last.
        self.login_guard = hass.data.setdefault(LOGIN_GUARDS, {}).setdefault(
            entry.entry_id, LoginGuard()
        )
        #: PIN randomness and retry waits (tests pin them down).
        self.randbelow = secrets.randbelow
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._lock = asyncio.Lock()
        self._failed_keys: set[str] = set()
        self._stopping = False
        self._views: Views | None = None
        #: Codes an action changed since the last sync (a regenerated PIN), shown until the
        #: next sync's views, so that a message sent right after carries the new PIN.
        self._changed_codes: dict[BookingKey, AccessCode] = {}
        self._views_revision = 0
        #: Entity state writes, a batch per turn of the loop.
        self.writes = EntityWrites(hass, entry)
        self._reading_all = False
        #: Source updates so far, and how many of them the last sync had read.
        self._changes = 0
        self._seen = 0
        self._follow_up: asyncio.Task[None] | None = None
        self.pending = Pending()  # locks touched by changes not yet synced
        #: Each source's data and whether it answered, as the last planned sync took them.
        self._synced: dict[str, tuple[SourceData | None, bool]] = {}
        #: What the last plan was made on, and when the entities were last told.
        self._inputs: Inputs | None = None
        self._notified: datetime | None = None

    # -- configuration -------------------------------------------------------------------

    @property
    def kinds(self) -> set[str]:
        """The kinds of the account's sources."""
        return {source.kind for source in self.sources.values()}

    @property
    def units(self) -> list[Unit]:
        """Every unit of every source."""
        return [unit for source in self.sources.values() for unit in source.units]

    def desired(self, account: Account, now: datetime) -> Callable[[], Desired]:
        """The codes the bookings and staff rules call for: a job for a worker thread."""
        keypads = {
            KeypadRef(lock.id, keypad.id) for lock in account.locks for keypad in lock.keypads
        }
        # A unit with a door missing from the account is held: nothing made, nothing
        # removed, until the host picks a keypad again (a repair issue says so).
        held = frozenset(
            unit.key for unit in self.units if any(door not in keypads for door in unit.keypads)
        )
        members = staff_of(self.config_entry, self.units)
        options = self.config_entry.options
        return partial(
            desired_job,
            [
                (source.source_id, source.kind, source.legacy_script, source.answered, source.data)
                for source in self.sources.values()
            ],
            held,
            {unit.key: config for unit in self.units if (config := unit.config(options))},
            zones=lock_zones({lock.id: lock.timezone for lock in account.locks}),
            default_zone=self.default_zone,
            settings=settings_from(options, self.kinds),
            overrides=self.state.overrides(),
            owner=self.owner,
            released=self.state.released(),
            staff=Staff(
                {item.member.member_id: item.member for item in members}, self.state.visits()
            ),
            now=now,
        )

    # -- the cycle -----------------------------------------------------------------------

    async def _async_update_data(self) -> SyncData:
        try:
            return await self._cycle()
        finally:
            # A new login's token is kept: a restart goes on with it.
            if (held := self.client.held_token()) is not None:
                expires = dt_util.utcnow() + timedelta(seconds=held[1])
                self.state.set_token(login_digest(self.config_entry.data), held[0], expires)

    async def _cycle(self) -> SyncData:
        guard, client = self.login_guard, self.client
        interval = self.update_interval or timedelta(minutes=1)
        if (wait := guard.waiting(dt_util.utcnow(), interval)) is not None:
            # Within the backoff of a refused login (a setup retry, "Sync now", a push):
            # no login attempt, the codes stay as they are.
            raise login_refused(wait)
        refusals, logins = client.refusals, client.login_count
        if guard.refusals:
            client.allow_login()  # the guard's backoff is slower than the client's own hold
        try:
            result = await self.run(dry_run=False)
        except AuthenticationError as err:
            if client.refusals > refusals:  # not an earlier refusal handed on
                guard.refused(dt_util.utcnow())
            # "Sync problem" tells each refusal: a coordinator tells only a run's first failure.
            self.async_update_listeners()
            if guard.reauth_due():
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="auth_failed"
                ) from err
            retry = guard.retry_at(interval)
            raise login_refused(
                retry - dt_util.utcnow() if retry is not None else interval
            ) from err
        except ApiError as err:
            if client.login_count > logins:
                guard.accepted()  # a network error after the login: the password is good
            self.failures += 1
            if self.failures >= FAILURES_BEFORE_PROBLEM:
                # A coordinator tells its entities about the first failure of a run only:
                # "sync problem" must turn on at the third.
                self.async_update_listeners()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        guard.accepted()
        return result

    async def async_shutdown(self) -> None:
        """Unloading: no new change is started, and the running sync is awaited.

        Otherwise a sync still running when the entry is removed would write its journal (and
        its PINs) again after the removal, and make codes and fire events for an entry gone.
        """
        self._stopping = True
        await super().async_shutdown()
        async with self._lock:
            pass

    @property
    def mutating(self) -> asyncio.Lock:
        """Held by a sync and by actions that change codes, so that neither undoes the other."""
        return self._lock

    async def run(self, *, dry_run: bool) -> SyncData:
        """Read the account and its codes, plan, and apply unless `dry_run`.

        After a change (a push, an action), only the locks it touched are read and fixed
        (changes.py); the periodic sync reads them all, and is quiet when nothing moved.
        """
        async with self._lock:
            scoped = not dry_run and self.pending.in_scoped_task()
            wanted = self.pending.take() if scoped else None
            if scoped:
                self._seen = self._changes  # changes from now on need another run
            try:
                account, codes, unreadable, scope = await read(self.client, self.data, wanted)
            except BaseException:
                if scoped:
                    self.pending.touch(wanted)  # still to sync, by the next run
                raise
            if scope is None and not dry_run:
                self._seen = self._changes
                self.pending.take()  # every lock is read: nothing pending is left
            if not dry_run:
                self.failures = 0  # The Keys answered: a run of failed syncs ends here
            now = dt_util.utcnow()
            inputs = Inputs.now(
                self._changes, self.state.overrides_revision, self.sources.values(), self.problems()
            )
            if (
                not dry_run
                and scope is None
                and quiet(
                    self.data, self._inputs, inputs, account, codes, unreadable, self._notified, now
                )
            ):
                self.writes.heartbeat()  # "last sync" says it was just now
                return replace(self.data, synced=now)
            if not dry_run:
                self._synced = {
                    sid: (source.data, source.answered) for sid, source in self.sources.items()
                }
            # Thousands of bookings take tens of milliseconds: not in the event loop.
            desired, planned = await self.hass.async_add_executor_job(
                plan_job,
                self.desired(account, now),
                codes,
                now,
                dict(self.journal.pins),
                self.randbelow,
            )
            if scope is not None:  # the other locks' listings may be old: no action on them
                planned = replace(
                    planned,
                    actions=tuple(a for a in planned.actions if a.keypad.lock_id in scope),
                )
            applied = None
            failing: frozenset[int] = frozenset()
            if not dry_run:
                applier = Applier(
                    self.client, self.journal, sleep=self.sleep, stopping=lambda: self._stopping
                )
                applied = await applier.apply(planned)
                codes = codes_after(codes, applied.outcomes)
                failing = frozenset(outcome.action.keypad.lock_id for outcome in applied.failed)
            carried = self.data.carried(scope) if scope is not None and self.data else ()
            if carried:
                failing |= {outcome.action.keypad.lock_id for outcome in carried}
            revision = self.state.overrides_revision
            views = (
                None
                if dry_run
                else await self.hass.async_add_executor_job(
                    self._views_job(
                        account.locks, codes, (*(applied.failed if applied else ()), *carried)
                    )
                )
            )
            result = SyncData(
                account=account,
                codes=codes,
                unreadable=unreadable,
                plan=planned,
                applied=applied,
                synced=now,
                failing_locks=failing,
                views=views,
                views_revision=revision,
                generation=self.data.generation + 1 if self.data else 1,
                carried_failures=carried,
                grants=desired.grants,
                turnovers=turnovers_by_unit(desired.grants.values()),
            )
            if not dry_run:
                # After a scoped sync the next whole one plans: the others may need work.
                self._inputs = inputs if scope is None else None
                if not self._stopping:
                    report(
                        self.hass,
                        self.config_entry.entry_id,
                        self.issues,
                        result,
                        self.units,
                        [source.data for source in self.sources.values()],
                        desired.settings.horizon,
                    )
            return result

    # -- views for entities ------------------------------------------------------------

    @property
    def views(self) -> Views:
        """What the entities show, built once per change of the data behind it."""
        revision = self.state.overrides_revision
        if self._views is None or self._views_revision != revision:
            self._views, self._views_revision = self._build_views(), revision
        return self._views

    @callback
    def async_update_listeners(self) -> None:
        """New sync data (or a failure): the views the sync built, else built when read."""
        data = self.data
        self._changed_codes.clear()
        self._views = data.views if data is not None else None
        self._views_revision = data.views_revision if data is not None else 0
        self._notified = data.synced if data is not None else None
        super().async_update_listeners()

    async def async_refresh(self) -> None:
        """Sync now; return once the entities show the result (the button, the actions)."""
        await super().async_refresh()
        await self.writes.drain()

    @callback
    def queue_write(self, write: Callable[[], None]) -> None:
        """Write an entity's state soon, with the others (writes.py)."""
        self.writes.queue(write)

    @callback
    def unqueue_write(self, write: Callable[[], None]) -> None:
        """Forget a queued write (its entity is being removed)."""
        self.writes.unqueue(write)

    def _views_job(
        self,
        locks: Iterable[Lock],
        codes: Mapping[int, Iterable[AccessCode]],
        failed: Iterable[Outcome],
    ) -> Callable[[], Views]:
        """Building the views, over every booking and code: a job for a worker thread."""
        return partial(
            build_views,
            self.units,
            [
                SourceView(subentry_id, source.data.bookings if source.data else (), source.stale)
                for subentry_id, source in self.sources.items()
            ],
            locks,
            codes,
            options=self.config_entry.options,
            overrides=self.state.overrides(),
            owner=self.owner,
            default_zone=self.default_zone,
            failed=[outcome.action.key for outcome in failed],
        )

    def _build_views(self) -> Views:
        data = self.data  # None before the first sync, whatever its type says
        return self._views_job(
            *((data.account.locks, data.codes, data.failed) if data else ((), {}, ()))
        )()

    def zone_of(self, lock: Lock | None) -> ZoneInfo:
        """A lock's time zone, else Home Assistant's."""
        return self.views.zones.get(lock.id, self.default_zone) if lock else self.default_zone

    @property
    def default_zone(self) -> ZoneInfo:
        """Home Assistant's time zone, for locks that do not say theirs."""
        return ZoneInfo(self.hass.config.time_zone)

    def lock(self, lock_id: int) -> Lock | None:
        """A lock as last read."""
        return self.views.locks.get(lock_id)

    def unit_view(self, unit: Unit) -> UnitView:
        """The unit's confirmed stays with their windows, in the keypad's time zone."""
        return self.views.units[unit.unique_id]

    def code_for(self, key: BookingKey) -> AccessCode | None:
        """The code we keep on a keypad for a booking, if there is one."""
        return self._changed_codes.get(key) or self.views.codes.get(key)

    def locks_of(self, key: BookingKey) -> set[int]:
        """The locks a booking's code is on, or would be on (its unit's keypad)."""
        return locks_of(key, self.sources.values(), self.code_for(key))

    @callback
    def code_changed(self, key: BookingKey, code: AccessCode) -> None:
        """An action changed a booking's code on its keypad: shown until the next sync."""
        self._changed_codes[key] = code

    def device_identifiers(self) -> set[tuple[str, str]]:
        """The devices that still exist: the account, its sources and locks, the managed units."""
        found = {(DOMAIN, self.config_entry.unique_id or self.config_entry.entry_id)}
        found.update((DOMAIN, str(source.subentry.unique_id)) for source in self.sources.values())
        found.update((DOMAIN, unit.unique_id) for unit in self.units)
        if self.data is not None:
            found.update((DOMAIN, str(lock.id)) for lock in self.data.account.locks)
        return found

    def problems(self) -> list[str]:
        """What keeps the codes from being right (problems.py)."""
        return sync_problems(
            self.sources.values(),
            self.data,
            failures=self.failures,
            login_guard=self.login_guard,
            lock_name=lambda lock_id: lock.name if (lock := self.lock(lock_id)) else str(lock_id),
        )

    async def sync_now(self) -> None:
        """Read every source now, then sync once: what "Sync now" and the sync action do."""
        self._reading_all = True  # the sources' updates do not each start a sync
        try:
            await asyncio.gather(*(source.async_refresh() for source in self.sources.values()))
        finally:
            self._reading_all = False
        self._changes += 1  # asked for: a whole sync, never a quiet one
        await self.async_refresh()

    @callback
    def source_updated(self, source: SourceCoordinator) -> None:
        """A source's bookings changed (or it failed): sync at once, unless one is on it.

        Only the locks of the stays that changed, when the source answered (else every
        lock). A sync reading the sources after the change covers it: a running one, or the
        follow-up started here (which restarts the periodic timer). The views stay until
        that sync builds new ones in a worker (built when read, they were built on the loop).
        """
        if self._reading_all:
            return
        before, answered = self._synced.get(source.subentry.subentry_id, (None, False))
        if source.answered and answered and source.data is not None and before is not None:
            keypads = {unit.key: unit.keypads for unit in source.units}
            self.pending.touch(touched_locks(before.bookings, source.data.bookings, keypads))
        else:
            # A failure, or a recovery: what may be deleted changed on every lock.
            self.pending.touch(None)
        self._follow(1)

    async def sync_locks(self, locks: Iterable[int]) -> None:
        """An action changed codes or stays on these locks: sync them now, and only them."""
        self.pending.touch(locks)
        self._changes += 1
        with self.pending.scoped():
            await self.async_refresh()

    def _follow(self, changes: int) -> None:
        self._changes += changes
        if self._follow_up is None:
            self._follow_up = self.config_entry.async_create_background_task(
                self.hass, self._sync_for_changes(), f"{DOMAIN} sync after a source update"
            )

    async def _sync_for_changes(self) -> None:
        try:
            with self.pending.scoped():
                while self._seen < self._changes and not self._stopping:
                    async with self._lock:
                        pass  # a sync under way may still read the sources after the change
                    if self._seen < self._changes and not self._stopping:
                        await self.async_refresh()
                        if not self.last_update_success:
                            break  # The Keys unreadable: one try per change; the timer does more
        finally:
            self._follow_up = None
