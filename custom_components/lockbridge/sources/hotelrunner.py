"""HotelRunner: a hotel's room-type reservations, within a hard daily request budget.

Its coordinator polls within the budget (persisted) and remembers what it read, since
HotelRunner lists only the last 30 days' reservations; its webhook takes pushed reservations
without spending a request; its flow takes the property's token and hr_id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
import hmac
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, cast

from aiohttp import web
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import BooleanSelector
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ..api import (
    BudgetExhaustedError,
    HotelRunnerClient,
    HotelRunnerReservation,
    RateLimitedError,
    RequestBudget,
)
from ..api.errors import ApiError
from ..api.hotelrunner import DEFAULT_BASE_URL
from ..const import LOGGER
from ..engine.bookings import Booking, Rejection
from ..forms import password_selector
from ..models import anonymous_id
from ..repairs import Issues
from ..storage import StateStore
from .base import SourceCoordinator, SourceData
from .flow import SourceFlow
from .hotelrunner_merge import bounded, merge, reservation_of
from .hotelrunner_queue import Confirmations, Round
from .hotelrunner_records import KIND, from_hotelrunner, pushed_reservations
from .push import Handler

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_TOKEN: Final = "token"  # noqa: S105  # a config key
CONF_HR_ID: Final = "hr_id"
CONF_URL: Final = "hotelrunner_url"
CONF_INTERVAL: Final = "hotelrunner_interval"
#: HotelRunner confirms deliveries for the property: read its queue of changes.
CONF_DELIVERY_QUEUE: Final = "delivery_queue"
#: Repairs: polling held for the budget; the delivery queue refused.
BUDGET_ISSUE: Final = "hotelrunner_budget"
QUEUE_ISSUE: Final = "hotelrunner_queue"
#: HotelRunner lists reservations created at most this long ago (reference §4).
LOOKBACK = timedelta(days=30)
#: Requests a day kept out of polling, for "Sync now" and the actions.
RESERVE = 50


def hotelrunner_client(hass: HomeAssistant, data: Any, budget: RequestBudget) -> HotelRunnerClient:
    """HotelRunner, from a source's data, spending `budget`."""
    return HotelRunnerClient(
        async_get_clientsession(hass),
        data[CONF_TOKEN],
        data[CONF_HR_ID],
        base_url=data.get(CONF_URL) or DEFAULT_BASE_URL,
        budget=budget,
    )


class HotelRunnerFlow(SourceFlow):
    """A HotelRunner property."""

    url_key = CONF_URL
    default_url = DEFAULT_BASE_URL
    secret_keys = (CONF_TOKEN, CONF_HR_ID)
    kept_keys = (*SourceFlow.kept_keys, CONF_DELIVERY_QUEUE)

    def push_schema(self) -> vol.Schema:
        """The delivery queue: only where HotelRunner turned confirmations on."""
        return vol.Schema({vol.Required(CONF_DELIVERY_QUEUE, default=False): BooleanSelector()})

    def credentials_schema(self) -> vol.Schema:
        """Token and property id."""
        return vol.Schema(
            {
                vol.Required(CONF_TOKEN): password_selector(),
                vol.Required(CONF_HR_ID): password_selector(),
            }
        )

    async def check(self, data: dict[str, Any]) -> None:
        """The property's room types (one request of its daily budget)."""
        budget = self._budget(data[CONF_HR_ID])
        client = hotelrunner_client(self.hass, data, budget)
        rooms = await client.get_rooms()
        hidden = await self.hass.async_add_executor_job(anonymous_id, data[CONF_HR_ID])
        self._unique_id = f"{KIND}-{hidden}"
        self._title = "HotelRunner"
        names: dict[str, str] = {}
        for room in rooms:
            if not room.is_master and (
                room.rate_code == room.inv_code or room.inv_code not in names
            ):
                names[room.inv_code] = room.name
        self._units = list(names.items())

    def _budget(self, hr_id: str) -> RequestBudget:
        """The running source's budget for this property, so that checks count too."""
        if (runtime := self.runtime()) is not None:
            for source in runtime.coordinator.sources.values():
                if (
                    source.budget is not None
                    and source.kind == KIND
                    and source.subentry.data.get(CONF_HR_ID) == hr_id
                ):
                    return source.budget
        return RequestBudget()


