"""Typed views of what the config entry stores: options, booking sources and their units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
import hashlib
import re
from typing import Any
import unicodedata

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.selector import SelectOptionDict

from .api import Account
from .const import (
    CONF_BUFFER_AFTER,
    CONF_BUFFER_BEFORE,
    CONF_CHECK_IN,
    CONF_CHECK_OUT,
    CONF_DOORS,
    CONF_GRACE,
    CONF_HORIZON,
    CONF_KEYPAD,
    CONF_NAME_PREFIX,
    CONF_PIN_LENGTH,
    CONF_PIN_METHOD,
    CONF_UNITS,
    CONF_USE_BOOKING_TIMES,
    DEFAULT_CHECK_IN,
    DEFAULT_CHECK_OUT,
    DEFAULTS,
)
from .engine.bookings import UnitKey
from .engine.pins import is_digits
from .engine.plan import KeypadRef, PinMethod, Settings, UnitConfig
from .engine.window import TimePolicy

#: The most doors a unit or a staff member names (a typo'd list must stay small).
MAX_DOORS = 16


def option(options: Mapping[str, Any], key: str) -> Any:
    """An option's value, or its default."""
    return options.get(key, DEFAULTS[key])


def settings_from(options: Mapping[str, Any], kinds: Iterable[str] = ()) -> Settings:
    """The engine's settings from the entry's options, for sources of these kinds."""
    prefix = str(option(options, CONF_NAME_PREFIX)).strip()
    return Settings(
        pin_length=int(option(options, CONF_PIN_LENGTH)),
        pin_method=PinMethod(option(options, CONF_PIN_METHOD)),
        prefixes=dict.fromkeys(kinds, prefix) if prefix else {},
        horizon=timedelta(days=int(option(options, CONF_HORIZON))),
        grace=timedelta(hours=int(option(options, CONF_GRACE))),
    )


def keypad_value(keypad: KeypadRef) -> str:
    """How a keypad is kept in a unit map and offered in selectors."""
    return f"{keypad.lock_id}/{keypad.keypad_id}"


def parse_keypad(value: object) -> KeypadRef | None:
    """The keypad of a unit map value; None for "not managed" or anything unreadable."""
    lock, sep, keypad = str(value or "").partition("/")
    return KeypadRef(int(lock), keypad) if sep and is_digits(lock) and keypad else None


def parse_keypads(value: object) -> tuple[KeypadRef, ...]:
    """The readable keypads of a list of keypad values, each once."""
    items = value if isinstance(value, list) else []
    return tuple(dict.fromkeys(k for item in items[:MAX_DOORS] if (k := parse_keypad(item))))


def parse_time(value: object) -> time | None:
    """A time of day as forms store it ("15:00:00"); None when absent or unreadable."""
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _time(value: object, default: str) -> time:
    return parse_time(value) or time.fromisoformat(default)


def anonymous_id(secret: str) -> str:
    """A stable id derived from a secret (a property's id) that does not reveal it.

    hr_ids are short numbers, so a plain hash could be reversed by trying them all; a
    slow key derivation makes that impractical. Blocking (~0.1 s): run it in an executor.
    """
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), b"lockbridge-hr", 200_000).hex()[:24]


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of a booking source: an apartment, a room type."""

    key: UnitKey
    name: str
    subentry_id: str
    #: Stable id of the unit across reinstalls: the source account plus the unit id.
    unique_id: str
    keypad: KeypadRef | None
    check_in: time
    check_out: time
    #: More doors than its keypad: a building door, a shared entrance.
    doors: tuple[KeypadRef, ...] = ()

    @property
    def keypads(self) -> tuple[KeypadRef, ...]:
        """Every door of the unit, its keypad first; none when it is not managed."""
        if self.keypad is None:
            return ()
        return (self.keypad, *(door for door in self.doors if door != self.keypad))

    def config(self, options: Mapping[str, Any]) -> UnitConfig | None:
        """The engine's unit config, None when the unit is not managed."""
        if self.keypad is None:
            return None
        return UnitConfig(
            self.keypad,
            TimePolicy(
                check_in=self.check_in,
                check_out=self.check_out,
                use_booking_times=bool(option(options, CONF_USE_BOOKING_TIMES)),
                buffer_before=timedelta(minutes=int(option(options, CONF_BUFFER_BEFORE))),
                buffer_after=timedelta(minutes=int(option(options, CONF_BUFFER_AFTER))),
            ),
            self.keypads[1:],
        )


def units_of(subentry: ConfigSubentry) -> list[Unit]:
    """Every unit of a source subentry's unit map, managed or not."""
    # A source subentry's type is also the kind in its bookings' keys.
    source = subentry.subentry_type
    units = []
    raw_units = subentry.data.get(CONF_UNITS) or {}
    for unit_id, raw in raw_units.items():
        item = raw if isinstance(raw, dict) else {}
        units.append(
            Unit(
                key=UnitKey(source, str(unit_id)),
                name=str(item.get("name") or unit_id),
                subentry_id=subentry.subentry_id,
                unique_id=f"{subentry.unique_id}_{unit_id}",
                keypad=parse_keypad(item.get(CONF_KEYPAD)),
                check_in=_time(item.get(CONF_CHECK_IN), DEFAULT_CHECK_IN),
                check_out=_time(item.get(CONF_CHECK_OUT), DEFAULT_CHECK_OUT),
                doors=parse_keypads(item.get(CONF_DOORS)),
            )
        )
    return units


def _words(text: str) -> str:
    """Lower case, accents and punctuation gone: "Entrée-Jardin" -> " entree jardin "."""
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    return " " + " ".join(re.findall(r"\w+", plain.casefold())) + " "


def keypad_options(account: Account) -> list[SelectOptionDict]:
    """Every keypad of the account, as a unit's keypad field lists them."""
    return [
        SelectOptionDict(
            value=keypad_value(KeypadRef(lock.id, keypad.id)), label=f"{lock.name} - {keypad.name}"
        )
        for lock in account.locks
        for keypad in lock.keypads
    ]


def keypad_named_after(unit: str, keypads: list[SelectOptionDict]) -> str | None:
    """The one keypad whose lock or keypad name holds the unit's name, if exactly one does."""
    wanted = _words(unit)
    if not wanted.strip():
        return None
    found = [str(option["value"]) for option in keypads if wanted in _words(option["label"])]
    return found[0] if len(found) == 1 else None
