"""The cleaner at the door: a turnover code used in its window sets the unit to "cleaning".

Seen when the lock's activity is read, which it is on the days a guest is due (a turnover
day's next arrival): a cleaner on a day with no arrival is not looked for.
"""

from __future__ import annotations

from ..api import LockActivity
from ..engine.arrivals import Housekeeping, HousekeepingMark, cleaning_started
from ..models import Unit
from ..sync.coordinator import SyncCoordinator
from .store import ActivityStore


def cleaning_seen(
    sync: SyncCoordinator, store: ActivityStore, activity: LockActivity
) -> list[Unit]:
    """Mark "cleaning" the units whose cleaner opened this lock since the last mark."""
    data = sync.data
    if data is None or not data.turnovers:
        return []
    codes = sync.views.staff_codes
    marked = []
    for unit in sync.units:
        windows = [
            (codes.get(grant.key, frozenset()), grant.start, grant.end)
            for grant in data.turnovers.get(unit.key, ())
            if grant.start is not None
            and grant.end is not None
            and any(door.lock_id == activity.lock_id for door in grant.keypads)
        ]
        if not windows or (at := cleaning_started(windows, activity)) is None:
            continue
        mark = store.housekeeping.get(unit.unique_id)
        if mark is None or mark.since < at:
            store.set_housekeeping(unit.unique_id, HousekeepingMark(Housekeeping.CLEANING, at))
            marked.append(unit)
    return marked
