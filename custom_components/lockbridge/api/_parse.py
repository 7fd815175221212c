"""Tolerant readers for loosely typed cloud JSON.

Each returns None (or a neutral value) rather than raising, so that one odd field never
makes a whole listing unreadable; callers decide what a missing value means.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any


def as_int(value: Any) -> int | None:
    """An int from an int or a numeric string; bools and other values give None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def as_str(value: Any) -> str:
    """A stripped string; None and non-scalar values give ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def as_opt_str(value: Any) -> str | None:
    """A stripped string, or None when empty or missing."""
    return as_str(value) or None


def as_bool(value: Any) -> bool:
    """Truthiness of JSON booleans and of the strings/ints some clouds use instead."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def _php_date(value: Any) -> Any:
    # The Keys serialises PHP DateTime objects as {"date": "...", "timezone": ...}.
    if isinstance(value, dict) and "date" in value:
        return value["date"]
    return value


def parse_datetime(value: Any) -> datetime | None:
    """ISO-like date-times, with or without seconds, fraction, 'T' or offset."""
    value = _php_date(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    """A date from 'YYYY-MM-DD', a date-time string or a PHP date object."""
    value = _php_date(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_time(value: Any) -> time | None:
    """A wall-clock time from 'HH:MM', 'HH:MM:SS', an ISO date-time or {hour, minute}.

    The Keys' format for heure_debut/heure_fin is unknown (thekeys-api.md §6), so every
    candidate seen in public clients is accepted. Any offset in an ISO value is dropped:
    the fields are wall-clock times in the lock's time zone.
    """
    if isinstance(value, dict):
        hour, minute = as_int(value.get("hour")), as_int(value.get("minute")) or 0
        if hour is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
            return None
        return time(hour, minute)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return time.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        parsed = parse_datetime(text)
        return parsed.time().replace(tzinfo=None) if parsed else None


def is_later(first: datetime | None, second: datetime | None) -> bool:
    """True when both are known, comparable (both naive or both aware) and first > second."""
    if first is None or second is None or (first.tzinfo is None) != (second.tzinfo is None):
        return False
    return first > second
