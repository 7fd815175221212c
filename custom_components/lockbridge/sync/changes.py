"""What a sync must look at: the locks changes touched, and whether a cycle changed anything.

A push or an action changes a few stays: the sync that follows reads and fixes only their
locks (a scoped sync), from the codes the last sync listed on the others. The periodic
sync reads every lock; when neither codes, bookings, the hour nor a stay's boundary moved
since the last one, and that one had nothing to do, its plan and views are used again and
no entity is told (a quiet cycle).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.util import dt as dt_util

from ..api import AccessCode, Account
from ..engine.bookings import Booking, BookingKey, UnitKey
from ..engine.plan import KeypadRef
from ..sources.base import SourceCoordinator
from .data import SyncData


class Pending:
    """Locks touched by changes not yet synced; None when every lock must be read.

    And the tasks that sync after a change or an action: only their runs may be scoped,
    not the timer's, "Sync now" or an automation's. (A mark on the task: a context variable
    would pass on to every task and timer that the run schedules.)
    """

    def __init__(self) -> None:
        self.locks: set[int] | None = set()
        self._tasks: set[asyncio.Task[Any] | None] = set()

    @contextmanager
    def scoped(self) -> Iterator[None]:
        """The current task's runs, inside this block, sync what is pending only."""
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    def in_scoped_task(self) -> bool:
        """Whether the running task syncs after a change (see `scoped`)."""
        return asyncio.current_task() in self._tasks

    def touch(self, locks: Iterable[int] | None) -> None:
        """Changes on these locks (None: on any)."""
        if self.locks is None or locks is None:
            self.locks = None
        else:
            self.locks.update(locks)

    def take(self) -> set[int] | None:
        """What is pending, forgotten here (a sync is on it)."""
        locks, self.locks = self.locks, set()
        return locks


def touched_locks(
    before: Iterable[Booking],
    after: Iterable[Booking],
    keypads: Mapping[UnitKey, tuple[KeypadRef, ...]],
) -> set[int]:
    """The locks of the units a changed, added or removed booking was or is on."""
    old = {booking.key: booking for booking in before}
    new = {booking.key: booking for booking in after}
    locks: set[int] = set()
    for key in old.keys() | new.keys():
        was, now = old.get(key), new.get(key)
        if was != now:
            for booking in (was, now):
                if booking is not None:
                    locks.update(ref.lock_id for ref in keypads.get(booking.unit, ()))
    return locks


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a plan depends on besides the codes and the account."""

    #: Source updates and actions so far; overrides set.
    changes: int
    overrides: int
    #: Each source's health, and what "sync problem" says: entities show both.
    sources: tuple[tuple[bool, bool, int], ...]
    problems: tuple[str, ...]
    #: The hour (UTC): time alone moves a code's end and a stay's grace.
    hour: datetime

    @classmethod
    def now(
        cls,
        changes: int,
        overrides: int,
        sources: Iterable[SourceCoordinator],
        problems: Iterable[str],
    ) -> Inputs:
        """The inputs as they are now."""
        return cls(
            changes,
            overrides,
            tuple((s.last_update_success, s.answered, s.failures) for s in sources),
            tuple(problems),
            dt_util.utcnow().replace(minute=0, second=0, microsecond=0),
        )


def locks_of(
    key: BookingKey, sources: Iterable[SourceCoordinator], code: AccessCode | None
) -> set[int]:
    """The locks a booking's code is on, or would be on (its unit's keypad)."""
    locks = {code.lock_id} if code is not None else set()
    for source in sources:
        for booking in source.data.bookings if source.data else ():
            if booking.key == key:
                locks.update(
                    door.lock_id
                    for unit in source.units
                    if unit.key == booking.unit
                    for door in unit.keypads
                )
    return locks


def quiet(
    previous: SyncData | None,
    previous_inputs: Inputs | None,
    inputs: Inputs,
    account: Account,
    codes: Mapping[int, tuple[AccessCode, ...]],
    unreadable: Iterable[int],
    notified: datetime | None,
    now: datetime,
) -> bool:
    """True when this cycle would plan and show what the last one did."""
    if previous is None or previous.views is None or notified is None:
        return False
    if previous.plan.actions or previous.applied is None or previous.failed:
        return False  # the last one had work (maybe failed): plan again
    if previous_inputs != inputs or previous.unreadable or set(unreadable):
        return False
    moments = previous.views.moments
    if bisect_right(moments, now) != bisect_right(moments, notified):
        return False  # a check-in, a check-out or a code's start or end came since
    return previous.account == account and previous.codes == codes
