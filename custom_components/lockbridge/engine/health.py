"""A lock's health from the cloud: battery percent and keypads not seen (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

#: Battery range of The Keys locks in mV-like raw units. Public clients disagree (reference
#: §7 and "Lock activity": 6200 -> 0 % and 8000 -> 100 % linear in two of them, 6395..8204
#: fitted to real readings in a third, battery/40 in jeedom): the linear 6200..8000 scale is
#: used, and the percent is approximate; the raw value stays an attribute.
BATTERY_EMPTY_MV = 6200
BATTERY_FULL_MV = 8000


def battery_percent(raw: int | None) -> int | None:
    """Percent from the raw value, clamped to 0-100; None when unknown."""
    if raw is None:
        return None
    share = (raw - BATTERY_EMPTY_MV) / (BATTERY_FULL_MV - BATTERY_EMPTY_MV)
    return round(min(max(share, 0.0), 1.0) * 100)


def battery_low(percent: int | None, was_low: bool, low: int, ok: int) -> bool:
    """Low at or under `low`; once low, it stays so until over `ok` (no flapping)."""
    if percent is None:
        return was_low
    return percent <= low or (was_low and percent < ok)


def unseen_for(last_seen: datetime | None, now: datetime) -> timedelta | None:
    """How long since the cloud last saw a keypad; None when the cloud does not say."""
    return None if last_seen is None else max(now - last_seen, timedelta(0))
