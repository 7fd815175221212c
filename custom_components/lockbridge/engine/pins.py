"""PIN policy: random from `secrets`, never weak, unique on its keypad."""

from __future__ import annotations

from collections.abc import Callable, Collection
from itertools import pairwise
import secrets

MIN_LENGTH = 4
MAX_LENGTH = 8
#: Tries before giving up on a keypad that is nearly full of codes.
MAX_TRIES = 1000
#: What a keypad types; str.isdigit() also takes "٤٨٢٦" and full-width digits.
DIGITS = "0123456789"

# Most-used PINs in published leak studies, plus keypad patterns (columns, corners).
_COMMON = frozenset(
    """
    1004 1010 1122 1212 1313 1984 2000 2001 2468 2580 1357 1379 1397 1470 3690 4321 5683 6969
    7410 7913 8520 9630 0852 1998 1999 2020 2021 2022 2023 2024 2025 2026 2027 112233 121212
    123123 654321 696969 159753 147258 258456 0000000 8675309 12341234 11223344
    """.split()  # noqa: SIM905  # one readable block rather than one PIN per line
)


class PinSpaceExhaustedError(Exception):
    """No acceptable PIN is left on this keypad at this length."""


def is_weak(pin: str) -> bool:
    """True for PINs a guesser would try first.

    Refused: one repeated digit, runs up or down (wrapping 9-0), a repeated pair or
    triple (1212, 123123), and a list of the most common PINs and keypad patterns.
    """
    if len(set(pin)) == 1 or pin in _COMMON:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    if steps in ({1}, {9}):
        return True
    return any(
        len(pin) % period == 0 and pin == pin[:period] * (len(pin) // period) for period in (2, 3)
    )


def check_length(length: int) -> None:
    """Raise ValueError for a length the keypads are not known to accept."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"PIN length must be {MIN_LENGTH} to {MAX_LENGTH} digits")


def is_digits(pin: str) -> bool:
    """Only the digits a keypad has."""
    return bool(pin) and all(ch in DIGITS for ch in pin)


def acceptable(pin: str, length: int, taken: Collection[str]) -> bool:
    """A PIN of the right length and digits only, not weak, not used on the keypad."""
    return len(pin) == length and is_digits(pin) and not is_weak(pin) and pin not in taken


def random_pin(
    length: int,
    taken: Collection[str] = (),
    *,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> str:
    """A random acceptable PIN (`randbelow` is injectable for deterministic tests)."""
    check_length(length)
    for _ in range(MAX_TRIES):
        pin = str(randbelow(10**length)).zfill(length)
        if acceptable(pin, length, taken):
            return pin
    raise PinSpaceExhaustedError(f"no free {length}-digit PIN found")


def phone_pin(phone: str | None, length: int, taken: Collection[str] = ()) -> str | None:
    """The last `length` digits of the guest's phone, or None when unusable."""
    check_length(length)
    digits = "".join(ch for ch in phone or "" if ch in DIGITS)
    pin = digits[-length:]
    return pin if len(digits) >= length + 4 and acceptable(pin, length, taken) else None
