"""Coordinators: one per booking source, one per account that also runs the sync."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from itertools import islice
import secrets
from typing import Any, cast
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    AccessCode,
    Account,
    ApiError,
    AuthenticationError,
    HotelRunnerReservation,
    ListingIncompleteError,
    Lock,
    RateLimitedError,
    RequestBudget,
    SmoobuReservation,
    TheKeysClient,
)
from .clients import hotelrunner_client, smoobu_client
from .clock import ClockedCoordinator
from .const import (
    CONF_DELIVERY_QUEUE,
    CONF_GRACE,
    CONF_HORIZON,
    CONF_HOTELRUNNER_INTERVAL,
    CONF_LOCKS_INTERVAL,
    CONF_SMOOBU_INTERVAL,
    DOMAIN,
    FAILURES_BEFORE_PROBLEM,
    LOGGER,
    MAX_SOURCE_RETRY_AFTER,
    SUBENTRY_HOTELRUNNER,
)
from .engine.apply import Applier, ApplyResult, Journal, codes_after, read_codes
from .engine.bookings import (
    SMOOBU,
    Booking,
    BookingKey,
    BookingStatus,
    Normalised,
    Rejection,
    RejectReason,
    UnitKey,
    from_hotelrunner,
    from_smoobu,
)
from .engine.ownership import short_id
from .engine.plan import (
    Desired,
    KeypadRef,
    Plan,
    Settings,
    SourceSnapshot,
    UnitConfig,
    build_desired,
    lock_zones,
    plan,
)
from .engine.window import Override
from .events import fire_outcome
from .hotelrunner_merge import bounded, merge, reservation_of
from .hotelrunner_queue import Confirmations, Round
from .login_guard import LOGIN_GUARDS, LoginGuard, login_refused
from .models import SOURCE_OF_SUBENTRY, Unit, option, settings_from, units_of
from .repairs import (
    CODE_FAILED,
    HOTELRUNNER_BUDGET,
    HOTELRUNNER_QUEUE,
    KEYPAD_MISSING,
    SMOOBU_LEGACY_KEY,
    SOURCE_AUTH,
    UNIT_WITHOUT_KEYPAD,
    Issues,
)
from .storage import StateStore
from .views import SourceView, UnitView, Views, build_views
from .webhooks import PushCounts

#: Entity states written per turn of the event loop.
WRITE_BATCH = 16
#: Skipped bookings named in "sync problem"; the rest are counted.
MAX_LISTED = 10
#: HotelRunner lists reservations created at most this long ago (reference §4).
HOTELRUNNER_LOOKBACK = timedelta(days=30)
#: HotelRunner requests a day kept out of polling, for "Sync now" and the actions.
HOTELRUNNER_RESERVE = 50
#: Smoobu is read whole this often (and at each new day); polls between ask for changes.
SMOOBU_FULL_READ_EVERY = timedelta(hours=3)
#: Requests for a source's read (pushes) within this many seconds make one.
PUSH_COOLDOWN = 1.0
#: While pushes arrive, polling (the safety net) slows to this, or stays slower if set so...
POLL_WHILE_PUSHED = timedelta(hours=1)
#: ...until no push came for this long (a quiet day or a broken webhook: polls catch up).
PUSHES_TRUSTED_FOR = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class SourceData:
    """A source's last good answer."""

    bookings: tuple[Booking, ...]
    rejected: tuple[Rejection, ...]
    #: Left out of comparisons: a poll that changed nothing must not trigger a sync.
    fetched: datetime = field(compare=False)


