"""iCal: any platform's calendar export (Airbnb, Booking.com, Vrbo, a PMS) as a booking source.

Its coordinator reads every feed of the source (a feed per unit; several may point at one
unit), parses each off the event loop, and remembers the reservations read: a feed lists
only what it holds now, so a reservation it drops is cancelled only on repeated evidence
(ical_reading.py). A failing or empty feed deletes nothing and is shown as a repair. There
is no push and no messaging: a feed is read-only.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import ClientSession
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from ..api import ApiError
from ..api.ical import FeedAnswer, IcalClient, digest_of, parse_feed
from ..api.ical_rules import PatternError, Platform, rules_for
from ..const import FAILURES_BEFORE_PROBLEM, LOGGER
from ..engine.bookings import Booking, BookingKey, Rejection
from ..repairs import Issues
from ..storage import StateStore, saved_moment
from .base import SourceCoordinator
from .ical_flow import (
    CONF_BLOCK_PATTERN,
    CONF_FEEDS,
    CONF_MISSES,
    CONF_PLATFORM,
    CONF_RESERVATION_PATTERN,
    CONF_UNIT,
    CONF_URL,
    IcalFlow,
    feed_id_of,
)
from .ical_reading import (
    DEFAULT_MISSES,
    KIND,
    MISSES_RANGE,
    FeedConfig,
    FeedRead,
    Known,
    merge,
    read_feed as read_events,
)

if TYPE_CHECKING:
    from ..sync.coordinator import SyncCoordinator

CONF_INTERVAL: Final = "ical_interval"
#: Repair: feeds failing, or come back empty while stays were remembered.
FEED_ISSUE: Final = "ical_feed"
#: Feeds read at once (each a request to a platform, then a parse in the executor).
PARALLEL_READS = 4
#: Where the reading notes (feed and misses of each remembered booking) are kept.
_MARKS = "known"


@dataclass(slots=True)
class Feed:
    """A feed of the source and what its last reads gave."""

    config: FeedConfig
    client: IcalClient
    label: str
    #: Its unit's name, for messages (a feed's address is a secret and is never shown).
    unit_name: str
    etag: str | None = None
    last_modified: str | None = None
    digest: str = ""
    #: The zone its last read was given its times in (its unit's lock's).
    zone: str = ""
    last: FeedRead | None = None
    failures: int = 0
    last_error: str | None = None
    empty: bool = False
    #: Reads in a row that were cut short or over a bound: no stay is cancelled from them.
    partial: int = 0
    #: 1, 2... when the unit has two feeds of this platform; 0 when it has one.
    rank: int = 0

    @property
    def name(self) -> str:
        """How the host knows it: "Seaside Loft (Airbnb)", "Seaside Loft (Airbnb 2)"."""
        return f"{self.unit_name} ({self.label}{f' {self.rank}' if self.rank else ''})"


def _parse_and_read(
    raw: bytes, previous: str, zone: str, config: FeedConfig, source_id: str, label: str
) -> tuple[str, FeedRead | None]:
    """Executor work: parse a feed and read its stays; None when its bytes did not change."""
    if digest_of(raw) == previous:
        return previous, None
    feed = parse_feed(raw, zone)
    return feed.digest, read_events(feed, config, source_id, label)


def feeds_of(raw_feeds: Any, names: dict[str, str], session: ClientSession) -> list[Feed]:
    """The source's feeds as its flow stored them; any other shape is left out, never guessed."""
    feeds = []
    for raw in raw_feeds if isinstance(raw_feeds, list) else []:
        if not isinstance(raw, dict) or not raw.get(CONF_URL) or raw.get(CONF_UNIT) not in names:
            continue  # hand-edited, or from a newer version
        try:
            platform = Platform(str(raw.get(CONF_PLATFORM)))
            rules = rules_for(
                platform,
                str(raw.get(CONF_RESERVATION_PATTERN) or ""),
                str(raw.get(CONF_BLOCK_PATTERN) or ""),
            )
        except ValueError, PatternError:
            platform, rules = Platform.OTHER, rules_for(Platform.OTHER)
        url, unit_id = str(raw[CONF_URL]), str(raw[CONF_UNIT])
        feeds.append(
            Feed(
                FeedConfig(feed_id_of(url), unit_id, rules),
                IcalClient(session, url),
                platform.label,
                names[unit_id],
            )
        )
    # Two feeds of one platform on one unit are told apart by their rank.
    named = Counter((feed.unit_name, feed.label) for feed in feeds)
    rank: Counter[tuple[str, str]] = Counter()
    for feed in feeds:
        if named[(feed.unit_name, feed.label)] > 1:
            rank[(feed.unit_name, feed.label)] += 1
            feed.rank = rank[(feed.unit_name, feed.label)]
    return feeds


