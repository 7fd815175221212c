"""What guests are told: Smoobu placeholder writes, and message texts from templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
import hashlib
from string import Formatter

#: The fields a message template may use, as {guest}, {pin}...
TEMPLATE_FIELDS = ("guest", "unit", "pin", "window", "check_in", "check_out")
#: Longest template and message: a text message, not a document.
MAX_TEMPLATE = 4000


def fingerprint(*parts: str) -> str:
    """A short digest: what was written or sent is remembered without the PIN itself."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def window_text(start: datetime, end: datetime) -> str:
    """A code's validity as guests read it, in the lock's time: "2026-12-12 15:00 → ..."."""
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}"


@dataclass(frozen=True, slots=True)
class Written:
    """A placeholder we wrote: its id at Smoobu (when known) and what it holds (digest)."""

    placeholder_id: int | None
    digest: str


@dataclass(frozen=True, slots=True)
class PlaceholderWrite:
    """Set `key` of booking `booking_id` to `value` (update when the id is known)."""

    booking_id: int
    key: str
    value: str
    placeholder_id: int | None


@dataclass(frozen=True, slots=True)
class PlaceholderClear:
    """Remove a placeholder we wrote (its booking was cancelled)."""

    booking_id: int
    key: str
    placeholder_id: int


def placeholder_changes(
    wanted: Mapping[int, Mapping[str, str]],
    cancelled: set[int],
    written: Mapping[int, Mapping[str, Written]],
) -> list[PlaceholderWrite | PlaceholderClear]:
    """The writes that bring Smoobu's placeholders to `wanted` and clear cancelled bookings'.

    Only placeholders LockBridge wrote are ever cleared, and only on a cancellation: a
    booking that is merely missing from a listing keeps its values.
    """
    changes: list[PlaceholderWrite | PlaceholderClear] = []
    for booking_id, values in wanted.items():
        known = written.get(booking_id, {})
        for key, value in values.items():
            done = known.get(key)
            if done is None or done.digest != fingerprint(value):
                changes.append(
                    PlaceholderWrite(booking_id, key, value, done.placeholder_id if done else None)
                )
    for booking_id in sorted(cancelled & set(written)):
        for key, done in written[booking_id].items():
            if done.placeholder_id is not None:
                changes.append(PlaceholderClear(booking_id, key, done.placeholder_id))
    return changes


def choose_text(
    language: str | None,
    message: str,
    subject: str,
    translations: Mapping[str, str | Mapping[str, str]],
) -> tuple[str | None, str, str]:
    """The language used ("de-ch", then "de"), the subject and the message templates.

    A translation is the message alone (as before) or {"subject": ..., "message": ...};
    what it leaves out is taken from the untranslated subject or message.
    """
    wanted = (language or "").lower()
    chosen = next(
        (lang for lang in (wanted, wanted.partition("-")[0]) if lang in translations), None
    )
    if chosen is None:
        return None, subject, message
    found = translations[chosen]
    if isinstance(found, str):
        return chosen, subject, found
    return chosen, found.get("subject") or subject, found.get("message") or message


class TemplateError(ValueError):
    """A template that uses something else than the known fields."""


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill {guest}, {pin}... in; anything else ({0}, {pin.x}, {other}) is refused."""
    if len(template) > MAX_TEMPLATE:
        raise TemplateError("too long")
    out: list[str] = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as err:  # a lone { or }
        raise TemplateError(str(err)) from err
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if name not in values or spec or conversion:
            raise TemplateError(name)
        out.append(values[name])
    return "".join(out)
