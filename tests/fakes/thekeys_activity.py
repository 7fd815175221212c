"""Lock activity of The Keys simulator: each lock's log entries, as ``serrure/get`` shows them.

thekeys-api.md, "Lock activity, state and battery": ``serrure/get`` carries ``logs[]`` and
``logSequence``; nothing public says how many entries come back, in which order, nor how soon
after the keypad. The simulator makes each of these a setting; this module keeps the entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import itertools
from typing import Any
from zoneinfo import ZoneInfo

Time = tuple[int, int]

#: The id of the first recorded entry; one counter for the whole account, as a table's id.
FIRST_LOG_ID = 1_204_001


def code_window(
    start: date, end: date, start_time: Time | None, end_time: Time | None, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """A code's validity as ``[opens, closes)`` in UTC; None when it has none.

    From ``date_debut`` at ``heure_debut`` to ``date_fin`` at ``heure_fin``, read in the lock's
    time zone: a stay's reading (check-in day at the check-in time to check-out day at the
    check-out time). A missing time means the whole day: midnight, or the end of the last day.
    Codes seeded with impossible values (hour 25, the last day of the calendar) have none.
    """
    try:
        opens = datetime.combine(start, time.min if start_time is None else time(*start_time), zone)
        if end_time is None:
            closes = datetime.combine(end + timedelta(days=1), time.min, zone)
        else:
            closes = datetime.combine(end, time(*end_time), zone)
    except (ValueError, OverflowError):
        return None
    return opens.astimezone(UTC), closes.astimezone(UTC)


@dataclass
class _Stored:
    entry: Any  # what serrure/get shows, verbatim
    visible_at: datetime | None  # None: at once
    sequence: int | None  # the entry's id, when it has an integer one


class ActivityLog:
    """The log entries of every lock, oldest first, and raw replacements of ``logs``."""

    def __init__(self) -> None:
        """No entry yet."""
        self._ids = itertools.count(FIRST_LOG_ID)
        self._entries: dict[int, list[_Stored]] = {}
        self._raw: dict[int, Any] = {}

    def next_id(self) -> int:
        """Hand out the next entry id (increasing across all locks)."""
        return next(self._ids)

    def append(self, lock_id: int, entry: Any, visible_at: datetime | None = None) -> None:
        """Keep ``entry`` as is; ``serrure/get`` shows it from ``visible_at`` on (None: now)."""
        ident = entry.get("id") if isinstance(entry, dict) else None
        sequence = ident if isinstance(ident, int) and not isinstance(ident, bool) else None
        self._entries.setdefault(lock_id, []).append(_Stored(entry, visible_at, sequence))

    def set_raw(self, lock_id: int, raw: Any | None) -> None:
        """Show ``raw`` as the lock's ``logs``, whatever it is, until given None."""
        if raw is None:
            self._raw.pop(lock_id, None)
        else:
            self._raw[lock_id] = raw

    def entries(self, lock_id: int) -> list[Any]:
        """Every entry of the lock, oldest first, visible yet or not."""
        return [stored.entry for stored in self._entries.get(lock_id, [])]

    def sequence(self, lock_id: int, now: datetime) -> int:
        """``logSequence``: the id of the newest visible entry that has one, else 0."""
        return next(
            (
                stored.sequence
                for stored in reversed(self._visible(lock_id, now))
                if stored.sequence is not None
            ),
            0,
        )

    def shown(self, lock_id: int, now: datetime, *, max_logs: int, oldest_first: bool) -> Any:
        """``logs`` as ``serrure/get`` gives it at ``now``: the newest ``max_logs`` entries."""
        if lock_id in self._raw:
            return self._raw[lock_id]
        newest = self._visible(lock_id, now)[::-1][: max(max_logs, 0)]
        if oldest_first:
            newest.reverse()
        return [stored.entry for stored in newest]

    def _visible(self, lock_id: int, now: datetime) -> list[_Stored]:
        return [
            stored
            for stored in self._entries.get(lock_id, [])
            if stored.visible_at is None or now >= stored.visible_at
        ]
