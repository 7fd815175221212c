"""What the door told us, kept across restarts: check-ins, "not arrived" told, housekeeping.

A check-in is told once in its stay's life: it is written here before its event fires, and
read back at start so that a restart neither loses nor repeats it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..engine.arrivals import Arrival, Housekeeping, HousekeepingMark, SeenHow
from ..engine.bookings import BookingKey
from ..storage import saved_moment

VERSION = 1
SAVE_DELAY = 10
#: Stays remembered at most (the oldest ended go first), and for how long after their end.
MAX_STAYS = 5000
KEEP_AFTER_END = timedelta(days=30)
MAX_KEY = 200


def _key(text: Any) -> BookingKey | None:
    source, _, booking_id = str(text).partition(":")
    return BookingKey(source, booking_id) if booking_id and len(str(text)) <= MAX_KEY else None


class ActivityStore:
    """Check-ins and "not arrived" per booking; housekeeping per unit."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, VERSION, f"{DOMAIN}.{entry_id}.activity")
        self.arrivals: dict[BookingKey, Arrival] = {}
        #: Stay -> when it ends: "not arrived" was told (or is moot) for it.
        self.not_arrived: dict[BookingKey, datetime] = {}
        self.housekeeping: dict[str, HousekeepingMark] = {}
        #: When this account first watched its doors: nothing before is told or assumed.
        self.started: datetime = dt_util.utcnow()
        self._ends: dict[BookingKey, datetime] = {}
        self._unsaved = False

    async def load(self) -> None:
        """Read what was kept; each unreadable value is dropped alone, never fatal."""
        saved = await self._store.async_load()
        data = saved if isinstance(saved, dict) else {}
        self.started = saved_moment(data.get("started")) or self.started
        for text, raw in _items(data.get("arrivals")):
            item = raw if isinstance(raw, dict) else {}
            key, at, end = _key(text), saved_moment(item.get("at")), saved_moment(item.get("end"))
            how = item.get("how")
            if key and at and end and how in tuple(SeenHow):
                self.arrivals[key] = Arrival(at, SeenHow(how), item.get("early") is True)
                self._ends[key] = end
        for text, raw in _items(data.get("not_arrived")):
            if (key := _key(text)) and (end := saved_moment(raw)):
                self.not_arrived[key] = end
        for unit_id, raw in _items(data.get("housekeeping")):
            item = raw if isinstance(raw, dict) else {}
            state, since = item.get("state"), saved_moment(item.get("since"))
            if state in tuple(Housekeeping) and since and len(unit_id) <= MAX_KEY:
                self.housekeeping[unit_id] = HousekeepingMark(Housekeeping(state), since)
        if saved is None:
            # The start of watching goes with the first write, or the unload: no write of
            # its own at the first setup.
            self._unsaved = True

    async def add_arrival(self, key: BookingKey, arrival: Arrival, end: datetime) -> None:
        """Keep a stay's check-in (its stay ends at `end`), written before it is told."""
        self.arrivals[key] = arrival
        self._ends[key] = end
        await self._write_now()

    async def note_not_arrived(self, key: BookingKey, end: datetime) -> None:
        """Keep that "not arrived" is told for this stay: written first, so never told again."""
        self.not_arrived[key] = end
        await self._write_now()

    def set_housekeeping(self, unit_id: str, mark: HousekeepingMark) -> None:
        """A unit's housekeeping state, as set now."""
        self.housekeeping[unit_id] = mark
        self._save()

    def forget_units(self, kept: set[str]) -> None:
        """Drop the housekeeping of units no longer configured."""
        gone = set(self.housekeeping) - kept
        for unit_id in gone:
            del self.housekeeping[unit_id]
        if gone:
            self._save()

    def _prune(self) -> None:
        floor = dt_util.utcnow() - KEEP_AFTER_END
        for key in [k for k, end in self._ends.items() if end < floor]:
            self.arrivals.pop(key, None)
            self._ends.pop(key, None)
        for key in [k for k, end in self.not_arrived.items() if end < floor]:
            del self.not_arrived[key]
        for excess in sorted(self._ends, key=self._ends.__getitem__)[:-MAX_STAYS]:
            self.arrivals.pop(excess, None)
            del self._ends[excess]
        for excess in sorted(self.not_arrived, key=self.not_arrived.__getitem__)[:-MAX_STAYS]:
            del self.not_arrived[excess]

    def _save(self) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._to_save, SAVE_DELAY)

    async def _write_now(self) -> None:
        await self._store.async_save(self._to_save())

    def _to_save(self) -> dict[str, Any]:
        self._unsaved = False
        self._prune()
        return {
            "started": self.started.isoformat(),
            "arrivals": {
                str(key): {
                    "at": arrival.at.isoformat(),
                    "how": str(arrival.how),
                    "early": arrival.early,
                    "end": self._ends[key].isoformat(),
                }
                for key, arrival in self.arrivals.items()
                if key in self._ends
            },
            "not_arrived": {str(key): end.isoformat() for key, end in self.not_arrived.items()},
            "housekeeping": {
                unit_id: {"state": str(mark.state), "since": mark.since.isoformat()}
                for unit_id, mark in self.housekeeping.items()
            },
        }

    async def flush(self) -> None:
        """Write now what waits (at unload); nothing new, no write."""
        if self._unsaved:
            await self._write_now()

    async def remove(self) -> None:
        """Delete the file (the entry is being removed)."""
        await self._store.async_remove()

    def as_dict(self) -> dict[str, Any]:
        """Counts for diagnostics (no guest names, no keys)."""
        return {
            "started": self.started.isoformat(),
            "arrivals": len(self.arrivals),
            "seen_by_keypad": sum(a.how is SeenHow.KEYPAD for a in self.arrivals.values()),
            "not_arrived_told": len(self.not_arrived),
            "housekeeping": {str(s): 0 for s in Housekeeping}
            | {str(s): sum(m.state is s for m in self.housekeeping.values()) for s in Housekeeping},
        }


def _items(value: Any) -> list[tuple[str, Any]]:
    """A saved mapping's items, at most MAX_STAYS of them; anything else is nothing."""
    return [(str(k), v) for k, v in value.items()][:MAX_STAYS] if isinstance(value, dict) else []
