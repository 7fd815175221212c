"""A request budget that refuses rather than overspends (HotelRunner: 5/min, 250/day).

Both limits are enforced over rolling windows: a rolling day never holds more than the
daily allowance, so the budget holds whichever way the cloud counts its days. The state
(send times) can be exported and restored, so a restart does not reset the count.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
import math
import time
from typing import Any

from .errors import BudgetExhaustedError

MINUTE = 60.0
DAY = 86_400.0
STATE_VERSION = 1


class RequestBudget:
    """Rolling-window request allowance per minute and per day."""

    def __init__(
        self,
        per_minute: int = 5,
        per_day: int = 250,
        *,
        clock: Callable[[], float] = lambda: time.time(),  # looked up per call (freezegun)
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1 or per_day < 1:
            raise ValueError("a budget needs at least one request per window")
        self.per_minute = per_minute
        self.per_day = per_day
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._hold_until = 0.0
        #: Called after every change of state, e.g. to schedule saving it.
        self.on_change: Callable[[], None] | None = None

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - DAY:
            self._sent.popleft()

    def _used_since(self, since: float) -> int:
        return sum(1 for sent in self._sent if sent > since)

    def wait_time(self) -> float:
        """Seconds until one more request fits in both windows (0 when it fits now)."""
        now = self._clock()
        self._prune(now)
        waits = [self._hold_until - now]
        in_minute = [sent for sent in self._sent if sent > now - MINUTE]
        if len(in_minute) >= self.per_minute:
            waits.append(in_minute[len(in_minute) - self.per_minute] + MINUTE - now)
        if len(self._sent) >= self.per_day:
            waits.append(self._sent[len(self._sent) - self.per_day] + DAY - now)
        return max(0.0, *waits)

    def acquire(self) -> None:
        """Record one request now, or raise BudgetExhaustedError without recording it."""
        wait = self.wait_time()
        if wait > 0:
            raise BudgetExhaustedError(
                f"request budget exhausted ({self.per_minute}/min, {self.per_day}/day); "
                f"next request in {wait:.0f} s",
                wait,
            )
        self._sent.append(self._clock())
        self._changed()

    async def acquire_within(self, max_wait: float) -> None:
        """Wait up to `max_wait` seconds for a slot (e.g. the next page of a listing)."""
        wait = self.wait_time()
        if 0 < wait <= max_wait:
            await self._sleep(wait)
        self.acquire()

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` (the cloud answered 429)."""
        seconds = min(max(seconds, 0.0), DAY) if math.isfinite(seconds) else DAY
        self._hold_until = max(self._hold_until, self._clock() + seconds)
        self._changed()

    @property
    def used_today(self) -> int:
        """Requests sent in the last 24 hours."""
        now = self._clock()
        self._prune(now)
        return len(self._sent)

    @property
    def remaining_today(self) -> int:
        """Requests still allowed in the rolling day."""
        return max(0, self.per_day - self.used_today)

    @property
    def remaining_this_minute(self) -> int:
        """Requests still allowed in the rolling minute."""
        now = self._clock()
        return max(0, self.per_minute - self._used_since(now - MINUTE))

    def sustainable_interval(self, requests_per_cycle: int, *, reserve: int = 0) -> float:
        """Shortest polling interval (s) that spends at most the allowance less `reserve`."""
        return DAY * max(requests_per_cycle, 1) / max(self.per_day - reserve, 1)

    def export(self) -> dict[str, Any]:
        """JSON-able state for persistence."""
        self._prune(self._clock())
        return {"version": STATE_VERSION, "sent": list(self._sent), "hold_until": self._hold_until}

    def restore(self, state: Mapping[str, Any] | None) -> None:
        """Load exported state; unreadable entries are ignored."""
        if not state or state.get("version") != STATE_VERSION:
            return
        now = self._clock()
        sent = state.get("sent")
        times = [
            moment
            for item in (sent if isinstance(sent, list) else [])
            if (moment := _moment(item, now)) is not None
        ]
        self._sent = deque(sorted(times))
        self._hold_until = _moment(state.get("hold_until"), now) or 0.0
        self._prune(now)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def _moment(value: Any, now: float) -> float | None:
    """A stored time, no later than a day from now (a corrupt store must not block us)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        moment = float(value)
    except OverflowError:
        return None
    return min(moment, now + DAY) if math.isfinite(moment) else None
