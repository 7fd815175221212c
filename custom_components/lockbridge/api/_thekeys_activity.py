"""The Keys lock activity: `serrure/get/{id}` read for its `logs[]`, state and keypads seen.

No public client reads `logs[]` (thekeys-api.md, "Lock activity"): the field names follow one
client's model of a real 2021 answer [M], and the action values, the order, the number of
entries and the delay are unknown [U]. So every entry is read on its own, what is not
understood is kept as unknown (and counted for diagnostics), and nothing here ever decides on
its own that a guest got in: the engine's rules do, from entries naming their own code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ._parse import as_dict, as_int, as_list, as_str, parse_datetime
from ._thekeys_parse import parse_lock
from .models import LockState

#: Entries kept per read, newest first: a check-in is looked for in a few hours' activity.
MAX_ENTRIES = 100
#: Items of `logs[]` looked at, at most: a runaway list costs nothing past these.
MAX_RAW_ENTRIES = 2000
#: Distinct unknown action names kept for diagnostics, and their length.
MAX_UNKNOWN_NAMES = 20
MAX_ACTION_TEXT = 40
#: No lock logged before The Keys existed; a stamp ahead of now by more than this is wrong.
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(hours=1)


class LogAction(StrEnum):
    """What an entry says happened, as far as it is understood."""

    OPEN = "open"
    CLOSE = "close"
    REFUSED = "refused"
    UNKNOWN = "unknown"


# [U] The values are not confirmed by any public client: these are the English and French
# spellings a log of openings could use. Anything else stays UNKNOWN and counts for nothing.
_ACTIONS = {
    **dict.fromkeys(
        ("open", "opened", "unlock", "unlocked", "ouverture", "ouvrir", "code_open"),
        LogAction.OPEN,
    ),
    **dict.fromkeys(("close", "closed", "lock", "locked", "fermeture", "fermer"), LogAction.CLOSE),
    **dict.fromkeys(
        ("refused", "code_refused", "denied", "wrong_code", "refus", "refuse"), LogAction.REFUSED
    ),
}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One readable entry of a lock's activity."""

    id: int
    #: When it happened (aware, UTC).
    at: datetime
    action: LogAction
    #: The keypad code (share) used: `accessory_share_id` [M, added to the_keyspy in 2023].
    share_id: int | None
    #: The keypad's numeric accessory id (`accessoire_id`) [M].
    accessory_id: int | None
    #: `status` [U]: kept for diagnostics only.
    status: int | None


@dataclass(frozen=True, slots=True)
class LockActivity:
    """A lock as `serrure/get` gives it: its newest entries, state, battery, keypads seen."""

    lock_id: int
    #: Newest first, at most MAX_ENTRIES.
    entries: tuple[LogEntry, ...]
    state: LockState
    battery_raw: int | None
    #: Keypad label id -> when the cloud last saw it (aware), where it says.
    keypads_seen: Mapping[str, datetime] = field(default_factory=dict)
    #: Entries left out: no id, no readable date, a date out of range, not an object.
    dropped: int = 0
    #: Action values not understood -> how many entries had them (diagnostics).
    unknown_actions: Mapping[str, int] = field(default_factory=dict)


def _moment(raw: dict[str, Any], zone: ZoneInfo, now: datetime) -> datetime | None:
    """The entry's time: `data.ts` (epoch seconds) first, else `action_at` in its zone."""
    moment: datetime | None = None
    ts = as_int(as_dict(raw.get("data")).get("ts"))
    if ts is not None and 0 < ts < 10**11:
        moment = datetime.fromtimestamp(ts, UTC)
    else:
        stamp = raw.get("action_at") or raw.get("created_at")
        parsed = parse_datetime(stamp)
        if parsed is not None:
            # A PHP date object names its zone; without one, the lock's zone is the guess.
            named = as_str(as_dict(stamp).get("timezone"))
            try:
                local = ZoneInfo(named) if named and "/" in named else zone
            except (ValueError, KeyError):
                local = zone
            moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=local)
    if moment is None or not EARLIEST <= moment <= now + CLOCK_SKEW:
        return None
    return moment.astimezone(UTC)


def parse_entry(raw: Any, zone: ZoneInfo, now: datetime) -> tuple[LogEntry | None, str]:
    """An entry, or None when unreadable; and its action text when not understood."""
    if not isinstance(raw, dict):
        return None, ""
    entry_id = as_int(raw.get("id"))
    at = _moment(raw, zone, now)
    if entry_id is None or at is None:
        return None, ""
    text = as_str(raw.get("action"))[:MAX_ACTION_TEXT]
    action = _ACTIONS.get(text.casefold(), LogAction.UNKNOWN)
    share = as_int(raw.get("accessory_share_id"))
    entry = LogEntry(
        id=entry_id,
        at=at,
        action=action,
        share_id=share if share is not None and share > 0 else None,
        accessory_id=as_int(raw.get("accessoire_id")),
        status=as_int(raw.get("status")),
    )
    return entry, (text or "(none)") if action is LogAction.UNKNOWN else ""


def _keypads_seen(lock: dict[str, Any], zone: ZoneInfo, now: datetime) -> dict[str, datetime]:
    """`accessoires[].info.last_seen`: a local time without offset [I], in the lock's zone."""
    seen = {}
    for raw in as_list(lock.get("accessoires"))[:50]:
        item = as_dict(raw)
        label = as_str(as_dict(item.get("accessoire")).get("id_accessoire"))[:40]
        moment = parse_datetime(as_dict(item.get("info")).get("last_seen"))
        if not label or moment is None:
            continue
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        if EARLIEST <= moment <= now + CLOCK_SKEW:
            seen[label] = moment.astimezone(UTC)
    return seen


def parse_activity(data: Any, lock_id: int, zone: ZoneInfo, now: datetime) -> LockActivity:
    """The lock object's activity; a malformed entry is left out alone, never fatal."""
    lock = as_dict(data)
    parsed = parse_lock(lock)
    raw_logs = lock.get("logs")
    items = raw_logs[:MAX_RAW_ENTRIES] if isinstance(raw_logs, list) else []
    dropped = 0 if isinstance(raw_logs, list) or raw_logs is None else 1
    dropped += max(len(raw_logs) - MAX_RAW_ENTRIES, 0) if isinstance(raw_logs, list) else 0
    entries: dict[int, LogEntry] = {}
    unknown: Counter[str] = Counter()
    for raw in items:
        entry, text = parse_entry(raw, zone, now)
        if entry is None:
            dropped += 1
            continue
        if text and (text in unknown or len(unknown) < MAX_UNKNOWN_NAMES):
            unknown[text] += 1
        entries.setdefault(entry.id, entry)
    # The order of `logs[]` is unknown: newest first by time, then by id.
    newest = sorted(entries.values(), key=lambda e: (e.at, e.id), reverse=True)[:MAX_ENTRIES]
    return LockActivity(
        lock_id=lock_id,
        entries=tuple(newest),
        state=parsed.state if parsed else LockState.UNKNOWN,
        battery_raw=parsed.battery_raw if parsed else None,
        keypads_seen=_keypads_seen(lock, zone, now),
        dropped=dropped,
        unknown_actions=dict(unknown),
    )
