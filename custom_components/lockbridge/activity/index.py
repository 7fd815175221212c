"""The stays the door watch looks at, sorted once per change of the sync's views.

A round, a "not arrived" timer and the repairs look at the few stays near now (begun, or
checking in within two days) through these sorted lists, not at every stay of every unit:
at 200 locks a round walked 2,000 stays four times on the event loop (150 ms).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..engine.occupancy import UnitStay
from ..models import Unit


@dataclass(frozen=True, slots=True)
class UnitStays:
    """A managed unit, its lock and its stays, as the sync's views have them now."""

    unit: Unit
    lock_id: int
    stays: tuple[UnitStay, ...]


Row = tuple[UnitStays, UnitStay]


def _start(row: Row) -> datetime:
    return row[1].start


def _check_in(row: Row) -> datetime:
    return row[1].check_in


class DoorIndex:
    """The managed units' stays not over when built, by start and by check-in."""

    def __init__(self, units: Sequence[UnitStays], now: datetime) -> None:
        self.units = tuple(units)
        rows = [(item, stay) for item in self.units for stay in item.stays if stay.end > now]
        self._by_start = sorted(rows, key=_start)
        self._by_check_in = sorted(rows, key=_check_in)
        #: Check-ins moved off their arrival day (an override): their day and window are
        #: not near their check-in, so every query holds them.
        self._off_day = [
            r for r in self._by_check_in if r[1].check_in.date() != r[1].booking.arrival
        ]

    def begun(self, now: datetime) -> Sequence[Row]:
        """The stays whose code works by `now` (some may have ended since the build)."""
        return self._by_start[: bisect_right(self._by_start, now, key=_start)]

    def checking_in(self, since: datetime, until: datetime | None = None) -> Sequence[Row]:
        """The stays checking in from `since` to `until` (included), in check-in order.

        Those whose check-in was moved off their arrival day come too, first.
        """
        first = bisect_left(self._by_check_in, since, key=_check_in)
        last = None if until is None else bisect_right(self._by_check_in, until, key=_check_in)
        moved = [row for row in self._off_day if row[1].check_in < since]
        return moved + self._by_check_in[first:last]
