"""Which keypad codes are ours: the ownership tag, code names, the old script's codes.

A code's description carries `lockbridge:<owner>:<source>[.<source id>]:<booking id>`: the
owner names this Home Assistant installation and The Keys account, the source id the booking
source instance. Codes with another owner are foreign. The first tags,
`lockbridge:<source>:<booking id>`, named neither: a code with one is taken as ours only for a
booking our sources know, and is re-tagged.

The replaced cron script tagged its codes `<Kind>#<booking id>` (the source's kind,
capitalised) and named them `<kind> <guest>`. Which sources it served is the source's own
fact (`SourceSnapshot.legacy`): these helpers only parse, the planner decides.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import re
import unicodedata

from ..api.models import AccessCode
from .bookings import Booking, BookingKey

TAG_PREFIX = "lockbridge"
#: Unknown cloud limit (the web app shows about 60 characters); shorter is safe.
NAME_MAX = 60
#: The source of codes made by hand (the create_code action): the sync never touches them.
MANUAL = "manual"
#: Owner ids and source ids: hex digits of a hash, short enough for the description.
SHORT_ID_LENGTH = 8
#: The owner of codes planned without one (tests, and the bench's single installation).
NO_OWNER = "0" * SHORT_ID_LENGTH

_TAG = re.compile(
    rf"(?<![\w:]){TAG_PREFIX}:([0-9a-f]{{{SHORT_ID_LENGTH}}}):([a-z0-9_]+)(?:\.([a-z0-9_]+))?:(\S+)"
)
#: The first tags, and the replaced cron script's `<Kind>#<booking id>`, are taken only in
#: the exact form they were written, the whole description: a host's note that merely
#: mentions one ("call Kind#123 guest") is the host's code, never adopted or deleted.
_OLD_TAG = re.compile(rf"{TAG_PREFIX}:([a-z0-9_]+):(\S+)")
_LEGACY_TAG = re.compile(r"([A-Z][a-z]+)#([0-9]+)")

_ZWJ = "\u200d"
_REGIONAL_INDICATORS = "".join(map(chr, range(0x1F1E6, 0x1F200)))


@dataclass(frozen=True, slots=True)
class Ownership:
    """What a LockBridge tag says about a code."""

    key: BookingKey
    #: The installation and account that made it; None in the first tags, which said not.
    owner: str | None
    #: The booking source instance; None when the tag names only the source's kind.
    source_id: str | None


def short_id(*parts: str) -> str:
    """A stable, short, non-reversible id for an installation, account or source."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:SHORT_ID_LENGTH]


def tag(key: BookingKey, owner: str = NO_OWNER, source_id: str | None = None) -> str:
    """The description that marks a code as ours, for this booking of this source."""
    source = f"{key.source}.{source_id}" if source_id and source_id != key.source else key.source
    return f"{TAG_PREFIX}:{owner}:{source}:{key.booking_id}"


def parse_ownership(description: str) -> Ownership | None:
    """The LockBridge tag in a description, whoever made the code."""
    if found := _TAG.search(description):
        return Ownership(BookingKey(found[2], found[4]), found[1], found[3])
    if found := _OLD_TAG.fullmatch(description.strip()):
        return Ownership(BookingKey(found[1], found[2]), None, None)
    return None


def parse_tag(description: str) -> BookingKey | None:
    """The booking named by a LockBridge tag in a description, whoever made the code."""
    found = parse_ownership(description)
    return found.key if found else None


def owned_key(description: str, owner: str) -> BookingKey | None:
    """The booking of a code this installation made (or of a first tag, which named none)."""
    found = parse_ownership(description)
    return found.key if found and found.owner in (owner, None) else None


def legacy_booking(description: str) -> BookingKey | None:
    """The booking a code made by the replaced script names (`<Kind>#<id>`), of any kind.

    Whether that kind's source had the script at all is the caller's question
    (`SourceSnapshot.legacy`): a `Room#12` note on a kind without it is the host's own.
    """
    found = _LEGACY_TAG.fullmatch(description.strip())
    return BookingKey(found[1].lower(), found[2]) if found else None


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
    """An untagged code named `<kind> <guest>` that starts on the booking's arrival.

    This is how the replaced script found its codes when the description lacked its tag
    (only for a source it served: the caller checks `SourceSnapshot.legacy`).
    """
    return code.start_date == booking.arrival and _folded(code.name) == _folded(
        f"{booking.key.source} {booking.guest_name}"
    )


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