class SourceCoordinator(ClockedCoordinator[SourceData]):
    """Polls one booking source; keeps the last good bookings when it fails."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        issues: Issues,
        interval: timedelta,
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {subentry.title}",
            update_interval=interval,
            always_update=False,
            # A push asks for a read: calls close together make one, and the next change a
            # second later is read a second later, not ten (Home Assistant's default).
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=PUSH_COOLDOWN, immediate=True
            ),
        )
        self.subentry = subentry
        #: The polling interval the options ask for (update_interval may be slower).
        self.normal_interval = interval
        self.source = SOURCE_OF_SUBENTRY[subentry.subentry_type]
        #: Names this source instance in its codes' tags (stable across removing and re-adding).
        self.source_id = short_id(subentry.unique_id or subentry.subentry_id)
        self.units = units_of(subentry)
        self.issues = issues
        #: Polls failed in a row; "sync problem" is raised from FAILURES_BEFORE_PROBLEM on.
        self.failures = 0
        self.last_error: str | None = None
        self._reported: set[Rejection] = set()
        #: The source's device in the registry, set up before its units' (entity.py).
        self.device_id = ""
        #: Until when the source asked us to wait (a 429), capped; None when it did not.
        self.held_until: datetime | None = None
        #: Calls to the source's webhook (its push), for diagnostics.
        self.pushes = PushCounts()
        #: Why the bookings are only partly read (a listing bound hit), or None.
        self.cut_short: str | None = None

    @property
    def answered(self) -> bool:
        """What the source's data says holds (its codes may be deleted on its word)."""
        return self.last_update_success and self.cut_short is None

    def poll_floor(self) -> timedelta:
        """The normal interval, or slower while pushes bring the changes."""
        last = self.pushes.last_accepted
        if last is not None and dt_util.utcnow() - last < PUSHES_TRUSTED_FOR:
            return max(self.normal_interval, POLL_WHILE_PUSHED)
        return self.normal_interval

    @property
    def options(self) -> Mapping[str, Any]:
        """The entry's options."""
        return self.config_entry.options

    @property
    def stale(self) -> bool:
        """True while the bookings shown are from before a failed poll."""
        return not self.last_update_success

    @property
    def in_trouble(self) -> bool:
        """Failed often enough in a row to call it a problem."""
        return self.failures >= FAILURES_BEFORE_PROBLEM

    def fetch_range(self) -> tuple[date, date]:
        """Stays that may need a code: ended within the grace, starting within the horizon."""
        today = dt_util.now().date()
        grace_days = int(option(self.options, CONF_GRACE)) // 24 + 1
        return today - timedelta(days=grace_days), today + timedelta(
            days=int(option(self.options, CONF_HORIZON))
        )

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """Read the source (one implementation per kind)."""
        raise NotImplementedError

    async def _async_update_data(self) -> SourceData:
        try:
            bookings, rejected = await self.fetch()
        except AuthenticationError as err:
            self._failed(err)
            self.issues.raise_issue(
                SOURCE_AUTH,
                self.subentry.subentry_id,
                placeholders={"source": self.subentry.title},
                severity=ir.IssueSeverity.ERROR,
            )
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="source_auth_failed",
                translation_placeholders={"source": self.subentry.title},
            ) from err
        except RateLimitedError as err:
            self._failed(err)
            self.rate_limited(err)
            wait = min(err.retry_after, MAX_SOURCE_RETRY_AFTER) if err.retry_after else None
            # Shown in "sync problem" while it lasts: a source that stops polling must say so.
            self.held_until = dt_util.utcnow() + timedelta(seconds=wait) if wait else None
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="source_rate_limited",
                translation_placeholders={"source": self.subentry.title},
                retry_after=wait,
            ) from err
        except ApiError as err:
            self._failed(err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="source_failed",
                translation_placeholders={"source": self.subentry.title, "error": str(err)},
            ) from err
        self.failures = 0
        self.last_error = None if self.cut_short is None else ListingIncompleteError.__name__
        self.held_until = None
        self.pace()
        self.issues.clear(SOURCE_AUTH, self.subentry.subentry_id)
        for item in set(rejected) - self._reported:
            # The key and reason only: the record itself may hold a guest's contacts.
            LOGGER.warning(
                "%s: booking %s skipped (%s); its code is left as it is",
                self.subentry.title,
                item.key,
                item.reason,
            )
        self._reported = set(rejected)
        return SourceData(bookings, rejected, dt_util.utcnow())

    def _failed(self, err: ApiError) -> None:
        self.failures += 1
        self.last_error = type(err).__name__

    def rate_limited(self, err: RateLimitedError) -> None:
        """The source asked us to wait (Smoobu's 429 is honoured through retry_after)."""

    def pace(self) -> None:
        """Set when the next poll comes (after each good one, and each push)."""
        self.update_interval = self.poll_floor()

    def pushed(self) -> None:
        """A push brought news: counted, and polling slows down."""
        self.pushes.accept()
        self.pace()


