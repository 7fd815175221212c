"""PIN policy."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.lockbridge.engine.pins import (
    PinSpaceExhaustedError,
    acceptable,
    is_weak,
    phone_pin,
    random_pin,
)


@pytest.mark.parametrize(
    "pin",
    [
        "0000",
        "7777",
        "1234",
        "4321",
        "7890",
        "9012",
        "3210",
        "1212",
        "4545",
        "123123",
        "2580",
        "1004",
        "45678",
        "98765432",
        "12341234",
    ],
)
def test_weak_pins(pin: str) -> None:
    assert is_weak(pin)


@pytest.mark.parametrize("pin", ["4821", "9153", "7391", "583920", "1123", "13579", "40271869"])
def test_ordinary_pins(pin: str) -> None:
    assert not is_weak(pin)


@given(length=st.integers(4, 8), taken=st.sets(st.text("0123456789", min_size=4, max_size=8)))
def test_random_pins_are_always_acceptable(length: int, taken: set[str]) -> None:
    pin = random_pin(length, taken)

    assert acceptable(pin, length, taken)
    assert len(pin) == length


def test_random_pin_skips_weak_and_taken_draws() -> None:
    draws = iter([1234, 4821, 0, 9153])

    assert random_pin(4, {"4821"}, randbelow=lambda _: next(draws)) == "9153"


def test_leading_zeros_are_kept() -> None:
    assert random_pin(4, randbelow=lambda _: 472) == "0472"


def test_full_keypad_raises() -> None:
    with pytest.raises(PinSpaceExhaustedError):
        random_pin(4, {"4821"}, randbelow=lambda _: 4821)


@pytest.mark.parametrize("length", [3, 9])
def test_lengths_outside_4_to_8_are_refused(length: int) -> None:
    with pytest.raises(ValueError, match="4 to 8"):
        random_pin(length)
    with pytest.raises(ValueError, match="4 to 8"):
        phone_pin("+33 6 12 34 58 21", length)


@pytest.mark.parametrize(
    ("phone", "taken", "expected"),
    [
        ("+33 6 12 34 58 21", set(), "5821"),
        ("+33 6 12 34 58 21", {"5821"}, None),  # taken on the keypad: fall back to random
        ("+49 151 2345678", set(), None),  # ends in a run: weak
        ("12345", set(), None),  # too short to be a real phone number
        (None, set(), None),
        ("", set(), None),
    ],
)
def test_phone_pin(phone: str | None, taken: set[str], expected: str | None) -> None:
    assert phone_pin(phone, 4, taken) == expected
