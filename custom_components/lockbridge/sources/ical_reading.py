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
from datetime import date, datetime, time
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
    #: Stays with neither a guest's name nor a reservation code: never taken for another.
    anonymous: frozenset[BookingKey] = frozenset()


@dataclass(frozen=True, slots=True)
class Known:
    """A reservation the source remembers, the feed it came from, and reads without it."""

    booking: Booking
    #: "" when not known (saved by an older version): never counted missing then.
    feed_id: str
    misses: int = 0


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
    seen = {BookingKey(KIND, booking_id(source_id, uid)) for uid, _ in feed.skipped if uid}
    #: One per stay (unit, dates, guest): a confirmed copy wins over a cancelled one.
    stays: dict[tuple[str, date | None, date | None, str] | BookingKey, _Candidate] = {}
    anonymous: set[BookingKey] = set()
    for event in feed.events:
        reading = read_event(event, config.rules)
        if reading.kind in (EventKind.BLOCK, EventKind.NOISE):
            counts[reading.kind] += 1
            continue
        arrival, check_in = _day_and_time(event.start)
        departure, check_out = _end(event)
        name = clean_text(reading.name) or _unnamed(label, reading, arrival, departure)
        uid = event.uid or "/".join(
            (config.rules.platform, config.unit_id, str(arrival), str(departure), reading.code)
        )
        key = BookingKey(KIND, booking_id(source_id, uid))
        seen.add(key)
        if not (reading.name or reading.code):
            anonymous.add(key)  # its name is made of its dates: no proof of who it is
        candidate = _Candidate(key, arrival, departure, name, reading, check_in, check_out)
        stay = (config.unit_id, arrival, departure, name.casefold()) if arrival else key
        if (first := stays.get(stay)) is not None:
            counts["duplicate"] += 1  # Smoobu's iCal lists each stay three times
            if not (first.cancelled and not candidate.cancelled):
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
        frozenset(anonymous),
    )


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
    today: date,
    keep_from: date,
    misses: int = DEFAULT_MISSES,
) -> tuple[dict[BookingKey, Known], set[str]]:
    """The reservations remembered after these reads; the feeds that came back empty.

    A feed's read (None: it failed) replaces what it said before. A remembered reservation
    its complete, non-empty feed no longer holds counts a miss; after `misses` of them in a
    row it is cancelled, unless its guest is in the house (arrival to departure day). A
    feed whose new UID names a stay it dropped under an old one keeps the old key, so its
    code stays. Stays over before `keep_from` are forgotten.
    """
    result = dict(known)
    empty: set[str] = set()
    for feed_id, read in reads.items():
        if read is None:
            continue
        mine = {key: item for key, item in known.items() if item.feed_id == feed_id}
        if (
            read.complete
            and not read.seen
            and any(_live(item.booking, today) for item in mine.values())
        ):
            # Every stay gone at once is a feed gone wrong (or an export link reset), never
            # proof: nothing is counted, and the host is told.
            empty.add(feed_id)
            continue
        renamed = {
            fingerprint(item.booking): key for key, item in mine.items() if key not in read.seen
        }
        taken: set[BookingKey] = set()
        for listed in read.bookings:
            old = renamed.get(fingerprint(listed))
            booking = listed
            if (
                listed.key not in known
                and listed.key not in read.anonymous
                and old is not None
                and old not in taken
            ):
                booking = replace(listed, key=old)  # the feed renamed its UID
            taken.add(booking.key)
            result[booking.key] = Known(booking, feed_id)
        if not read.complete:
            continue
        for key, item in mine.items():
            if key in read.seen or key in taken:
                continue
            booking, count = item.booking, item.misses + 1
            if (
                booking.status is BookingStatus.CONFIRMED
                and count >= misses
                and not booking.arrival <= today <= booking.departure
            ):
                booking = replace(booking, status=BookingStatus.CANCELLED)
            result[key] = Known(booking, feed_id, count)
    return {key: item for key, item in result.items() if item.booking.departure >= keep_from}, empty


def _live(booking: Booking, today: date) -> bool:
    return booking.status is BookingStatus.CONFIRMED and booking.departure >= today
