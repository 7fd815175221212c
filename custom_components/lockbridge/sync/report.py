"""After a sync: events for what changed, and the repair issues that hold now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..api import Account
from ..engine.bookings import BookingStatus
from ..events import fire_outcome
from ..models import Unit
from ..repairs import CODE_FAILED, KEYPAD_MISSING, UNIT_WITHOUT_KEYPAD, Issues
from ..sources.base import SourceData
from .data import SyncData


def report(
    hass: HomeAssistant,
    entry_id: str,
    issues: Issues,
    result: SyncData,
    units: list[Unit],
    sources: Iterable[SourceData | None],
    horizon: timedelta,
) -> None:
    """Events for the outcomes; a repair per failed change; the units' keypad repairs."""
    by_key = {unit.key: unit for unit in units}
    locks = {lock.id: lock for lock in result.account.locks}
    if result.applied is not None:
        for outcome in result.applied.outcomes:
            fire_outcome(hass, entry_id, outcome, by_key, locks)
    failed = {str(outcome.action.key): outcome for outcome in result.failed}
    for key, outcome in failed.items():
        lock_id = outcome.action.keypad.lock_id
        issues.raise_issue(
            CODE_FAILED,
            key.replace(":", "_"),
            placeholders={
                "booking": key,
                "lock": locks[lock_id].name if lock_id in locks else str(lock_id),
                "error": str(outcome.error),
            },
        )
    issues.clear_all_but(CODE_FAILED, {(key.replace(":", "_"),) for key in failed})
    _check_units(issues, result.account, units, sources, horizon)


def _check_units(
    issues: Issues,
    account: Account,
    units: list[Unit],
    sources: Iterable[SourceData | None],
    horizon: timedelta,
) -> None:
    keypads = {(lock.id, keypad.id) for lock in account.locks for keypad in lock.keypads}
    today = dt_util.now().date()
    waiting = {
        booking.unit
        for data in sources
        if data is not None
        for booking in data.bookings
        if booking.status is BookingStatus.CONFIRMED
        and booking.departure >= today
        and booking.arrival <= today + horizon
    }
    for unit in units:
        parts = (unit.subentry_id, unit.key.unit_id)
        placeholders = {"unit": unit.name}
        fix = {"subentry_id": unit.subentry_id, "unit_id": unit.key.unit_id}
        keypad = unit.keypad
        if keypad is not None and (keypad.lock_id, keypad.keypad_id) not in keypads:
            issues.raise_issue(KEYPAD_MISSING, *parts, placeholders=placeholders, fix=fix)
        else:
            issues.clear(KEYPAD_MISSING, *parts)
        if keypad is None and unit.key in waiting:
            issues.raise_issue(UNIT_WITHOUT_KEYPAD, *parts, placeholders=placeholders, fix=fix)
        else:
            issues.clear(UNIT_WITHOUT_KEYPAD, *parts)