class HotelRunnerCoordinator(SourceCoordinator):
    """HotelRunner: within a hard request budget, persisted; bookings remembered.

    HotelRunner lists only reservations created in the last 30 days, so the ones seen
    earlier are kept (in the state store) until their stay is over. Once a day every
    reservation of those 30 days is read; between, only those updated since the last poll,
    or, where HotelRunner confirms deliveries for the property, its queue of changes not yet
    confirmed (which also holds changes to older reservations). Pushes are applied as they
    come, without a request.
    """

    kind = KIND
    manufacturer = "HotelRunner"
    unit_model = "room_type"
    interval_option = CONF_INTERVAL
    interval_default = 10
    interval_range = (6, 240)
    flow = HotelRunnerFlow
    budget_key = "hotelrunner_requests_left"
    budget: RequestBudget

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        issues: Issues,
        state: StateStore,
    ) -> None:
        super().__init__(hass, entry, subentry, issues, state)
        self.budget = budget = RequestBudget()
        budget.restore(state.budget(subentry.subentry_id))
        budget.on_change = lambda: state.set_budget(subentry.subentry_id, budget.export())
        self.client = hotelrunner_client(hass, subentry.data, budget)
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
        #: The hold is our own per-minute pacing, for under a minute: not told.
        self.pacing = False
        self._pace(requests=1)

    def _pace(self, requests: int) -> timedelta:
        """Poll no faster than the daily allowance sustains, nor before a slot is free.

        Part of the allowance is kept for "Sync now" and the actions.
        """
        self._requests = requests
        sustainable = timedelta(seconds=self.budget.sustainable_interval(requests, reserve=RESERVE))
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

    async def _async_update_data(self) -> SourceData:
        try:
            return await super()._async_update_data()
        except UpdateFailed:
            if not self.on_hold:
                raise
            # Held for the budget (ours or a 429) is pacing, not an outage: what is known (read
            # before, kept in the state store, and pushed since) is shown as it is, not as
            # unreadable, and not unavailable after a reload that met the 5 a minute. The hold
            # is told (until when) and the next free slot reads HotelRunner again.
            if self.pacing:
                self.held_until = None
            shown = cast("SourceData | None", self.data)  # None before the first good read
            rejected = shown.rejected if shown is not None else ()
            return SourceData(tuple(self._known.values()), rejected, dt_util.utcnow())

    def _failed(self, err: ApiError) -> None:
        self.on_hold = isinstance(err, RateLimitedError)
        if self.on_hold:
            self.last_error = type(err).__name__  # told as a hold, not counted as a failure
        else:
            super()._failed(err)

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """New and changed reservations merged into the ones already known."""
        used = self.budget.used_today
        now = dt_util.utcnow()
        today = dt_util.now().date()
        polled = self._polled_at
        full = polled is None or self._full_day != today
        try:
            if polled is None or full:
                reservations = await self.client.get_reservations(from_date=today - LOOKBACK)
            elif self.queue:
                # No from_date: the queue is said to hold every change not yet confirmed,
                # whatever the reservation's age (hotelrunner-api.md §4; its default 10-day
                # window applying to the queue too is not known: U).
                reservations = await self.client.get_reservations(undelivered=True)
            else:
                reservations = await self.client.get_reservations(
                    from_date=today - LOOKBACK,
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
        self.issues.clear(BUDGET_ISSUE, self.subentry.subentry_id)
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
            self.report_rejected(tuple(fresh))
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
                QUEUE_ISSUE,
                self.subentry.subentry_id,
                placeholders={"source": self.subentry.title},
            )

    def problems(self) -> list[str]:
        """Besides a source's own: failing delivery confirmations."""
        found = super().problems()
        if self.queue and self.confirmations.in_trouble:
            found.append(
                f"{self.subentry.title}: delivery confirmations failing "
                f"({self.confirmations.last_error})"
            )
        return found

    def diagnostics(self) -> dict[str, Any]:
        """Reading the delivery queue (off once HotelRunner refused it), its confirmations."""
        return {"delivery_queue": self.queue, "confirmations": self.confirmations.as_dict()}

    def rate_limited(self, err: RateLimitedError) -> None:
        """Out of budget (ours or the cloud's 429): say so and wait for the next slot.

        Our own 5 a minute, full for under a minute (a few reloads in a row), is pacing
        only: the next slot comes before anyone could act on a repair.
        """
        if err.retry_after:
            self.budget.hold(err.retry_after)
        interval = self._pace(requests=1)
        self.pacing = isinstance(err, BudgetExhaustedError) and (err.retry_after or 0) <= 60
        if self.pacing:
            return
        self.issues.raise_issue(
            BUDGET_ISSUE,
            self.subentry.subentry_id,
            placeholders={
                "source": self.subentry.title,
                "minutes": str(round(interval.total_seconds() / 60)),
            },
        )

    def push_handler(self, hass: HomeAssistant, entry: ConfigEntry) -> Handler:
        """Pushed reservations, applied when newer than the ones known.

        HotelRunner posts the reservation itself (a form field `data` holding JSON) with the
        property's token and hr_id appended to the URL; those two, checked here, are its only
        proof. Applying a push spends nothing of the property's daily requests, and a replay
        (or an older copy) changes nothing.
        """
        counts = self.pushes
        token = str(self.subentry.data.get(CONF_TOKEN) or "").encode()
        hr_id = str(self.subentry.data.get(CONF_HR_ID) or "").encode()

        async def handle(request: web.Request, body: bytes) -> web.Response:
            # Compared in constant time; neither value is ever logged (hr_id is a secret too).
            given_token = request.query.get("token", "").encode()
            given_hr_id = request.query.get("hr_id", "").encode()
            if not (
                token
                and hmac.compare_digest(given_token, token)
                and hmac.compare_digest(given_hr_id, hr_id)
            ):
                return counts.refuse(HTTPStatus.FORBIDDEN)
            reservations = pushed_reservations(body)
            if reservations is None:
                return counts.refuse(HTTPStatus.BAD_REQUEST)
            if counts.seen(body):
                return _ok()
            if not self.apply_push(reservations):
                counts.replayed += 1  # another body, nothing newer than known: an old copy
            return _ok()

        return handle


def _ok() -> web.Response:
    """HotelRunner's expected answer (hotelrunner-api.md §8)."""
    return web.json_response({"status": "ok"})
