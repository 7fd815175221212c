"""Async client for the Smoobu REST API: account, apartments, bookings, placeholders, messages.

Requests are signed and sent by ``_smoobu_http`` (HMAC when a secret is configured, else the
legacy `Api-Key` header); answers are read by ``_smoobu_parse``. Writes are sent once and
never retried here: a message to a guest cannot be unsent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
import logging
import sys
import time

import aiohttp

from ._http import check_page_count
from ._parse import as_dict, as_int, as_str, is_later
from ._smoobu_http import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, SmoobuSession, canonical_query, sign
from ._smoobu_parse import (
    MAX_PLACEHOLDER_VALUE,
    PLACEHOLDER_BOOKING,
    created_id,
    parse_message,
    parse_placeholder,
    parse_reservation,
    placeholder_key,
)
from .errors import (
    InvalidResponseError,
    ListingIncompleteError,
    PlaceholderExistsError,
    RequestRejectedError,
)
from .models import SmoobuApartment, SmoobuMessage, SmoobuPlaceholder, SmoobuReservation, SmoobuUser

# Imported from here by the integration and the tests.
__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "SmoobuClient", "canonical_query", "sign"]

_LOGGER = logging.getLogger(__name__)

PAGE_SIZE = 100  # the documented maximum
#: Pages read at once (Smoobu allows about 1,000 requests a minute; reference §11).
PAGES_IN_FLIGHT = 8
#: Bounds on one listing, safety nets only (a big home must never lose its codes for its
#: size): pages (100,000 bookings), bookings held (pages longer than asked), and seconds
#: (Smoobu's ~1,000 requests a minute read 1,000 pages in about a minute). A listing cut
#: short raises ListingIncompleteError with what was read; it never looks complete.
DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_BOOKINGS = 100_000
DEFAULT_READ_DEADLINE = 180.0


class SmoobuClient(SmoobuSession):
    """One Smoobu API key (and optional secret)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        max_pages: int | None = None,
        max_bookings: int | None = None,
        read_deadline: float | None = None,
        clock: Callable[[], float] = lambda: time.time(),  # looked up per call (freezegun)
    ) -> None:
        super().__init__(
            session, api_key, api_secret, base_url=base_url, timeout=timeout, clock=clock
        )
        # The bounds' defaults are looked up here, not at import, so that a test can lower them.
        self._max_pages = max_pages or DEFAULT_MAX_PAGES
        self._max_bookings = max_bookings or DEFAULT_MAX_BOOKINGS
        self._read_deadline = read_deadline or DEFAULT_READ_DEADLINE

    async def get_me(self) -> SmoobuUser:
        """The account behind the key (a cheap credentials check)."""
        body = as_dict(await self._get("/api/me", {}, "Smoobu account"))
        user_id = as_int(body.get("id"))
        if user_id is None:
            raise InvalidResponseError("Smoobu account: the answer has no user id")
        name = " ".join(
            part for part in (as_str(body.get("firstName")), as_str(body.get("lastName"))) if part
        )
        return SmoobuUser(user_id, name)

    async def get_apartments(self) -> tuple[SmoobuApartment, ...]:
        """Every apartment of the account."""
        body = await self._get("/api/apartments", {}, "Smoobu apartments")
        items = as_dict(body).get("apartments")
        if not isinstance(items, list):
            raise InvalidResponseError("Smoobu apartments: unexpected answer shape")
        apartments = []
        for raw in items:
            item = as_dict(raw)
            if (apartment_id := as_int(item.get("id"))) is not None:
                apartments.append(
                    SmoobuApartment(apartment_id, as_str(item.get("name")) or str(apartment_id))
                )
        return tuple(apartments)

    async def get_reservation(self, booking_id: int) -> SmoobuReservation:
        """One booking by id."""
        what = f"Smoobu booking {booking_id}"
        reservation = parse_reservation(
            await self._get(f"/api/reservations/{booking_id}", {}, what)
        )
        if reservation is None:
            raise InvalidResponseError(f"{what}: unreadable booking")
        return reservation

    async def get_reservations(
        self,
        *,
        arrival_from: date | None = None,
        arrival_to: date | None = None,
        departure_from: date | None = None,
        departure_to: date | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        created_from: date | None = None,
        created_to: date | None = None,
        modified_from: date | None = None,
        modified_to: date | None = None,
        apartment_id: int | None = None,
        include_related: bool | None = None,
        show_cancellation: bool = True,
        exclude_blocked: bool = False,
    ) -> tuple[SmoobuReservation, ...]:
        """All bookings matching the filters, every page read, one entry per booking id.

        Cancellations are listed by default so that their codes can be removed. Should a
        bound (pages, bookings held, time) stop the reading, ListingIncompleteError carries
        the bookings read.
        """
        params: dict[str, str] = {}
        for key, day in (
            ("arrivalFrom", arrival_from),
            ("arrivalTo", arrival_to),
            ("departureFrom", departure_from),
            ("departureTo", departure_to),
            ("from", from_date),
            ("to", to_date),
            ("created_from", created_from),  # snake_case, unlike the others
            ("created_to", created_to),
            ("modifiedFrom", modified_from),
            ("modifiedTo", modified_to),
        ):
            if day is not None:
                params[key] = day.isoformat()
        if apartment_id is not None:
            params["apartmentId"] = str(apartment_id)
        if include_related is not None:
            params["includeRelated"] = _flag(include_related)
        params["showCancellation"] = _flag(show_cancellation)
        params["excludeBlocked"] = _flag(exclude_blocked)
        params["pageSize"] = str(PAGE_SIZE)

        what = "Smoobu reservations"
        found: dict[int, SmoobuReservation] = {}
        skipped = 0
        gate = asyncio.Semaphore(PAGES_IN_FLIGHT)
        deadline = time.monotonic() + self._read_deadline
        cut: str | None = None  # why the reading stopped early

        async def read(page: int) -> int:
            """Read one page into `found`; the page count that page gives."""
            nonlocal skipped, cut
            async with gate:
                if cut is None and time.monotonic() > deadline:
                    cut = f"not read within {self._read_deadline:.0f} s"
                if cut is not None:
                    return 0  # a bound was hit meanwhile: no more requests
                body = await self._get("/api/reservations", {**params, "page": str(page)}, what)
            bookings = as_dict(body).get("bookings")
            if not isinstance(bookings, list):
                raise InvalidResponseError(f"{what}: unexpected answer shape")
            for raw in bookings:
                reservation = parse_reservation(raw)
                if reservation is None:
                    skipped += 1
                    continue
                # Pages can shift while we read them; keep the most recently modified copy.
                known = found.get(reservation.id)
                if known is None and len(found) >= self._max_bookings:
                    cut = f"more than {self._max_bookings} bookings"
                elif known is None or not is_later(known.modified_at, reservation.modified_at):
                    found[reservation.id] = reservation
            count = as_int(body.get("page_count", body.get("pageCount")))
            # A full page without a count is a broken answer, not a big one: refused.
            return check_page_count(count, len(bookings), PAGE_SIZE, sys.maxsize, what)

        # Page 1 tells how many there are; the others are read at once. Should the count
        # grow meanwhile (bookings added), the new pages are read too.
        pages = await read(1)
        done = 1
        while cut is None and done < min(pages, self._max_pages):
            last = min(pages, self._max_pages)
            counts = await asyncio.gather(*(read(page) for page in range(done + 1, last + 1)))
            done, pages = last, max(pages, *counts)
        if cut is None and pages > done:
            cut = f"{pages} pages, more than {self._max_pages}"
        if skipped:
            _LOGGER.warning("Smoobu: skipped %d unreadable booking records", skipped)
        if cut is not None:
            raise ListingIncompleteError(
                f"{what}: cut short ({cut}); {len(found)} bookings read", tuple(found.values())
            )
        return tuple(found.values())

    # ---- custom placeholders and messages (push-and-messaging.md) ----

    async def get_custom_placeholders(
        self, *, booking_id: int | None = None, key: str | None = None
    ) -> tuple[SmoobuPlaceholder, ...]:
        """The account's custom placeholders; optionally a booking's only, or one key only.

        The filters are applied here, on the whole list: the API's own query parameters
        are unknown (U).
        """
        what = "Smoobu custom placeholders"
        items = as_dict(await self._get("/api/custom-placeholders", {}, what)).get(
            "customPlaceholders"
        )
        if not isinstance(items, list):
            raise InvalidResponseError(f"{what}: unexpected answer shape")
        found = []
        skipped = 0
        for raw in items:
            placeholder = parse_placeholder(raw)
            if placeholder is None:
                skipped += 1
            elif (
                booking_id is None
                or (placeholder.type, placeholder.foreign_id) == (PLACEHOLDER_BOOKING, booking_id)
            ) and (key is None or placeholder.key == key):
                found.append(placeholder)
        if skipped:
            _LOGGER.debug("Smoobu: skipped %d unreadable custom placeholders", skipped)
        return tuple(found)

    async def create_custom_placeholder(self, key: str, value: str, booking_id: int) -> int | None:
        """Create the booking's placeholder `key`; its id when the answer gives one.

        The shape of the answer is uncertain (M/U): without an id, list the booking's
        placeholders to find it. Raises PlaceholderExistsError (with the existing id) when
        the booking has that key already, ValueError for a key that cannot be read back
        (empty, padded, in brackets or over MAX_PLACEHOLDER_KEY characters).
        """
        if placeholder_key(key) != key:
            # A key we could not read back would defeat the duplicate check below.
            raise ValueError(f"invalid placeholder key {key!r}")
        what = f"Smoobu placeholder for booking {booking_id}"
        payload = {
            "key": key,
            "defaultValue": value,
            "type": PLACEHOLDER_BOOKING,
            "foreignId": booking_id,
        }
        try:
            body = await self._write("POST", "/api/custom-placeholders", what, payload, value)
        except RequestRejectedError as err:
            rejection = err
        else:
            return created_id(body)
        # Smoobu answers 400 to a duplicate key, but its wording is unknown: a listing tells
        # whether that was the reason (a read, not a second try of the write).
        existing = await self.get_custom_placeholders(booking_id=booking_id, key=key)
        if existing:
            raise PlaceholderExistsError(
                f"{what}: the key already exists (placeholder {existing[0].id})", existing[0].id
            )
        raise rejection

    async def update_custom_placeholder(self, placeholder_id: int, value: str) -> None:
        """Set a custom placeholder's value."""
        await self._write(
            "PUT",
            f"/api/custom-placeholders/{placeholder_id}",
            f"Smoobu placeholder {placeholder_id}",
            {"defaultValue": value},
            value,
        )

    async def delete_custom_placeholder(self, placeholder_id: int) -> None:
        """Delete a custom placeholder (NotFoundError when it is gone already)."""
        await self._write(
            "DELETE",
            f"/api/custom-placeholders/{placeholder_id}",
            f"Smoobu placeholder {placeholder_id}",
            None,
        )

    async def get_booking_placeholders(self, booking_id: int) -> dict[str, str]:
        """Every placeholder value Smoobu would put in this booking's messages, by key.

        Documented as `{"placeholders": [{"key", "value"}]}`; one account answered the bare
        list, and a key -> value object is read too (shape uncertain, smoobu-api.md §9).
        """
        what = f"Smoobu placeholders of booking {booking_id}"
        body = await self._get(f"/api/reservations/{booking_id}/placeholders", {}, what)
        items = as_dict(body).get("placeholders") if isinstance(body, dict) else body
        if isinstance(items, dict):
            items = [{"key": name, "value": value} for name, value in items.items()]
        if not isinstance(items, list):
            raise InvalidResponseError(f"{what}: unexpected answer shape")
        values: dict[str, str] = {}
        for raw in items:
            item = as_dict(raw)
            name = placeholder_key(item.get("key"))
            if name is not None:
                values[name] = as_str(item.get("value"))[:MAX_PLACEHOLDER_VALUE]
        return values

    async def send_message_to_guest(self, booking_id: int, subject: str, body: str) -> None:
        """Send a message to the booking's guest on its channel; it cannot be unsent.

        Sent once, never retried here. After a transient error (timeout, server error)
        the message may have gone out all the same: read `get_messages` before sending again.
        """
        await self._write(
            "POST",
            f"/api/reservations/{booking_id}/messages/send-message-to-guest",
            f"Smoobu message to the guest of booking {booking_id}",
            {"subject": subject, "messageBody": body},
            body,
        )

    async def get_messages(self, booking_id: int) -> tuple[SmoobuMessage, ...]:
        """The booking's message thread, every page read (paged like the reservations)."""
        what = f"Smoobu messages of booking {booking_id}"
        path = f"/api/reservations/{booking_id}/messages"
        messages: list[SmoobuMessage] = []
        page = pages = 1
        while page <= pages:
            body = as_dict(await self._get(path, {"page": str(page)}, what))
            items = body.get("messages")
            if not isinstance(items, list):
                raise InvalidResponseError(f"{what}: unexpected answer shape")
            messages += [parse_message(raw) for raw in items if isinstance(raw, dict)]
            # The page size is undocumented, so a missing count is read as a single page.
            count = as_int(body.get("page_count", body.get("pageCount"))) or 1
            if count > self._max_pages:
                raise InvalidResponseError(f"{what}: {count} pages, more than {self._max_pages}")
            pages = max(pages, count)
            page += 1
        return tuple(messages)


def _flag(value: bool) -> str:
    return "true" if value else "false"
