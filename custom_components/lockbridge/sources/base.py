"""What every booking source is: a coordinator polling its cloud, and the hooks the rest uses.

A source module (smoobu.py, hotelrunner.py...) subclasses `SourceCoordinator`, names its
flow, answers its webhook's calls and says its own problems; `registry.py` lists them.
Nothing outside `sources/` needs to know which source it talks to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ..api import ApiError, AuthenticationError, ListingIncompleteError, RateLimitedError
from ..api.budget import RequestBudget
from ..clock import ClockedCoordinator
from ..const import (
    CONF_GRACE,
    CONF_HORIZON,
    DOMAIN,
    FAILURES_BEFORE_PROBLEM,
    LOGGER,
    MAX_SOURCE_RETRY_AFTER,
)
from ..engine.bookings import Booking, Rejection
from ..engine.ownership import short_id
from ..models import option, units_of
from ..repairs import SOURCE_AUTH, Issues
from ..storage import StateStore
from .push import CONF_WEBHOOK_ID, Handler, PushCounts

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentryFlow

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

    # -- what each source says of itself (class attributes) -----------------------------

    #: The subentry type, which is also the kind in its bookings' keys and codes' tags.
    kind: ClassVar[str]
    #: Its devices' manufacturer, and the "device" translation naming its units' model.
    manufacturer: ClassVar[str]
    unit_model: ClassVar[str]
    #: The option holding its polling interval (minutes): default and bounds.
    interval_option: ClassVar[str]
    interval_default: ClassVar[int]
    interval_range: ClassVar[tuple[int, int]]
    #: Its subentry flow (adding and reconfiguring the source).
    flow: ClassVar[type[ConfigSubentryFlow]]
    #: Guests can be sent messages through it (`send_message`).
    can_message: ClassVar[bool] = False
    #: Its bookings may have codes made by the cron script LockBridge replaces.
    legacy_script: ClassVar[bool] = False
    #: The translation key of its "requests left" sensor, when it has a daily budget.
    budget_key: ClassVar[str | None] = None

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        issues: Issues,
        state: StateStore,
    ) -> None:
        interval = timedelta(
            minutes=int(entry.options.get(self.interval_option, self.interval_default))
        )
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
        self.state = state
        #: The polling interval the options ask for (update_interval may be slower).
        self.normal_interval = interval
        self.source = self.kind
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
        #: The daily request budget, for sources that have one.
        self.budget: RequestBudget | None = None

    # -- hooks ---------------------------------------------------------------------------

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """Read the source (one implementation per kind)."""
        raise NotImplementedError

    def push_handler(self, hass: HomeAssistant, entry: ConfigEntry) -> Handler | None:
        """What answers the source's webhook calls; None when it has no push."""
        return None

    @property
    def webhook_id(self) -> str:
        """The id of the source's webhook (a secret: never logged)."""
        return str(self.subentry.data.get(CONF_WEBHOOK_ID) or "")

    def start(self, sync: Any) -> list[Callable[[], None]]:
        """Work besides polling, once the first sync is done; returns what stops it."""
        return []

    async def send_message(self, booking_id: str, subject: str, text: str) -> None:
        """Send a message to a booking's guest (sources with `can_message`)."""
        raise NotImplementedError

    def diagnostics(self) -> dict[str, Any]:
        """What the source adds to the entry's diagnostics (nothing secret)."""
        return {}

    def problems(self) -> list[str]:
        """What "sync problem" says of this source: failing, held, partly read."""
        title = self.subentry.title
        found = [f"{title}: {self.last_error}"] if self.in_trouble else []
        if self.held_until is not None and self.held_until > dt_util.utcnow():
            found.append(f"{title}: asked to wait until {dt_util.as_local(self.held_until):%H:%M}")
        if self.cut_short is not None:
            found.append(
                f"{title}: bookings only partly read ({self.cut_short}); "
                "no code deleted on their word"
            )
        return found

    # -- state ---------------------------------------------------------------------------

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
        self.report_rejected(rejected)
        self._reported = set(rejected)
        return SourceData(bookings, rejected, dt_util.utcnow())

    def report_rejected(self, rejected: tuple[Rejection, ...]) -> None:
        """Log each skipped booking once, by key and reason (its record may hold contacts)."""
        for item in set(rejected) - self._reported:
            LOGGER.warning(
                "%s: booking %s skipped (%s); its code is left as it is",
                self.subentry.title,
                item.key,
                item.reason,
            )

    def _failed(self, err: ApiError) -> None:
        self.failures += 1
        self.last_error = type(err).__name__

    def rate_limited(self, err: RateLimitedError) -> None:
        """The source asked us to wait (a 429 is honoured through retry_after)."""

    def pace(self) -> None:
        """Set when the next poll comes (after each good one, and each push)."""
        self.update_interval = self.poll_floor()

    def pushed(self) -> None:
        """A push brought news: counted, and polling slows down."""
        self.pushes.accept()
        self.pace()