class SmoobuCoordinator(SourceCoordinator):
    """Smoobu: the bookings changed since the last poll, every few minutes.

    A full read (every booking around the sync window) comes first, then every few hours
    and at each new day (stays entering the horizon); between them a poll asks only for
    the bookings modified since the one before, mostly a single page.
    """

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, subentry: ConfigSubentry, issues: Issues
    ) -> None:
        minutes = int(option(entry.options, CONF_SMOOBU_INTERVAL))
        super().__init__(hass, entry, subentry, issues, timedelta(minutes=minutes))
        self.client = smoobu_client(hass, subentry.data)
        self._known: dict[BookingKey, Booking] = {}
        self._rejected: dict[BookingKey, Rejection] = {}
        #: When the last full read and the last successful poll started.
        self._full_at: datetime | None = None
        self._polled_at: datetime | None = None
        #: Bookings named by calls that named the account. Such a call counts as a push (and
        #: slows polling) only once the read it brings finds its booking changed or known:
        #: a forged call cannot make the safety net slow down.
        self.claimed: set[str] = set()

    def _full_read_due(self, now: datetime) -> bool:
        last = self._full_at
        return (
            last is None
            or now - last >= SMOOBU_FULL_READ_EVERY
            or dt_util.as_local(last).date() != dt_util.as_local(now).date()
        )

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """The bookings departing since the grace began and arriving within the horizon."""
        if self.client.signed:
            self.issues.clear(SMOOBU_LEGACY_KEY, self.subentry.subentry_id)
        else:
            self.issues.raise_issue(
                SMOOBU_LEGACY_KEY,
                self.subentry.subentry_id,
                placeholders={"source": self.subentry.title},
            )
        # Claims made during this read wait for the next one (the debouncer brings it).
        claimed, self.claimed = self.claimed, set()
        known = self._known.keys() | self._rejected.keys()
        now = dt_util.utcnow()
        first, last = self.fetch_range()
        polled = self._polled_at
        if polled is None or self._full_read_due(now):
            found, cut = await self._listing(
                self.client.get_reservations(departure_from=first, arrival_to=last)
            )
            if cut is None:
                self._known, self._rejected = {}, {}
            # Cut short, what was known stays besides what was read: absence proves nothing.
            for booking in found.bookings:
                self._rejected.pop(booking.key, None)
                self._known[booking.key] = booking
            for item in found.rejected:
                self._known.pop(item.key, None)
                self._rejected[item.key] = item
            self.cut_short = cut
            self._full_at = now
        else:
            # Dates only, stamped in the account's time zone: a day's overlap covers any.
            since = (polled - timedelta(days=1)).date()
            found, cut = await self._listing(self.client.get_reservations(modified_from=since))
            self.cut_short = self.cut_short or cut
            for booking in found.bookings:
                self._rejected.pop(booking.key, None)
                # A stay we follow is followed wherever it moves; a new one only in range.
                if booking.key in self._known or (
                    booking.departure >= first and booking.arrival <= last
                ):
                    self._known[booking.key] = booking
            for item in found.rejected:
                self._known.pop(item.key, None)
                self._rejected[item.key] = item
            self._known = {
                key: booking for key, booking in self._known.items() if booking.departure >= first
            }
        self._polled_at = now
        read = {booking.key for booking in found.bookings} | {item.key for item in found.rejected}
        if any(BookingKey(SMOOBU, booking_id) in known | read for booking_id in claimed):
            self.pushed()
        return tuple(self._known.values()), tuple(self._rejected.values())

    async def _listing(
        self, reading: Awaitable[tuple[SmoobuReservation, ...]]
    ) -> tuple[Normalised, str | None]:
        """The bookings, and why they are only part of them (a listing bound hit), or None.

        A part is used, not refused: each booking read is what Smoobu says of it now, so its
        code is made or updated as from a whole listing, and a big home keeps getting codes.
        What a part cannot show is a booking's absence, which the plan never reads anyway;
        and `answered` is False meanwhile, so no code is deleted on the source's word
        (cancellations, moves) until a whole listing is read again.
        """
        try:
            return from_smoobu(await reading), None
        except ListingIncompleteError as err:
            LOGGER.warning(
                "%s: %s; these are used, and no code is deleted on its word until all are read",
                self.subentry.title,
                err,
            )
            read = cast(tuple[SmoobuReservation, ...], err.read)
            return from_smoobu(read), str(err)


