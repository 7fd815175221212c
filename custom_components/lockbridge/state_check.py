"""The saved state store read defensively: each unreadable value is dropped alone, and said.

The file is ours, but it may be hand-edited, half-written by an old version or damaged on
disk. One bad value must not cost the part it is in (the other overrides, the other messages
remembered), nor raise a `TypeError` later when the value is used. Log lines name the part
and how many values went, never a value: they may hold booking ids and guests' names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
import logging
from typing import Any

from .engine.bookings import from_dict
from .engine.window import in_range

LOGGER = logging.getLogger(__name__)
#: Bounds of a saved value: the file is ours, but may be damaged or edited by hand.
MAX_TEXT = 4096
MAX_ITEMS = 100_000  # a source's bookings, as many as a Smoobu listing may give

#: A check gives the readable part of a value, or None when nothing of it is readable.
type Check = Callable[[Any], Any]


class _Dropped:
    """Counts what a part loses."""

    def __init__(self) -> None:
        self.count = 0

    def keep[T](self, value: T | None) -> T | None:
        if value is None:
            self.count += 1
        return value


def _is_moment(value: Any) -> bool:
    """An aware ISO date-time in the range the engine handles (as storage.py reads them)."""
    if value is None:
        return True
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return False
    return moment is not None and moment.tzinfo is not None and in_range(moment.date())


def _is_key(text: str) -> bool:
    """A booking key as the store writes it: `<source>:<booking id>`."""
    source, _, booking_id = text.partition(":")
    return bool(source and booking_id)


def _mapping(value: Any, item: Check, dropped: _Dropped, *, keys: Check = bool) -> Any:
    """A dict keeping the items whose key and value are readable."""
    if not isinstance(value, dict):
        return None
    kept = {}
    for key, raw in value.items():
        found = dropped.keep(item(raw) if isinstance(key, str) and keys(key) else None)
        if found is not None:
            kept[key] = found
    return kept


def _override(value: Any) -> Any:
    if not isinstance(value, dict) or not all(
        _is_moment(value.get(field)) for field in ("check_in", "check_out")
    ):
        return None
    return {field: value.get(field) for field in ("check_in", "check_out")}


def _optional(value: Any, kind: type | tuple[type, ...]) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def _booking(value: Any) -> Any:
    """A cached booking, when `from_dict` reads it and its loose fields have their types."""
    booking = from_dict(value)
    if booking is None or not (
        all(_optional(value.get(name), str) for name in ("phone", "email", "language"))
        and all(len(text) <= MAX_TEXT for text in value.values() if isinstance(text, str))
        and all(_optional(value.get(name), int) for name in ("adults", "children"))
        and (booking.modified is None or booking.modified.tzinfo is not None)
    ):
        return None
    return value


def _session(value: Any) -> bool:
    """The Keys token kept: a bounded token, its login's digest, an expiry (or nothing)."""
    if value == {}:
        return True
    token, login = value.get("token"), value.get("login")
    return (
        isinstance(token, str)
        and 0 < len(token) <= MAX_TEXT
        and isinstance(login, str)
        and len(login) <= 64
        and _is_moment(value.get("expires_at"))
    )


def _written(value: Any) -> Any:
    """A placeholder written: [placeholder id or None, digest]."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and _optional(value[0], int)
        and isinstance(value[1], str)
    ):
        return value
    return None


def _is_booking_id(text: str) -> bool:
    return text.isascii() and text.isdecimal()


def _checks(dropped: _Dropped) -> dict[str, Check]:
    def in_list(value: Any, item: Check) -> Any:
        if not isinstance(value, list):
            return None
        dropped.count += max(len(value) - MAX_ITEMS, 0)
        return [
            found for raw in value[:MAX_ITEMS] if (found := dropped.keep(item(raw))) is not None
        ]

    def per_source(item: Check) -> Check:
        return lambda value: _mapping(value, item, dropped)

    return {
        "overrides": lambda part: _mapping(part, _override, dropped, keys=_is_key),
        "budgets": per_source(lambda value: value if isinstance(value, dict) else None),
        "bookings": per_source(lambda value: in_list(value, _booking)),
        "released": lambda part: _mapping(
            part,
            lambda value: value if value and _is_moment(value) else None,
            dropped,
            keys=_is_key,
        ),
        "placeholders": per_source(
            lambda value: _mapping(
                value,
                lambda keys: _mapping(keys, _written, dropped),
                dropped,
                keys=_is_booking_id,
            )
        ),
        "session": lambda part: part if _session(part) else None,
        "messages": lambda part: _mapping(
            part,
            lambda value: in_list(value, lambda item: item if isinstance(item, str) else None),
            dropped,
            keys=_is_key,
        ),
    }


def checked_parts(saved: Any, parts: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The readable parts of a saved state (each part's bad values dropped and counted).

    A part without a check here (added later) is taken when it is a dict, as before.
    """
    if saved is None:
        return {}
    if not isinstance(saved, dict):
        LOGGER.warning("The saved LockBridge state was unreadable; starting from an empty one")
        return {}
    found: dict[str, dict[str, Any]] = {}
    for part in parts:
        if (raw := saved.get(part)) is None:
            continue
        dropped = _Dropped()
        check = _checks(dropped).get(part, lambda value: value)
        value = check(raw) if isinstance(raw, dict) else None
        if value is None:
            LOGGER.warning("The saved LockBridge state's %s were unreadable and are dropped", part)
            continue
        if dropped.count:
            LOGGER.warning(
                "%d unreadable value(s) dropped from the saved LockBridge state's %s",
                dropped.count,
                part,
            )
        found[part] = value
    return found