class IcalCoordinator(SourceCoordinator):
    """iCal feeds: polled, parsed in the executor, reservations remembered."""

    kind = KIND
    manufacturer = "iCal"
    unit_model = "rental"
    interval_option = CONF_INTERVAL
    interval_default = 15
    interval_range = (5, 240)
    flow = IcalFlow

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        issues: Issues,
        state: StateStore,
    ) -> None:
        super().__init__(hass, entry, subentry, issues, state)
        names = {unit.key.unit_id: unit.name for unit in self.units}
        self.feeds = feeds_of(subentry.data.get(CONF_FEEDS), names, async_get_clientsession(hass))
        low, high = MISSES_RANGE
        self.misses = min(max(int(subentry.data.get(CONF_MISSES) or DEFAULT_MISSES), low), high)
        self._known = self._restore()
        self._parallel = asyncio.Semaphore(PARALLEL_READS)
        self._sync: SyncCoordinator | None = None
        self._locks = {unit.key.unit_id: unit.keypad.lock_id for unit in self.units if unit.keypad}

    def start(self, sync: SyncCoordinator) -> list[Callable[[], None]]:
        """The locks are read: a feed read in another zone than its lock's is read again."""
        self._sync = sync
        if any(feed.last is not None and feed.zone != self._zone(feed) for feed in self.feeds):
            self.hass.async_create_task(self.async_request_refresh())
        return []

    def _zone(self, feed: Feed) -> str:
        """Its unit's lock's zone, where the engine reads a stay's hours (else the home's)."""
        lock_id = self._locks.get(feed.config.unit_id)
        if self._sync is None or lock_id is None:
            return str(self.hass.config.time_zone)
        return self._sync.zone_of(self._sync.lock(lock_id)).key

    # -- memory ------------------------------------------------------------------------

    def _restore(self) -> dict[BookingKey, Known]:
        notes = self.state.read_marks(self.subentry.subentry_id).get(_MARKS)
        notes = notes if isinstance(notes, dict) else {}
        known = {}
        for booking in self.state.bookings(self.subentry.subentry_id):
            note = notes.get(booking.key.booking_id)
            feed_id, misses, missed_at = "", 0, None
            if isinstance(note, list) and len(note) == 3:  # [feed, misses, last miss]
                feed_id = str(note[0])
                misses = min(max(note[1], 0), 1000) if isinstance(note[1], int) else 0
                missed_at = saved_moment(note[2])
            known[booking.key] = Known(booking, feed_id, misses, missed_at)
        return known

    def _remember(self, known: dict[BookingKey, Known]) -> None:
        if known == self._known:
            return
        self._known = known
        sid = self.subentry.subentry_id
        self.state.set_read_marks(
            sid,
            {
                _MARKS: {
                    key.booking_id: [
                        k.feed_id,
                        k.misses,
                        k.missed_at.isoformat() if k.missed_at else None,
                    ]
                    for key, k in known.items()
                }
            },
        )
        self.state.set_bookings(sid, [item.booking for item in known.values()])

    # -- reading -----------------------------------------------------------------------

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """Every feed read; the reservations remembered merged with what they hold now."""
        reads = await asyncio.gather(*(self._read(feed) for feed in self.feeds))
        if self.feeds and all(read is None for read in reads):
            self._tell()
            raise ApiError(f"every feed failed ({self.feeds[0].last_error})")
        first, _ = self.fetch_range()
        known, empty = merge(
            self._known,
            {feed.config.feed_id: read for feed, read in zip(self.feeds, reads, strict=True)},
            now=dt_util.now(),
            keep_from=first,
            misses=self.misses,
        )
        for feed in self.feeds:
            feed.empty = feed.config.feed_id in empty
        self._remember(known)
        self._tell()
        rejected = {item.key: item for read in reads if read for item in read.rejected}
        return tuple(item.booking for item in known.values()), tuple(rejected.values())

    async def _read(self, feed: Feed) -> FeedRead | None:
        """One feed, read when it changed (its validators, then its bytes); None on failure."""
        async with self._parallel:
            try:
                zone = self._zone(feed)
                # Read in another zone before (its lock not yet read): asked for anew.
                same = feed.zone == zone
                answer: FeedAnswer = await feed.client.fetch(
                    feed.etag if same else None, feed.last_modified if same else None
                )
                if answer.body is not None:
                    digest, read = await self.hass.async_add_executor_job(
                        _parse_and_read,
                        answer.body,
                        feed.digest if feed.last is not None and feed.zone == zone else "",
                        zone,
                        feed.config,
                        self.source_id,
                        feed.label,
                    )
                    if read is not None:
                        feed.digest, feed.last, feed.zone = digest, read, zone
                elif feed.last is None:
                    raise ApiError("feed: not modified, but never read")  # noqa: TRY301
            except ApiError as err:
                self._failed_read(feed, str(err))
                return None
            except Exception as err:  # a parser fault costs this feed only
                self._failed_read(feed, f"feed: unreadable ({type(err).__name__})")
                return None
        feed.etag, feed.last_modified = answer.etag, answer.last_modified
        feed.failures, feed.last_error = 0, None
        feed.partial = 0 if feed.last is None or feed.last.complete else feed.partial + 1
        return feed.last

    def _failed_read(self, feed: Feed, error: str) -> None:
        feed.failures += 1
        feed.last_error = error
        LOGGER.debug("%s: feed %s failed: %s", self.subentry.title, feed.name, error)

    def _tell(self) -> None:
        """A repair while a feed fails again and again, or came back empty."""
        troubled = self._troubled()
        sid = self.subentry.subentry_id
        if not troubled:
            self.issues.clear(FEED_ISSUE, sid)
            return
        self.issues.raise_issue(
            FEED_ISSUE,
            sid,
            placeholders={
                "source": self.subentry.title,
                "feeds": "\n".join(f"- {feed.name}: {_trouble(feed)}" for feed in troubled),
            },
        )

    # -- what the rest sees ------------------------------------------------------------

    def problems(self) -> list[str]:
        """Besides a source's own: each feed failing or empty."""
        found = super().problems()
        title = self.subentry.title
        found.extend(f"{title}: {feed.name} {_trouble(feed)}" for feed in self._troubled())
        return found

    def _troubled(self) -> list[Feed]:
        return [
            feed
            for feed in self.feeds
            if feed.empty
            or feed.failures >= FAILURES_BEFORE_PROBLEM
            or feed.partial >= FAILURES_BEFORE_PROBLEM
        ]

    def diagnostics(self) -> dict[str, Any]:
        """Each feed's platform, unit, last read and counts (never its address)."""
        return {
            "misses_before_cancel": self.misses,
            "remembered": len(self._known),
            "missing": sum(1 for item in self._known.values() if item.misses),
            "feeds": [
                {
                    "feed": feed.config.feed_id,
                    "platform": feed.config.rules.platform,
                    "unit": feed.config.unit_id,
                    "complete": feed.last.complete if feed.last else None,
                    "events": dict(feed.last.counts) if feed.last else {},
                    "failures": feed.failures,
                    "partial_reads": feed.partial,
                    "last_error": feed.last_error,
                    "empty": feed.empty,
                    "conditional": bool(feed.etag or feed.last_modified),
                }
                for feed in self.feeds
            ],
        }


def _trouble(feed: Feed) -> str:
    if feed.empty:
        return "lists no reservation any more; its stays' codes are kept"
    if not feed.failures and feed.partial:
        return (
            "is read only in part (cut short, or over LockBridge's bounds): "
            "none of its stays is cancelled"
        )
    return f"failing ({feed.last_error})"
