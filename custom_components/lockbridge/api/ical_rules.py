"""What an iCal event is: a reservation, a block, or noise, by each platform's shapes.

The shapes (ical.md): Airbnb `Reserved` with a reservation code in the description (and
sometimes the phone's last four digits), `Airbnb (Not available)` for blocks, including
rolling lead-time windows that move every day; Booking.com `CLOSED - Not available` for
blocks and `CLOSED - <name>` for some reservations; Vrbo `Reserved - <name>`. None of these
is documented by the platforms: a host may override them with patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re

from .ical import IcalEvent

#: A pattern typed by a host, bounded (and matched only against a bounded summary).
MAX_PATTERN = 200
MAX_NAME = 80


class Platform(StrEnum):
    """Where a feed comes from: it sets how its events are read."""

    AIRBNB = "airbnb"
    BOOKING = "booking"
    VRBO = "vrbo"
    OTHER = "other"

    @property
    def label(self) -> str:
        """How a guest without a name is shown ("Airbnb HMABCD1234")."""
        return _LABELS[self]


_LABELS = {
    Platform.AIRBNB: "Airbnb",
    Platform.BOOKING: "Booking.com",
    Platform.VRBO: "Vrbo",
    Platform.OTHER: "iCal",
}


class EventKind(StrEnum):
    """What an event means for the door."""

    RESERVATION = "reservation"
    #: A reservation the feed itself marks cancelled (STATUS:CANCELLED): evidence.
    CANCELLED = "cancelled"
    #: The host's or another platform's closed days: no guest, no code.
    BLOCK = "block"
    #: Neither: a shape the platform's rules do not know (counted, never a code).
    NOISE = "noise"


@dataclass(frozen=True, slots=True)
class Rules:
    """How a feed's events are told apart. Blocks are checked first."""

    platform: Platform
    reservation: re.Pattern[str]
    block: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Reading:
    """An event as read by its feed's rules."""

    kind: EventKind
    #: The guest's name, when the feed gives one.
    name: str = ""
    #: The platform's reservation code (Airbnb's HM...), when given.
    code: str = ""
    #: The digits the feed gives of the guest's phone (Airbnb: the last four).
    phone: str = ""


_I = re.IGNORECASE
#: Built-in shapes per platform. The `name` group, when it matched, is the guest's name.
_DEFAULTS: dict[Platform, tuple[str, str]] = {
    # (reservation, block)
    Platform.AIRBNB: (
        r"^\s*reserved\b",
        r"not available|unavailable|blocked",
    ),
    Platform.BOOKING: (
        r"^\s*closed\s*[-\u2013:]\s*(?P<name>.+?)\s*$|^\s*(?:reserved|booked)\b",
        r"^\s*closed\s*[-\u2013:]\s*not available\s*$|^\s*(?:closed|not available)\s*$",
    ),
    Platform.VRBO: (
        r"^\s*reserved(?:\s*[-\u2013:]\s*(?P<name>.+?))?\s*$",
        r"blocked|not available|unavailable",
    ),
    # A PMS: every event is a stay named by its summary, unless it says it is closed.
    Platform.OTHER: (
        r"^\s*(?:(?:reserved|booked|reservation|booking)\s*(?:[-\u2013:]\s*|$))?(?P<name>.*?)\s*$",
        r"\b(?:not available|unavailable|blocked|closed|owner block|maintenance)\b",
    ),
}
#: Airbnb's reservation code, in the description's reservation URL (e.g. HMABCD1234).
_AIRBNB_CODE = re.compile(r"/reservations/details/([A-Z0-9]{6,12})\b|\b(HM[A-Z0-9]{8})\b")
# Within one line: an empty "Name:" must not take the next line (a phone, an e-mail).
_PHONE = re.compile(r"phone[^:\n]{0,40}:[ \t]*\+?([0-9][0-9 ()./-]{2,24})", _I)
_NAME_IN_DESCRIPTION = re.compile(
    r"^[ \t]*(?:guest|name|guest name)[ \t]*:[ \t]*(\S.*)$", _I | re.MULTILINE
)
#: What a guest's name never holds: an e-mail address, a phone number.
_NOT_A_NAME = re.compile(r"@|\d{5}")


class PatternError(ValueError):
    """A host's pattern does not compile, or is too long."""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A host's pattern, checked: case-insensitive, bounded."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError("too long")
    try:
        return re.compile(pattern, _I)
    except re.error as err:
        raise PatternError(str(err)) from None


def rules_for(platform: Platform, reservation: str = "", block: str = "") -> Rules:
    """A platform's rules, with a host's patterns in place of the built-in ones."""
    default_reservation, default_block = _DEFAULTS[platform]
    return Rules(
        platform,
        compile_pattern(reservation) if reservation else re.compile(default_reservation, _I),
        compile_pattern(block) if block else re.compile(default_block, _I),
    )


def read_event(event: IcalEvent, rules: Rules) -> Reading:
    """What the event is, and the guest's name, code and phone digits it carries."""
    summary, description = event.summary, event.description
    code = _airbnb_code(description) if rules.platform is Platform.AIRBNB else ""
    if rules.block.search(summary):
        return Reading(EventKind.BLOCK)
    found = rules.reservation.search(summary)
    if found is None and not (code and not summary):
        # An Airbnb event without a summary still is a reservation when it has a code.
        return Reading(EventKind.NOISE)
    name = ""
    if found is not None and "name" in rules.reservation.groupindex:
        name = found.group("name") or ""
    if not name and (in_description := _NAME_IN_DESCRIPTION.search(description)):
        name = in_description[1]
    # RFC 5545 spells it CANCELLED; some exporters write the American CANCELED.
    kind = EventKind.CANCELLED if event.status in _CANCELLED else EventKind.RESERVATION
    return Reading(kind, _name(name), code, _phone(description))


def _airbnb_code(description: str) -> str:
    found = _AIRBNB_CODE.search(description)
    return (found[1] or found[2]) if found else ""


_CANCELLED = frozenset({"CANCELLED", "CANCELED"})


def _name(text: str) -> str:
    text = " ".join(text.split())
    return "" if _NOT_A_NAME.search(text) else text[:MAX_NAME]


def _phone(description: str) -> str:
    found = _PHONE.search(description)
    digits = "".join(char for char in found[1] if char.isdigit()) if found else ""
    return digits[-15:] if len(digits) >= 4 else ""
