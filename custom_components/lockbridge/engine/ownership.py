"""Which keypad codes are ours: the ownership tag, code names, the old script's codes."""

from __future__ import annotations

import re
import unicodedata

from ..api.models import AccessCode
from .bookings import SMOOBU, Booking, BookingKey

TAG_PREFIX = "lockbridge"
#: Unknown cloud limit (the web app shows about 60 characters); shorter is safe.
NAME_MAX = 60

_TAG = re.compile(rf"(?<![\w:]){TAG_PREFIX}:([a-z0-9_]+):(\S+)")
#: The replaced cron script wrote `Smoobu#<booking id>` in the description.
_LEGACY_TAG = re.compile(r"(?<!\w)Smoobu#(\d+)(?!\w)", re.IGNORECASE)
#: Code name prefix of the replaced script.
LEGACY_PREFIX = "smoobu"

_ZWJ = "\u200d"
_REGIONAL_INDICATORS = "".join(map(chr, range(0x1F1E6, 0x1F200)))


def tag(key: BookingKey) -> str:
    """The description that marks a code as ours, for this booking."""
    return f"{TAG_PREFIX}:{key.source}:{key.booking_id}"


def parse_tag(description: str) -> BookingKey | None:
    """The booking a code belongs to, from our tag in its description."""
    found = _TAG.search(description)
    return BookingKey(found[1], found[2]) if found else None


def legacy_booking(description: str) -> BookingKey | None:
    """The Smoobu booking of a code made by the replaced script (`Smoobu#<id>`)."""
    found = _LEGACY_TAG.search(description)
    return BookingKey(SMOOBU, found[1]) if found else None


def _extends(char: str) -> bool:
    # Characters that belong to the previous one on screen: accents, joiners, variation
    # selectors and skin tones. Cutting before them would split what the user sees.
    point = ord(char)
    return (
        unicodedata.combining(char) != 0
        or char == _ZWJ
        or 0xFE00 <= point <= 0xFE0F
        or 0x1F3FB <= point <= 0x1F3FF
        or 0xE0020 <= point <= 0xE007F
    )


def truncate(text: str, limit: int = NAME_MAX) -> str:
    """At most `limit` characters, never splitting an accent, emoji sequence or flag."""
    if len(text) <= limit:
        return text
    cut = limit
    while cut > 0 and (_extends(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    kept = text[:cut]
    # A flag is a pair of regional indicators: never keep half of one.
    if (len(kept) - len(kept.rstrip(_REGIONAL_INDICATORS))) % 2:
        kept = kept[:-1]
    return kept.rstrip()


def code_name(prefix: str, guest: str) -> str:
    """`<prefix> <guest>`, as the replaced script named its codes, safely truncated."""
    return truncate(f"{prefix} {guest}".strip())


def is_legacy_name_match(code: AccessCode, booking: Booking) -> bool:
    """An untagged code named `smoobu <guest>` that starts on the booking's arrival.

    This is how the replaced script found its codes when the description lacked its tag.
    """
    return (
        booking.key.source == SMOOBU
        and code.start_date == booking.arrival
        and _folded(code.name) == _folded(f"{LEGACY_PREFIX} {booking.guest_name}")
    )


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
