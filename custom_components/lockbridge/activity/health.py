"""The locks' health as repairs: a low battery, a keypad unseen while a guest is due.

Raised while it holds, cleared once it does not, and never on no evidence: a keypad the
cloud says nothing about raises nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from ..api import Lock
from ..const import BATTERY_LOW, BATTERY_OK, KEYPAD_UNSEEN_AFTER
from ..engine.health import battery_low, battery_percent, unseen_for
from ..engine.plan import KeypadRef
from ..repairs import KEYPAD_UNSEEN, LOW_BATTERY, Issues


class HealthRepairs:
    """The entry's battery and keypad repairs, checked after each read."""

    def __init__(self, issues: Issues) -> None:
        self._issues = issues
        #: Locks whose battery is low now (kept low until it is clearly back: no flapping).
        self.low: set[int] = set()
        self.unseen: set[tuple[int, str]] = set()

    def check(
        self,
        locks: Iterable[Lock],
        keypads: Iterable[KeypadRef],
        due: set[int],
        seen: Callable[[int, str], datetime | None],
        now: datetime,
    ) -> None:
        """Raise what holds, clear the rest."""
        by_id = {lock.id: lock for lock in locks}
        low = set()
        for lock in by_id.values():
            percent = battery_percent(lock.battery_raw)
            if battery_low(percent, lock.id in self.low, BATTERY_LOW, BATTERY_OK):
                low.add(lock.id)
                self._issues.raise_issue(
                    LOW_BATTERY,
                    str(lock.id),
                    placeholders={"lock": lock.name, "percent": str(percent)},
                )
        if low != self.low or not low:
            self._issues.clear_all_but(LOW_BATTERY, {(str(lock_id),) for lock_id in low})
        self.low = low
        unseen = set()
        for ref in keypads:
            found = by_id.get(ref.lock_id)
            since = unseen_for(seen(ref.lock_id, ref.keypad_id), now)
            if found is None or ref.lock_id not in due or since is None:
                continue
            if since >= KEYPAD_UNSEEN_AFTER:
                unseen.add((ref.lock_id, ref.keypad_id))
                name = next((k.name for k in found.keypads if k.id == ref.keypad_id), ref.keypad_id)
                self._issues.raise_issue(
                    KEYPAD_UNSEEN,
                    str(ref.lock_id),
                    ref.keypad_id,
                    placeholders={
                        "lock": found.name,
                        "keypad": name,
                        "hours": str(int(since.total_seconds() // 3600)),
                    },
                )
        if unseen != self.unseen or not unseen:
            self._issues.clear_all_but(
                KEYPAD_UNSEEN, {(str(lock_id), keypad) for lock_id, keypad in unseen}
            )
        self.unseen = unseen
