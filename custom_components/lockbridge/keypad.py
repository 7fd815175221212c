"""What a lock's keypads hold, as its entities show it (never a PIN)."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from homeassistant.util import dt as dt_util

from .api import AccessCode, Lock
from .sync.coordinator import SyncCoordinator


def active_codes(
    coordinator: SyncCoordinator, lock: Lock
) -> list[tuple[AccessCode, datetime | None, datetime | None]]:
    """The codes active or still to start, with their window, by start (none first)."""
    data = coordinator.data
    zone = coordinator.zone_of(lock)
    now = dt_util.now()
    found = []
    for code in data.codes.get(lock.id, ()):
        start = _moment(code.start_date, code.start_time, zone, start=True)
        end = _moment(code.end_date, code.end_time, zone, start=False)
        if not code.active or (end is not None and end <= now):
            continue
        found.append((code, start, end))
    found.sort(key=lambda item: item[1].timestamp() if item[1] else float("-inf"))
    return found


def active_code_lines(coordinator: SyncCoordinator, lock: Lock) -> list[str]:
    """One line per code active or still to start, by start (a code without one first)."""
    return [
        f"{code.name} · {_span(start, end)} · id {code.id}"
        for code, start, end in active_codes(coordinator, lock)
    ]


def active_code_count(coordinator: SyncCoordinator, lock: Lock) -> int | None:
    """How many codes are active or to start; None when the lock's codes could not be read."""
    if lock.id in coordinator.data.unreadable:
        return None
    return len(active_code_lines(coordinator, lock))


def in_sync(coordinator: SyncCoordinator, lock_id: int) -> bool:
    """The lock was read and every change it needed went through."""
    data = coordinator.data
    return lock_id not in data.unreadable and lock_id not in data.failing_locks


def _span(start: datetime | None, end: datetime | None) -> str:
    """A code's window, as 2026-11-23 15:00 → 2026-11-27 12:00 (no language in it)."""
    first = f"{start:%Y-%m-%d %H:%M}" if start else "…"
    last = f"{end:%Y-%m-%d %H:%M}" if end else "…"
    return f"{first} → {last}"


def _moment(day: date | None, wall: time | None, zone: tzinfo, *, start: bool) -> datetime | None:
    """A code's start or end as a datetime (no time: the whole day)."""
    if day is None:
        return None
    if wall is None and not start:
        return datetime.combine(day, time.max, zone)
    return datetime.combine(day, wall or time.min, zone)
