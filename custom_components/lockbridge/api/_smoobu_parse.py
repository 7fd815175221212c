"""Smoobu answers into models: bookings, custom placeholders, messages.

Shapes follow smoobu-api.md and push-and-messaging.md; where they are uncertain (U), every
known form is read.
"""

from __future__ import annotations

from typing import Any

from ._parse import (
    as_bool,
    as_dict,
    as_int,
    as_opt_str,
    as_str,
    parse_date,
    parse_datetime,
    parse_time,
)
from .models import SmoobuMessage, SmoobuPlaceholder, SmoobuReservation

#: Custom placeholder targets (push-and-messaging.md).
PLACEHOLDER_BOOKING = 1
PLACEHOLDER_APARTMENT = 2
#: Longest placeholder value kept, and longest key read: templates hold PINs and short texts;
#: anything longer is not ours, and must not grow without bound in memory or in the UI.
MAX_PLACEHOLDER_VALUE = 2000
MAX_PLACEHOLDER_KEY = 100
#: Longest message subject/body kept when reading a thread.
MAX_MESSAGE_TEXT = 20_000


def parse_reservation(raw: Any) -> SmoobuReservation | None:
    """A booking record, or None without an id. Other fields are judged by the engine."""
    item = as_dict(raw)
    booking_id = as_int(item.get("id"))
    if booking_id is None:
        return None
    apartment = as_dict(item.get("apartment"))
    channel = as_dict(item.get("channel"))
    return SmoobuReservation(
        id=booking_id,
        type=as_str(item.get("type")) or "reservation",
        apartment_id=as_int(apartment.get("id")),
        apartment_name=as_str(apartment.get("name")),
        arrival=parse_date(item.get("arrival")),
        departure=parse_date(item.get("departure")),
        check_in=parse_time(item.get("check-in")),
        check_out=parse_time(item.get("check-out")),
        guest_name=as_str(item.get("guest-name")),
        firstname=as_str(item.get("firstname")),
        lastname=as_str(item.get("lastname")),
        email=as_opt_str(item.get("email")),
        phone=as_opt_str(item.get("phone")),
        language=as_opt_str(item.get("language")),
        adults=as_int(item.get("adults")),
        children=as_int(item.get("children")),
        channel_id=as_int(channel.get("id")),
        channel_name=as_str(channel.get("name")),
        reference_id=as_opt_str(item.get("reference-id")),
        created_at=parse_datetime(item.get("created-at")),
        # camelCase in most clients; some read the kebab-case form as a fallback.
        modified_at=parse_datetime(item.get("modifiedAt", item.get("modified-at"))),
        is_blocked=as_bool(item.get("is-blocked-booking")),
    )


def placeholder_key(value: Any) -> str | None:
    """A placeholder's key, or None when empty or too long to be one.

    Brackets, as templates write them, are dropped in case the cloud lists keys that way (U).
    """
    key = as_str(value)
    if key.startswith("[") and key.endswith("]"):
        key = key[1:-1].strip()
    return key if 0 < len(key) <= MAX_PLACEHOLDER_KEY else None


def _placeholder_type(value: Any) -> int:
    """1 booking, 2 apartment; one client reads names instead of numbers (§9). 0: unknown."""
    named = {"booking": PLACEHOLDER_BOOKING, "apartment": PLACEHOLDER_APARTMENT}
    if isinstance(value, str) and value.strip().lower() in named:
        return named[value.strip().lower()]
    number = as_int(value)
    return number if number is not None and number >= 0 else 0


def parse_placeholder(raw: Any) -> SmoobuPlaceholder | None:
    """A custom placeholder record, or None without an id or a key."""
    item = as_dict(raw)
    placeholder_id = as_int(item.get("id"))
    key = placeholder_key(item.get("key"))
    if placeholder_id is None or key is None:
        return None
    return SmoobuPlaceholder(
        id=placeholder_id,
        key=key,
        value=as_str(item.get("defaultValue", item.get("value")))[:MAX_PLACEHOLDER_VALUE],
        type=_placeholder_type(item.get("type")),
        foreign_id=as_int(item.get("foreignId")),
    )


def created_id(body: Any) -> int | None:
    """The new id in a create's answer: at the top or wrapped in an object (shape U)."""
    item = as_dict(body)
    for candidate in (item, as_dict(item.get("customPlaceholder")), as_dict(item.get("data"))):
        if (created := as_int(candidate.get("id"))) is not None:
            return created
    return None


def parse_message(item: dict[str, Any]) -> SmoobuMessage:
    """A message of a thread; the body's key name is unverified (smoobu-api.md §8)."""
    text = next(
        (
            value
            for name in ("message", "messageBody", "htmlMessage")
            if (value := as_str(item.get(name)))
        ),
        "",
    )
    return SmoobuMessage(
        id=as_int(item.get("id")),
        subject=as_str(item.get("subject"))[:MAX_MESSAGE_TEXT],
        body=text[:MAX_MESSAGE_TEXT],
        type=as_int(item.get("type")),
        created_at=parse_datetime(item.get("createdAt", item.get("created-at"))),
    )
