"""Ownership tags, code names and the replaced script's codes."""

from __future__ import annotations

from datetime import date
import unicodedata

from hypothesis import given, strategies as st
import pytest

from custom_components.lockbridge.api.models import AccessCode
from custom_components.lockbridge.engine.bookings import BookingKey
from custom_components.lockbridge.engine.ownership import (
    NAME_MAX,
    code_name,
    is_legacy_name_match,
    legacy_booking,
    parse_ownership,
    parse_tag,
    tag,
    truncate,
)
from custom_components.lockbridge.sources.hotelrunner_records import KIND as HOTELRUNNER
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU
from tests.engine.harness import booking


@pytest.mark.parametrize(
    "key", [BookingKey(SMOOBU, "58123401"), BookingKey(HOTELRUNNER, "R1234/HR:1#2")]
)
def test_tag_round_trip(key: BookingKey) -> None:
    assert parse_tag(tag(key)) == key
    assert parse_tag(f"note from the host\n{tag(key)}") == key


@pytest.mark.parametrize(
    "description", ["", "booking#100", "Smoobu#12", "xlockbridge:smoobu:1", "lockbridge:Smoobu:1"]
)
def test_other_descriptions_are_not_ours(description: str) -> None:
    assert parse_tag(description) is None


@pytest.mark.parametrize(
    ("description", "found"),
    [
        ("Smoobu#58123401", "58123401"),
        (" Smoobu#58123401\n", "58123401"),
        # Only the exact old form: a mention in the host's own words is not the script's tag.
        ("smoobu#7 moved", None),
        ("call Smoobu#123 guest", None),
        ("Smoobu#123 guest", None),
        ("see Smoobu#123", None),
        ("smoobu#123", None),
        ("Smoobu#12 3", None),
        ("Smoobu#\u0661\u0662", None),  # Arabic-Indic digits
        ("Smoobu#x", None),
        ("ASmoobu#7", None),
    ],
)
def test_old_script_tag(description: str, found: str | None) -> None:
    assert legacy_booking(description) == (BookingKey(SMOOBU, found) if found else None)


def code(name: str, start: date) -> AccessCode:
    return AccessCode(
        id=1, lock_id=1, keypad_id="K", name=name, pin="5173", start_date=start, end_date=None
    )


def test_old_script_name_match_needs_the_prefix_and_the_start_date() -> None:
    stay = booking(1, 101, date(2026, 6, 12), date(2026, 6, 15), "Maria Keller")

    assert is_legacy_name_match(code("smoobu Maria Keller", date(2026, 6, 12)), stay)
    assert is_legacy_name_match(code("SMOOBU  maria keller ", date(2026, 6, 12)), stay)
    assert not is_legacy_name_match(code("Maria Keller", date(2026, 6, 12)), stay)
    assert not is_legacy_name_match(code("smoobu Maria Keller", date(2026, 6, 11)), stay)
    hotel = booking(
        1, "HR:1", date(2026, 6, 12), date(2026, 6, 15), "Maria Keller", source=HOTELRUNNER
    )
    assert not is_legacy_name_match(code("smoobu Maria Keller", date(2026, 6, 12)), hotel)


def test_code_name_like_the_old_script() -> None:
    assert code_name("smoobu", "John Doe") == "smoobu John Doe"
    assert code_name("", "John Doe") == "John Doe"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("abcdefghij", 5, "abcde"),
        ("ab  cd", 4, "ab"),
        ("Rene\u0301e", 4, "Ren"),  # never drop the accent from its letter
        ("ok 👍🏽!", 4, "ok"),  # nor the skin tone from its emoji
        ("hi 👨\u200d👩\u200d👧", 6, "hi"),  # nor split a family
        ("go 🇫🇷🇩🇪", 5, "go 🇫🇷"),
        ("go 🇫🇷🇩🇪", 6, "go 🇫🇷"),  # nor keep half a flag
    ],
)
def test_truncation_is_safe(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected


@given(st.text(min_size=0, max_size=200))
def test_names_are_bounded_and_a_prefix_of_the_full_name(guest: str) -> None:
    name = code_name("smoobu", guest)
    full = f"smoobu {guest}".strip()

    assert len(name) <= NAME_MAX
    assert full.startswith(name)
    if name and len(full) > len(name):
        assert unicodedata.combining(full[len(name)]) == 0


#: Words of a host's note around a tag: at least one letter, so never part of an id.
WORDS = st.text(min_size=1, max_size=30).filter(lambda text: any(c.isalpha() for c in text))


@given(WORDS, st.integers(1, 10**9), WORDS)
def test_a_tag_mentioned_in_a_note_is_not_one(before: str, booking_id: int, after: str) -> None:
    """The old script's `Smoobu#<id>` and the first `lockbridge:<source>:<id>` tags count
    only as the whole description, as they were written; a note mentioning one is foreign."""
    for found in (f"Smoobu#{booking_id}", f"lockbridge:smoobu:{booking_id}"):
        for note in (f"{before} {found}", f"{found} {after}", f"{before} {found} {after}"):
            assert legacy_booking(note) is None
            assert parse_ownership(note) is None
    assert legacy_booking(f"Smoobu#{booking_id}") == BookingKey(SMOOBU, str(booking_id))
    first = parse_ownership(f"lockbridge:smoobu:{booking_id}")
    assert first is not None
    assert (first.key, first.owner) == (BookingKey(SMOOBU, str(booking_id)), None)
