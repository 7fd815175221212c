"""HotelRunner: which copy of a reservation wins, between listings, the queue and pushes.

Pure (no Home Assistant). A reservation is compared by its modification stamp
(`updated_at`, else `completed_at`: hotelrunner-api.md §4, V; its precision and whether every
change moves it are not documented, so a missing or unreadable stamp proves nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from ..engine.bookings import Booking, BookingKey

#: A stamp later than this past our clock is a wrong clock, not news: it is taken as the time
#: it was received, so that it cannot hide the real changes after it. Ten minutes leaves room
#: for the usual drift between HotelRunner's clock and ours.
FUTURE_MARGIN = timedelta(minutes=10)


def reservation_of(key: BookingKey) -> str:
    """The HotelRunner reservation a booking line belongs to ("R123/HR:2" -> "R123")."""
    return key.booking_id.partition("/")[0]


def bounded(bookings: Iterable[Booking], now: datetime) -> list[Booking]:
    """The bookings, a stamp beyond now + FUTURE_MARGIN replaced by `now`."""
    limit = _seconds(now + FUTURE_MARGIN)
    return [
        replace(booking, modified=now)
        if booking.modified is not None and _seconds(booking.modified) > limit
        else booking
        for booking in bookings
    ]


def merge(
    known: Mapping[BookingKey, Booking],
    bookings: Iterable[Booking],
    *,
    listed: bool,
    keep_from: date,
) -> tuple[dict[BookingKey, Booking], set[str]]:
    """Known bookings with a reservation's lines taken in (all of them replace the known ones).

    A listing (or the queue) replaces what is known unless the known copy is newer: a push
    that came while the listing was on its way wins. A push replaces only when it is newer:
    a replay or a late older copy changes nothing. Stays over before `keep_from` are dropped.
    Returns the bookings and the reservations taken in.
    """
    lines: dict[str, list[Booking]] = {}
    for booking in bookings:
        lines.setdefault(reservation_of(booking.key), []).append(booking)
    known_by: dict[str, list[Booking]] = {}
    for booking in known.values():
        known_by.setdefault(reservation_of(booking.key), []).append(booking)
    taken: set[str] = set()
    for number, new in lines.items():
        old = known_by.get(number, [])
        if _older(new, old) if listed else not _newer(new, old):
            continue
        taken.add(number)
        known_by[number] = new
    kept = {
        booking.key: booking
        for group in known_by.values()
        for booking in group
        if booking.departure >= keep_from
    }
    return kept, taken


def _stamp(group: list[Booking]) -> float | None:
    stamps = [_seconds(booking.modified) for booking in group if booking.modified is not None]
    return max(stamps) if stamps else None


def _newer(pushed: list[Booking], known: list[Booking]) -> bool:
    """True when a pushed reservation is news: unknown, or modified after the known copy."""
    if not known:
        return True
    pushed_at, known_at = _stamp(pushed), _stamp(known)
    if pushed_at is None or known_at is None:
        return False  # without times, a push cannot prove itself newer: the poll decides
    # Changed within the same millisecond still counts; the same copy again does not.
    return pushed_at > known_at or (pushed_at == known_at and set(pushed) != set(known))


def _older(listed: list[Booking], known: list[Booking]) -> bool:
    """True when the known copy is provably newer than the listed one (both stamped)."""
    listed_at, known_at = _stamp(listed), _stamp(known)
    return listed_at is not None and known_at is not None and listed_at < known_at


def _seconds(moment: datetime) -> float:
    """Comparable whatever the time zone (a naive time is taken as UTC)."""
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=UTC).timestamp()
