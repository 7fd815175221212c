"""iCal: a feed's events as bookings, and which remembered reservations are gone.

Pure (no Home Assistant). A feed only lists what it holds now: a reservation missing from
it is not a cancellation (a feed may come back short, a platform may drop an event for a
night). So the source remembers what it read, and a reservation missing from a complete,
non-empty feed is cancelled only after `misses` reads in a row without it, and never while
its guest is in the house. A failed, incomplete or empty feed says nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
import hashlib
from typing import Final

from ..api.ical import IcalEvent, IcalFeed
from ..api.ical_rules import EventKind, Reading, Rules, read_event
from ..engine.bookings import (
    Booking,
    BookingKey,
    BookingStatus,
    Collector,
    Rejection,
    clean_text,
)

KIND: Final = "ical"
#: Reads in a row a reservation must be missing from its feed before it is cancelled.
DEFAULT_MISSES = 3
MISSES_RANGE = (2, 10)
#: Reads closer together than this count one miss: "Sync now" or a few reloads in a row
#: are not three platforms' answers.
MISS_GAP = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One feed of a source: which unit its stays are in, how its events are read."""

    feed_id: str
    unit_id: str
    rules: Rules


@dataclass(frozen=True, slots=True)
class FeedRead:
    """One feed's reading: its stays, and every booking key it still holds."""

    bookings: tuple[Booking, ...]
    #: Keys of every event the feed holds, used or not (skipped, duplicated, rejected):
    #: none of them is missing.
    seen: frozenset[BookingKey]
    rejected: tuple[Rejection, ...]
    complete: bool
    #: What its events were: reservation, cancelled, block, noise, duplicate, skipped:<why>.
    counts: Mapping[str, int] = field(default_factory=dict)
    #: The other keys of a stay the feed lists more than once, by the key kept.
    copies: Mapping[BookingKey, frozenset[BookingKey]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Known:
    """A reservation the source remembers, the feed it came from, and reads without it."""

    booking: Booking
    #: "" when not known (saved by an older version): never counted missing then.
    feed_id: str
    misses: int = 0
    #: When the last miss was counted (misses closer together count once).
    missed_at: datetime | None = None


def booking_id(source_id: str, *parts: str) -> str:
    """A booking's id from its UID (or its fallback identity): short, stable, opaque.

    UIDs can be long and hold addresses (`...@airbnb.com`); a code's tag needs neither.
    """
    return hashlib.sha256("\x1f".join((source_id, *parts)).encode()).hexdigest()[:16]


def fingerprint(booking: Booking) -> tuple[str, date, date, str]:
    """What makes two events one stay: the unit, the dates and the guest (or code)."""
    return booking.unit_id, booking.arrival, booking.departure, booking.guest_name.casefold()


def read_feed(feed: IcalFeed, config: FeedConfig, source_id: str, label: str) -> FeedRead:
    """The stays in a feed's events (blocks and noise left out, duplicates once)."""
    counts: Counter[str] = Counter(f"skipped:{reason}" for _, reason in feed.skipped)
    seen = {_key(source_id, config, uid) for uid, _ in feed.skipped if uid}
    #: One per stay (unit, dates, guest): a confirmed copy wins over a cancelled one, then
    #: the smallest key, whatever the order the feed lists them in.
    stays: dict[tuple[str, date | None, date | None, str] | BookingKey, _Candidate] = {}
    copies: dict[tuple[str, date | None, date | None, str] | BookingKey, set[BookingKey]] = {}
    for event in feed.events:
        reading = read_event(event, config.rules)
        arrival, check_in = _day_and_time(event.start)
        departure, check_out = _end(event)
        if check_in == check_out == time(0):
            check_in = check_out = None  # midnight to midnight: whole days, as a date says
        uid = event.uid or "/".join(
            (config.rules.platform, str(arrival), str(departure), reading.code)
        )
        key = _key(source_id, config, uid)
        if reading.kind is EventKind.BLOCK:
            counts[reading.kind] += 1
            continue
        seen.add(key)  # noise too: an event still listed is not missing, whatever it reads as
        if reading.kind is EventKind.NOISE:
            counts[reading.kind] += 1
            continue
        name = clean_text(reading.name) or _unnamed(label, reading, arrival, departure)
        candidate = _Candidate(key, arrival, departure, name, reading, check_in, check_out)
        stay = (config.unit_id, arrival, departure, name.casefold()) if arrival else key
        copies.setdefault(stay, set()).add(key)
        if (first := stays.get(stay)) is not None:
            counts["duplicate"] += 1  # Smoobu's iCal lists each stay three times
            if first.rank <= candidate.rank:
                continue
        stays[stay] = candidate
    out = Collector({config.unit_id})
    for item in stays.values():
        counts[item.reading.kind] += 1
        out.add(
            item.key,
            config.unit_id,
            item.arrival,
            item.departure,
            BookingStatus.CANCELLED if item.cancelled else BookingStatus.CONFIRMED,
            item.name,
            phone=item.reading.phone or None,
            check_in=item.check_in,
            check_out=item.check_out,
            channel=label,
        )
    result = out.result()
    return FeedRead(
        result.bookings,
        frozenset(seen),
        result.rejected,
        feed.complete,
        counts,
        {
            stays[stay].key: frozenset(keys - {stays[stay].key})
            for stay, keys in copies.items()
            if len(keys) > 1
        },
    )


def _key(source_id: str, config: FeedConfig, uid: str) -> BookingKey:
    """The unit is part of it: two feeds (two units) may number their UIDs alike."""
    return BookingKey(KIND, booking_id(source_id, config.unit_id, uid))


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An event read as a reservation, before duplicates are set aside."""

    key: BookingKey
    arrival: date | None
    departure: date | None
    name: str
    reading: Reading
    check_in: time | None
    check_out: time | None

    @property
    def cancelled(self) -> bool:
        return self.reading.kind is EventKind.CANCELLED

    @property
    def rank(self) -> tuple[bool, str]:
        return self.cancelled, self.key.booking_id


def _day_and_time(moment: date | datetime | None) -> tuple[date | None, time | None]:
    """A date as it is; a time as its day and wall-clock time (in the feed's zone)."""
    if isinstance(moment, datetime):
        return moment.date(), moment.time().replace(second=0, microsecond=0, tzinfo=None)
    return moment, None


def _end(event: IcalEvent) -> tuple[date | None, time | None]:
    """DTEND is the check-out day; an all-day event without one lasts a night (RFC 5545)."""
    if event.end is None:
        if isinstance(event.start, datetime):
            return None, None  # a timed event without an end: no check-out known
        return date.fromordinal(event.start.toordinal() + 1), None
    return _day_and_time(event.end)


def _unnamed(label: str, reading: Reading, arrival: date | None, departure: date | None) -> str:
    """A guest the feed does not name: "Airbnb HMABCD1234", else the platform and dates."""
    if reading.code:
        return f"{label} {reading.code}"
    if arrival is None or departure is None:
        return label
    return f"{label} {arrival.day} {arrival:%b} - {departure.day} {departure:%b}"


def merge(
    known: Mapping[BookingKey, Known],
    reads: Mapping[str, FeedRead | None],
    *,
    now: datetime,
    keep_from: date,
    misses: int = DEFAULT_MISSES,
) -> tuple[dict[BookingKey, Known], set[str]]:
    """The reservations remembered after these reads; the feeds that came back empty.

    `now` is local (its date is the home's day). A feed's read (None: it failed) replaces
    what it said before. A remembered reservation its complete, non-empty feed no longer
    holds counts a miss (at most one per MISS_GAP); after `misses` of them in a row it is
    cancelled, unless its guest is in the house (arrival to departure day). A stay the feed
    now lists under another UID (a renamed UID, or one of its copies) keeps its key, so its
    code stays; a UID that now names another guest on other dates is another booking.
    Stays over before `keep_from` are forgotten.
    """
    today = now.date()
    result = dict(known)
    empty: set[str] = set()
    by_feed: dict[str, dict[BookingKey, Known]] = {}
    for key, item in known.items():
        by_feed.setdefault(item.feed_id, {})[key] = item
    for feed_id, read in reads.items():
        if read is None:
            continue
        mine = by_feed.get(feed_id, {})
        if (
            read.complete
            and not read.seen
            and any(_live(item.booking, today) for item in mine.values())
        ):
            # Every stay gone at once is a feed gone wrong (or an export link reset), never
            # proof: nothing is counted, and the host is told.
            empty.add(feed_id)
            continue
        # A UID that names someone else now: the stay it named is missing (or listed anew).
        seen = set(read.seen) - {
            listed.key
            for listed in read.bookings
            if (old := known.get(listed.key)) is not None and _someone_else(old.booking, listed)
        }
        taken: set[BookingKey] = set()
        for listed in read.bookings:
            booking = _identified(listed, known, mine, read, seen, taken)
            taken.add(booking.key)
            result[booking.key] = Known(booking, feed_id)
        if not read.complete:
            continue
        for key, item in mine.items():
            if key in seen or key in taken:
                continue
            result[key] = _missed(item, now, misses)
    return {key: item for key, item in result.items() if item.booking.departure >= keep_from}, empty


def _identified(
    listed: Booking,
    known: Mapping[BookingKey, Known],
    mine: Mapping[BookingKey, Known],
    read: FeedRead,
    seen: set[BookingKey],
    taken: set[BookingKey],
) -> Booking:
    """The listed stay under the key it is remembered by."""
    if (old := known.get(listed.key)) is not None:
        if not _someone_else(old.booking, listed):
            return listed
        # A UID reused for another guest (a PMS numbering its events by position): a new
        # booking, keyed apart, so that the first guest's PIN never opens the door for it.
        other = booking_id(listed.key.booking_id, str(listed.arrival), listed.guest_name)
        listed = replace(listed, key=BookingKey(KIND, other))
        if listed.key in known:
            return listed
    if _anonymous(listed):
        return listed  # a name made of dates proves nothing about who it is
    copies = read.copies.get(listed.key, frozenset())
    for key, item in mine.items():
        if (
            key not in taken
            and (key not in seen or key in copies)
            and fingerprint(item.booking) == fingerprint(listed)
        ):
            return replace(listed, key=key)  # the feed renamed its UID, or listed a copy
    return listed


def _someone_else(old: Booking, new: Booking) -> bool:
    """Another guest on other dates under the same UID: not a move, not a name's fix."""
    # The cheap tests first: a steady poll asks this of every stay of every feed.
    if (old.arrival, old.departure) == (new.arrival, new.departure):
        return False
    if old.guest_name.casefold() == new.guest_name.casefold():
        return False
    return not (_anonymous(old) or _anonymous(new))


def _anonymous(booking: Booking) -> bool:
    """Named by its platform and dates only (no name, no reservation code in the feed)."""
    return booking.guest_name in (
        booking.channel,
        _unnamed(booking.channel, _NO_CODE, booking.arrival, booking.departure),
    )


_NO_CODE = Reading(EventKind.RESERVATION)


def _missed(item: Known, now: datetime, misses: int) -> Known:
    """One more read without it; cancelled at `misses`, unless its guest is in."""
    if item.missed_at is not None and now - item.missed_at < MISS_GAP:
        return item  # "Sync now", a reload: the same evidence again, not more of it
    booking, count = item.booking, item.misses + 1
    today = now.date()
    if (
        booking.status is BookingStatus.CONFIRMED
        and count >= misses
        and not booking.arrival <= today <= booking.departure
    ):
        booking = replace(booking, status=BookingStatus.CANCELLED)
    return Known(booking, item.feed_id, count, now)


def _live(booking: Booking, today: date) -> bool:
    return booking.status is BookingStatus.CONFIRMED and booking.departure >= today
