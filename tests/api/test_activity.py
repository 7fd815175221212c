"""Lock activity parsed defensively: bounded, each entry alone, unknown kept as unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.lockbridge.api import LockState, LogAction
from custom_components.lockbridge.api._thekeys_activity import (
    MAX_ENTRIES,
    MAX_RAW_ENTRIES,
    MAX_UNKNOWN_NAMES,
    parse_activity,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def entry(id_: int, minutes_ago: int, **extra: Any) -> dict[str, Any]:
    ts = int((NOW - timedelta(minutes=minutes_ago)).timestamp())
    return {"id": id_, "action": "open", "data": {"ts": ts}, "accessory_share_id": 7} | extra


def test_entries_newest_first_whatever_the_order_and_duplicates_once() -> None:
    raw = {
        "id": 1,
        "etat": "open",
        "battery": 7000,
        "logs": [entry(1, 30), entry(2, 5), entry(1, 30)],
    }
    activity = parse_activity(raw, 1, PARIS, NOW)
    assert [e.id for e in activity.entries] == [2, 1]
    assert activity.state is LockState.UNLOCKED
    assert activity.battery_raw == 7000
    assert activity.entries[0].share_id == 7
    assert activity.entries[0].action is LogAction.OPEN


def test_a_php_date_is_read_in_its_zone_and_a_bare_one_in_the_locks() -> None:
    named = {
        "id": 1,
        "action": "Ouverture",
        "action_at": {"date": "2026-11-23 14:30:00.000000", "timezone": "Europe/Paris"},
    }
    bare = {"id": 2, "action": "close", "created_at": "2026-11-23 14:40:00"}
    activity = parse_activity({"id": 1, "logs": [named, bare]}, 1, PARIS, NOW)
    at = {e.id: (e.at, e.action) for e in activity.entries}
    assert at[1] == (datetime(2026, 11, 23, 13, 30, tzinfo=UTC), LogAction.OPEN)
    assert at[2] == (datetime(2026, 11, 23, 13, 40, tzinfo=UTC), LogAction.CLOSE)


def test_bounds_dates_sizes_and_unknown_actions() -> None:
    logs: list[Any] = [entry(i, i, action=f"odd{i % 30}") for i in range(MAX_RAW_ENTRIES + 50)]
    logs[0] = entry(0, 0, data={"ts": 253_402_300_000})  # 9999
    logs[1] = entry(1, 0) | {"data": {}, "action_at": {"date": "9999-01-01 00:00:00"}}
    logs[2] = entry(2, -600)  # ten hours ahead of now
    logs[3] = entry(3, 60 * 24 * 365 * 20)  # 2006: before The Keys
    logs[4] = "not an entry"
    activity = parse_activity({"id": 1, "logs": logs}, 1, PARIS, NOW)
    assert len(activity.entries) == MAX_ENTRIES
    assert activity.dropped == 5 + 50  # four bad dates, one not an object, the cut tail
    assert len(activity.unknown_actions) == MAX_UNKNOWN_NAMES
    assert all(e.action is LogAction.UNKNOWN for e in activity.entries)


def test_logs_that_are_not_a_list_and_keypads_seen() -> None:
    raw = {
        "id": 1,
        "logs": {"oops": 1},
        "accessoires": [
            {
                "accessoire": {"id_accessoire": "Kp1", "type": 2},
                "info": {"last_seen": "2026-11-23T14:59:00"},
            },
            {"accessoire": {"id_accessoire": "Kp2", "type": 2}, "info": None},
            {"accessoire": {"id_accessoire": "Kp3"}, "info": {"last_seen": "9999-01-01T00:00:00"}},
            "junk",
        ],
    }
    activity = parse_activity(raw, 1, PARIS, NOW)
    assert activity.entries == ()
    assert activity.dropped == 1
    assert activity.keypads_seen == {"Kp1": datetime(2026, 11, 23, 13, 59, tzinfo=UTC)}
    assert parse_activity("nonsense", 1, PARIS, NOW).state is LockState.UNKNOWN