class HotelRunnerCoordinator(SourceCoordinator):
    """HotelRunner: within a hard request budget, persisted; bookings remembered.

    HotelRunner lists only reservations created in the last 30 days, so the ones seen
    earlier are kept (in the state store) until their stay is over. Once a day every
    reservation of those 30 days is read; between, only those updated since the last poll,
    or, where HotelRunner confirms deliveries for the property, its queue of changes not yet
    confirmed (which also holds changes to older reservations). Pushes are applied as they
    come, without a request.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        issues: Issues,
        state: StateStore,
    ) -> None:
        floor = timedelta(minutes=int(option(entry.options, CONF_HOTELRUNNER_INTERVAL)))
        super().__init__(hass, entry, subentry, issues, floor)
        self.state = state
        self.budget = RequestBudget()
        self.budget.restore(state.budget(subentry.subentry_id))
        self.budget.on_change = lambda: state.set_budget(subentry.subentry_id, self.budget.export())
        self.client = hotelrunner_client(hass, subentry.data, self.budget)
        self._known = {
            booking.key: booking
            for booking in bounded(state.bookings(subentry.subentry_id), dt_util.utcnow())
        }
        #: The local day of the last full read, and when the last successful poll started.
        self._full_day: date | None = None
        self._polled_at: datetime | None = None
        #: Requests the last poll took, to pace the next ones.
        self._requests = 1
        #: Read the delivery queue (the host says HotelRunner confirms deliveries for them),
        #: until HotelRunner refuses a confirmation.
        self.queue = bool(subentry.data.get(CONF_DELIVERY_QUEUE))
        self.confirmations = Confirmations()
        #: The last poll was refused for the budget (ours or the cloud's 429): polling is on
        #: hold, but what is known holds, and pushes are applied meanwhile.
        self.on_hold = False
        self._pace(requests=1)

    def _pace(self, requests: int) -> timedelta:
        """Poll no faster than the daily allowance sustains, nor before a slot is free.

        Part of the allowance is kept for "Sync now" and the actions.
        """
        self._requests = requests
        sustainable = timedelta(
            seconds=self.budget.sustainable_interval(requests, reserve=HOTELRUNNER_RESERVE)
        )
        waiting = timedelta(seconds=self.budget.wait_time())
        self.update_interval = interval = max(self.poll_floor(), sustainable, waiting)
        return interval

    def pace(self) -> None:
        """Paced by the budget, and slower while pushes arrive."""
        self._pace(self._requests)

    @property
    def answered(self) -> bool:
        """Held for the budget, the bookings known (and pushed since) still hold."""
        return self.last_update_success or self.on_hold

    def _failed(self, err: ApiError) -> None:
        super()._failed(err)
        self.on_hold = isinstance(err, RateLimitedError)

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """New and changed reservations merged into the ones already known."""
        used = self.budget.used_today
        now = dt_util.utcnow()
        today = dt_util.now().date()
        polled = self._polled_at
        full = polled is None or self._full_day != today
        try:
            if polled is None or full:
                reservations = await self.client.get_reservations(
                    from_date=today - HOTELRUNNER_LOOKBACK
                )
            elif self.queue:
                # No from_date: the queue is said to hold every change not yet confirmed,
                # whatever the reservation's age (hotelrunner-api.md §4; its default 10-day
                # window applying to the queue too is not known: U).
                reservations = await self.client.get_reservations(undelivered=True)
            else:
                reservations = await self.client.get_reservations(
                    from_date=today - HOTELRUNNER_LOOKBACK,
                    # Dates only: a day's overlap covers the property's time zone.
                    from_last_update_date=(polled - timedelta(days=1)).date(),
                )
            found = from_hotelrunner(reservations)
            self._merge(found.bookings, listed=True)
            if self.queue and not full:
                await self._confirm(reservations, found.rejected)
        finally:
            self._pace(requests=max(self.budget.used_today - used, 1))
        if full:
            self._full_day = today
        self._polled_at = now
        self.on_hold = False
        self.issues.clear(HOTELRUNNER_BUDGET, self.subentry.subentry_id)
        return tuple(self._known.values()), found.rejected

    def _merge(self, bookings: Iterable[Booking], *, listed: bool) -> set[str]:
        """Take in reservations (hotelrunner_merge.py says which copy wins); keep the store."""
        first, _ = self.fetch_range()
        known, taken = merge(
            self._known, bounded(bookings, dt_util.utcnow()), listed=listed, keep_from=first
        )
        if taken or known.keys() != self._known.keys():
            self._known = known
            self.state.set_bookings(self.subentry.subentry_id, list(known.values()))
        return taken

    def apply_push(self, reservations: Iterable[HotelRunnerReservation]) -> int:
        """Take in pushed reservations newer than the known ones; how many brought news.

        A pushed record that cannot be used is news too: it is shown as skipped, as a polled
        one is. While the last poll failed, pushes are kept for the next good one, not
        published (a push must not make a failing source look healthy), unless polling is
        only held for the budget: then they are applied, without a request.
        """
        found = from_hotelrunner(tuple(reservations))
        taken = self._merge(found.bookings, listed=False)
        shown = self.data.rejected if self.data is not None else ()
        fresh = [item for item in found.rejected if item not in shown]
        if not taken and not fresh:
            return 0
        self.pushed()
        if self.last_update_success or self.on_hold:
            # The next poll tells again which still are; a reservation taken in is not.
            rejected = tuple(
                item
                for item in dict.fromkeys((*shown, *found.rejected))
                if reservation_of(item.key) not in taken
            )
            for item in fresh:
                # The key and reason only: the record itself may hold a guest's contacts.
                LOGGER.warning(
                    "%s: booking %s skipped (%s); its code is left as it is",
                    self.subentry.title,
                    item.key,
                    item.reason,
                )
            self._reported |= set(fresh)
            # Not async_set_updated_data: that would put the next poll off at every push,
            # and pushes every half hour would then stop the safety net altogether.
            self.data = SourceData(tuple(self._known.values()), rejected, dt_util.utcnow())
            self.async_update_listeners()
        return len(taken) + len(fresh)

    async def _confirm(
        self, reservations: Iterable[HotelRunnerReservation], rejected: Iterable[Rejection]
    ) -> None:
        """Tell HotelRunner the changes read are in (so they leave its queue).

        Saved to disk first: once confirmed, HotelRunner does not list a change to an old
        reservation again. An unreadable reservation is not confirmed: it comes back until it
        can be read. A failed confirmation blocks nothing (hotelrunner_queue.py).
        """
        unreadable = {reservation_of(item.key) for item in rejected}
        uids = [
            uid
            for reservation in reservations
            if reservation.hr_number not in unreadable
            for uid in reservation.message_uids
        ]
        if not uids:
            self.confirmations.failing = 0
            return
        await self.state.flush()
        outcome = await self.confirmations.confirm(self.client, uids)
        if outcome is Round.FAILED:
            LOGGER.warning(
                "%s: delivery confirmations failed (%s); retried at the next poll",
                self.subentry.title,
                self.confirmations.last_error,
            )
        elif outcome is Round.REFUSED:
            # Not enabled for this property (HotelRunner turns it on per account):
            # list changes instead, and tell the host.
            self.queue = False
            self.issues.raise_issue(
                HOTELRUNNER_QUEUE,
                self.subentry.subentry_id,
                placeholders={"source": self.subentry.title},
            )

    def problem(self) -> str | None:
        """What the sync problem says of the delivery queue, if anything."""
        if self.queue and self.confirmations.in_trouble:
            return (
                f"{self.subentry.title}: delivery confirmations failing "
                f"({self.confirmations.last_error})"
            )
        return None

    def rate_limited(self, err: RateLimitedError) -> None:
        """Out of budget (ours or the cloud's 429): say so and wait for the next slot."""
        if err.retry_after:
            self.budget.hold(err.retry_after)
        interval = self._pace(requests=1)
        self.issues.raise_issue(
            HOTELRUNNER_BUDGET,
            self.subentry.subentry_id,
            placeholders={
                "source": self.subentry.title,
                "minutes": str(round(interval.total_seconds() / 60)),
            },
        )


def source_coordinator(
    hass: HomeAssistant,
    entry: ConfigEntry,
    subentry: ConfigSubentry,
    issues: Issues,
    state: StateStore,
) -> SourceCoordinator:
    """The coordinator for a booking-source subentry."""
    if subentry.subentry_type == SUBENTRY_HOTELRUNNER:
        return HotelRunnerCoordinator(hass, entry, subentry, issues, state)
    return SmoobuCoordinator(hass, entry, subentry, issues)


def _desired(
    sources: list[tuple[str, str, bool, SourceData | None]],
    held: frozenset[UnitKey],
    units: Mapping[UnitKey, UnitConfig],
    *,
    zones: Mapping[int, ZoneInfo],
    default_zone: ZoneInfo,
    settings: Settings,
    overrides: Mapping[BookingKey, Override],
    owner: str,
    released: frozenset[BookingKey],
) -> Desired:
    """The sources' bookings as snapshots, then the codes they want (in a worker thread)."""
    snapshots: dict[str, SourceSnapshot] = {}
    for source_id, kind, answered, data in sources:
        found = data.bookings if data else ()
        # One snapshot per source instance: each speaks for the codes it made only.
        snapshots[source_id] = SourceSnapshot(
            data is not None and answered,
            tuple(booking for booking in found if booking.unit not in held),
            (data.rejected if data else ())
            + tuple(
                Rejection(booking.key, RejectReason.UNKNOWN_UNIT)
                for booking in found
                if booking.unit in held
            ),
            kind=kind,
        )
    return build_desired(
        snapshots,
        units,
        zones=zones,
        default_zone=default_zone,
        settings=settings,
        overrides=overrides,
        owner=owner,
        released=released,
    )


def _plan(
    desired: Callable[[], Desired],
    codes: Mapping[int, tuple[AccessCode, ...]],
    now: datetime,
    pins: Mapping[BookingKey, str],
    randbelow: Callable[[int], int],
) -> tuple[Desired, Plan]:
    wanted = desired()
    return wanted, plan(wanted, codes, now, pins=pins, randbelow=randbelow)


@dataclass(frozen=True, slots=True)
class SyncData:
    """The account after a sync: locks, the codes on them, and what the sync did."""

    account: Account
    codes: Mapping[int, tuple[AccessCode, ...]]
    unreadable: frozenset[int]
    plan: Plan
    applied: ApplyResult | None
    synced: datetime
    #: Locks with an action that failed this cycle.
    failing_locks: frozenset[int] = field(default_factory=frozenset)
    #: What the entities show, built by the sync off the event loop, and on which overrides.
    views: Views | None = field(default=None, compare=False)
    views_revision: int = field(default=0, compare=False)


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
        #: Entity state writes waiting for the writer task (insertion-ordered, no repeats).
        self._to_write: dict[Callable[[], None], None] = {}
        self._writer: asyncio.Task[None] | None = None
        self._reading_all = False
        #: Source updates so far, and how many of them the last sync had read.
        self._changes = 0
        self._seen = 0
        self._follow_up: asyncio.Task[None] | None = None

    # -- configuration -------------------------------------------------------------------

    @property
    def units(self) -> list[Unit]:
        """Every unit of every source."""
        return [unit for source in self.sources.values() for unit in source.units]

    def unit_configs(self) -> dict[UnitKey, UnitConfig]:
        """The managed units as the engine wants them."""
        options = self.config_entry.options
        return {
            unit.key: config for unit in self.units if (config := unit.config(options)) is not None
        }

    def desired(self, account: Account) -> Callable[[], Desired]:
        """The codes the sources' bookings call for: a job for a worker thread.

        What it reads is gathered here, in the event loop; the work over every booking
        is done by the job.
        """
        keypads = {
            KeypadRef(lock.id, keypad.id) for lock in account.locks for keypad in lock.keypads
        }
        # A unit whose keypad is missing from the account is held: nothing made, nothing
        # removed, until the host picks a keypad again (a repair issue says so).
        held = frozenset(
            unit.key
            for unit in self.units
            if unit.keypad is not None and unit.keypad not in keypads
        )
        return partial(
            _desired,
            [
                (source.source_id, source.source, source.answered, source.data)
                for source in self.sources.values()
            ],
            held,
            self.unit_configs(),
            zones=lock_zones({lock.id: lock.timezone for lock in account.locks}),
            default_zone=self.default_zone,
            settings=settings_from(self.config_entry.options),
            overrides=self.state.overrides(),
            owner=self.owner,
            released=self.state.released(),
        )

    # -- the cycle -----------------------------------------------------------------------

    async def _async_update_data(self) -> SyncData:
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
        """Read the account and its codes, plan, and apply unless `dry_run`."""
        async with self._lock:
            account, codes, errors = await self._read_account()
            if not dry_run:
                self._seen = self._changes
            now = dt_util.utcnow()
            # Thousands of bookings take tens of milliseconds: not in the event loop.
            desired, planned = await self.hass.async_add_executor_job(
                _plan, self.desired(account), codes, now, dict(self.journal.pins), self.randbelow
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
                self.failures = 0
            revision = self.state.overrides_revision
            views = (
                None
                if dry_run
                else await self.hass.async_add_executor_job(
                    self._views_job(account.locks, codes, applied)
                )
            )
            result = SyncData(
                account=account,
                codes=codes,
                unreadable=frozenset(errors),
                plan=planned,
                applied=applied,
                synced=now,
                failing_locks=failing,
                views=views,
                views_revision=revision,
            )
            if not dry_run and not self._stopping:
                self._report(result, desired)
            return result

    async def _read_account(
        self,
    ) -> tuple[Account, dict[int, tuple[AccessCode, ...]], dict[int, ApiError]]:
        """The account, and the codes of each of its locks, in one round trip when steady.

        The locks known from the last cycle are listed while the account is read; a lock
        new to the account is listed after it, one that left it is forgotten.
        """
        known = [lock.id for lock in self.data.account.locks] if self.data else []
        account, (codes, errors) = await asyncio.gather(
            self.client.get_account(), read_codes(self.client, known)
        )
        ids = {lock.id for lock in account.locks}
        if new := ids - codes.keys() - errors.keys():
            more, failed = await read_codes(self.client, new)
            codes.update(more)
            errors.update(failed)
        return (
            account,
            {lock_id: items for lock_id, items in codes.items() if lock_id in ids},
            {lock_id: err for lock_id, err in errors.items() if lock_id in ids},
        )

    def _report(self, result: SyncData, desired: Desired) -> None:
        """Events for what changed, and the repair issues that hold now."""
        units = {unit.key: unit for unit in self.units}
        locks = {lock.id: lock for lock in result.account.locks}
        if result.applied is not None:
            for outcome in result.applied.outcomes:
                fire_outcome(self.hass, self.config_entry.entry_id, outcome, units, locks)
        failed = {
            str(outcome.action.key): outcome
            for outcome in (result.applied.failed if result.applied else ())
        }
        for key, outcome in failed.items():
            self.issues.raise_issue(
                CODE_FAILED,
                key.replace(":", "_"),
                placeholders={
                    "booking": key,
                    "lock": locks[outcome.action.keypad.lock_id].name
                    if outcome.action.keypad.lock_id in locks
                    else str(outcome.action.keypad.lock_id),
                    "error": str(outcome.error),
                },
            )
        self.issues.clear_all_but(CODE_FAILED, {(key.replace(":", "_"),) for key in failed})
        self._check_units(result.account, desired)

    def _check_units(self, account: Account, desired: Desired) -> None:
        keypads = {(lock.id, keypad.id) for lock in account.locks for keypad in lock.keypads}
        today = dt_util.now().date()
        horizon = today + desired.settings.horizon
        waiting = {
            booking.unit
            for source in self.sources.values()
            if source.data is not None
            for booking in source.data.bookings
            if booking.status is BookingStatus.CONFIRMED
            and booking.departure >= today
            and booking.arrival <= horizon
        }
        for unit in self.units:
            parts = (unit.subentry_id, unit.key.unit_id)
            placeholders = {"unit": unit.name}
            fix = {"subentry_id": unit.subentry_id, "unit_id": unit.key.unit_id}
            if unit.keypad is not None and (unit.keypad.lock_id, unit.keypad.keypad_id) not in (
                keypads
            ):
                self.issues.raise_issue(KEYPAD_MISSING, *parts, placeholders=placeholders, fix=fix)
            else:
                self.issues.clear(KEYPAD_MISSING, *parts)
            if unit.keypad is None and unit.key in waiting:
                self.issues.raise_issue(
                    UNIT_WITHOUT_KEYPAD, *parts, placeholders=placeholders, fix=fix
                )
            else:
                self.issues.clear(UNIT_WITHOUT_KEYPAD, *parts)

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
        super().async_update_listeners()

    async def async_refresh(self) -> None:
        """Sync now; return once the entities show the result (the button, the actions)."""
        await super().async_refresh()
        if (writer := self._writer) is not None:
            await writer

    @callback
    def queue_write(self, write: Callable[[], None]) -> None:
        """Write an entity's state soon, with the others, a batch per turn of the loop.

        Thousands of entities written in one go would hold the event loop for a while.
        """
        self._to_write[write] = None
        if self._writer is None:
            self._writer = self.config_entry.async_create_task(
                self.hass, self._write_queued(), f"{DOMAIN} entity states", eager_start=False
            )

    @callback
    def unqueue_write(self, write: Callable[[], None]) -> None:
        """Forget a queued write (its entity is being removed)."""
        self._to_write.pop(write, None)

    async def _write_queued(self) -> None:
        try:
            while self._to_write:
                for write in list(islice(self._to_write, WRITE_BATCH)):
                    del self._to_write[write]
                    write()
                await asyncio.sleep(0)
        finally:
            self._writer = None

    def _views_job(
        self,
        locks: Iterable[Lock],
        codes: Mapping[int, Iterable[AccessCode]],
        applied: ApplyResult | None,
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
            failed=[outcome.action.key for outcome in applied.failed] if applied else (),
        )

    def _build_views(self) -> Views:
        data = self.data
        return self._views_job(
            data.account.locks if data else (),
            data.codes if data else {},
            data.applied if data else None,
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
        """What keeps the codes from being right: failing sources, cloud, actions."""
        found = [
            f"{source.subentry.title}: {source.last_error}"
            for source in self.sources.values()
            if source.in_trouble
        ]
        now = dt_util.utcnow()
        found += [
            f"{source.subentry.title}: asked to wait until "
            f"{dt_util.as_local(source.held_until):%H:%M}"
            for source in self.sources.values()
            if source.held_until is not None and source.held_until > now
        ]
        found += [
            text
            for source in self.sources.values()
            if isinstance(source, HotelRunnerCoordinator) and (text := source.problem())
        ]
        found += [
            f"{source.subentry.title}: bookings only partly read ({source.cut_short}); "
            "no code deleted on their word"
            for source in self.sources.values()
            if source.cut_short is not None
        ]
        if self.failures >= FAILURES_BEFORE_PROBLEM:
            found.append(f"The Keys: {self.failures} failed syncs in a row")
        if refused := self.login_guard.problem(lambda at: f"{dt_util.as_local(at):%H:%M}"):
            found.append(refused)
        if self.data is not None and self.data.applied is not None and self.data.applied.failed:
            found.append(f"{len(self.data.applied.failed)} code changes failed")
        if self.data is not None and (full := self.data.plan.no_free_pin):
            names = {
                lock.name if (lock := self.lock(ref.lock_id)) else str(ref.lock_id)
                for ref in full.values()
            }
            found.append(
                f"No free PIN on {', '.join(sorted(names))}: {len(full)} stays without code"
            )
        # A record the engine could not use keeps its code as it is; someone must fix it at
        # the source. (A booking on a unit held for a missing keypad has its own repair.)
        skipped = sorted(
            f"{item.key} ({item.reason})"
            for source in self.sources.values()
            if source.data is not None
            for item in source.data.rejected
            if item.reason is not RejectReason.UNKNOWN_UNIT
        )
        if skipped:
            shown = ", ".join(skipped[:MAX_LISTED])
            more = f" and {len(skipped) - MAX_LISTED} more" if len(skipped) > MAX_LISTED else ""
            found.append(f"Bookings skipped: {shown}{more}")
        return found

    async def sync_now(self) -> None:
        """Read every source now, then sync once: what "Sync now" and the sync action do."""
        self._reading_all = True  # the sources' updates do not each start a sync
        try:
            await asyncio.gather(*(source.async_refresh() for source in self.sources.values()))
        finally:
            self._reading_all = False
        await self.async_refresh()

    @callback
    def source_updated(self) -> None:
        """A source's bookings changed (or it failed): sync at once, unless one is on it.

        A sync that reads the sources after the change covers it: a running one that had
        not yet read them, or the follow-up started here. The follow-up restarts the
        periodic timer, so the periodic sync does not repeat it.
        """
        self._views = None
        if self._reading_all:
            return
        self._changes += 1
        if self._follow_up is None:
            self._follow_up = self.config_entry.async_create_background_task(
                self.hass, self._sync_for_changes(), f"{DOMAIN} sync after a source update"
            )

    async def _sync_for_changes(self) -> None:
        try:
            while self._seen < self._changes and not self._stopping:
                async with self._lock:
                    pass  # a sync under way may still read the sources after the change
                if self._seen < self._changes and not self._stopping:
                    await self.async_refresh()
                    if not self.last_update_success:
                        break  # The Keys unreadable: one try per change, the timer does the rest
        finally:
            self._follow_up = None
