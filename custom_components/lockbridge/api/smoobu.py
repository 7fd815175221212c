"""Async client for the Smoobu REST API: account, apartments, bookings, placeholders, messages.

Requests are HMAC-signed when a secret is configured (mandatory at Smoobu since
2026-09-25, smoobu-api.md §2b); without one the legacy `Api-Key` header is used.
Writes are sent once and never retried here: a message to a guest cannot be unsent.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Container, Mapping
from datetime import UTC, date, datetime
import hashlib
import hmac
import json
import logging
import sys
import time
from typing import Any
from urllib.parse import quote
import uuid

import aiohttp
from yarl import URL

from ._http import (
    Response,
    Scrubber,
    check_page_count,
    parse_retry_after,
    raise_for_error_status,
    send,
)
from ._parse import (
    as_bool,
    as_dict,
    as_int,
    as_opt_str,
    as_str,
    is_later,
    parse_date,
    parse_datetime,
    parse_time,
)
from .errors import (
    InvalidResponseError,
    ListingIncompleteError,
    PlaceholderExistsError,
    RateLimitedError,
    RequestRejectedError,
)
from .models import (
    SmoobuApartment,
    SmoobuMessage,
    SmoobuPlaceholder,
    SmoobuReservation,
    SmoobuUser,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://login.smoobu.com"
DEFAULT_TIMEOUT = 30.0
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
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Custom placeholder targets (push-and-messaging.md).
PLACEHOLDER_BOOKING = 1
PLACEHOLDER_APARTMENT = 2
#: Longest placeholder value kept, and longest key read: templates hold PINs and short texts;
#: anything longer is not ours, and must not grow without bound in memory or in the UI.
MAX_PLACEHOLDER_VALUE = 2000
MAX_PLACEHOLDER_KEY = 100
#: Longest message subject/body kept when reading a thread.
MAX_MESSAGE_TEXT = 20_000


def canonical_query(params: Mapping[str, str]) -> str:
    """RFC 3986-encoded query sorted by key then value; sent on the wire exactly as signed."""
    pairs = sorted((quote(key, safe=""), quote(value, safe="")) for key, value in params.items())
    return "&".join(f"{key}={value}" for key, value in pairs)


def sign(
    secret: str,
    api_key: str,
    method: str,
    path: str,
    query: str,
    timestamp: str,
    nonce: str,
    body: bytes = b"",
) -> str:
    """Base64 HMAC-SHA256 over Smoobu's 7-line canonical string; line 6 hashes the body bytes."""
    body_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    canonical = "\n".join([method.upper(), path, query, timestamp, nonce, body_hash, api_key])
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class SmoobuClient:
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
        self._session = session
        self._api_key = api_key
        self._api_secret = api_secret or None
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        # The bounds' defaults are looked up here, not at import, so that a test can lower them.
        self._max_pages = max_pages or DEFAULT_MAX_PAGES
        self._max_bookings = max_bookings or DEFAULT_MAX_BOOKINGS
        self._read_deadline = read_deadline or DEFAULT_READ_DEADLINE
        self._clock = clock
        self._scrub = Scrubber(api_key, api_secret)

    @property
    def signed(self) -> bool:
        """True when requests are HMAC-signed; False on the deprecated Api-Key header."""
        return self._api_secret is not None

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
        reservation = _parse_reservation(
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
                reservation = _parse_reservation(raw)
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
            placeholder = _parse_placeholder(raw)
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
        if _placeholder_key(key) != key:
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
            return _created_id(body)
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
            name = _placeholder_key(item.get("key"))
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
            messages += [_parse_message(raw) for raw in items if isinstance(raw, dict)]
            # The page size is undocumented, so a missing count is read as a single page.
            count = as_int(body.get("page_count", body.get("pageCount"))) or 1
            if count > self._max_pages:
                raise InvalidResponseError(f"{what}: {count} pages, more than {self._max_pages}")
            pages = max(pages, count)
            page += 1
        return tuple(messages)

    # ---- plumbing ----

    async def _get(self, path: str, params: Mapping[str, str], what: str) -> Any:
        return (await self._request("GET", path, params, what)).json(what)

    async def _write(
        self,
        method: str,
        path: str,
        what: str,
        json_body: Mapping[str, Any] | None,
        hide: str = "",
    ) -> Any:
        """Send a write once; its JSON answer, or None for an empty or non-JSON one.

        Smoobu answers writes with an empty body or JSON (uncertain which, when): both mean
        success. A non-JSON success is not an error either: raising a transient error would
        invite sending a guest message twice.
        """
        resp = await self._request(method, path, {}, what, json_body, hide=hide)
        if not resp.text.strip():
            return None
        try:
            return resp.json(what)
        except InvalidResponseError:
            _LOGGER.debug("%s: the answer is not JSON; taken as done", what)
            return None

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        what: str,
        json_body: Mapping[str, Any] | None = None,
        *,
        hide: str = "",
    ) -> Response:
        """Sign and send one request (never retried); the answer once its status is a success.

        The body is serialised once and the very bytes hashed into the signature are sent.
        `hide` is masked in error details (a value the cloud may echo, e.g. a door PIN).
        """
        query = canonical_query(params)
        url = URL(f"{self._base}{path}{'?' + query if query else ''}", encoded=True)
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if self._api_secret is None:
            headers["Api-Key"] = self._api_key
        else:
            timestamp = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            nonce = str(uuid.uuid4())
            headers |= {
                "X-API-Key": self._api_key,
                "X-Timestamp": timestamp,
                "X-Nonce": nonce,
                "X-Signature": sign(
                    self._api_secret,
                    self._api_key,
                    method,
                    url.raw_path,
                    query,
                    timestamp,
                    nonce,
                    data or b"",
                ),
            }
        # send() makes one attempt; aiohttp itself resends only idempotent methods (PUT and
        # DELETE, once, on a keep-alive connection the server closed), never a POST.
        resp = await send(
            self._session, method, url, what=what, timeout=self._timeout, headers=headers, data=data
        )
        # Writes may well be answered 201 or 204 (unconfirmed); reads keep their strict 200.
        self._raise_for_status(resp, what, hide, (200,) if method == "GET" else range(200, 300))
        return resp

    def _raise_for_status(
        self, resp: Response, what: str, hide: str = "", ok: Container[int] = (200,)
    ) -> None:
        if resp.status in ok:
            return
        if resp.status == 429:
            now = self._clock()
            waits = [
                wait
                for header in ("X-RateLimit-Retry-After", "Retry-After")
                if (wait := parse_retry_after(resp.headers.get(header), now)) is not None
            ]
            raise RateLimitedError(f"{what}: rate limited (HTTP 429)", max(waits, default=None))
        raise_for_error_status(resp, what, lambda: self._detail(resp, hide))

    def _detail(self, resp: Response, hide: str = "") -> str:
        """The problem-JSON `detail`/`title` (and validation messages) of an error answer."""
        try:
            body = as_dict(resp.json(""))
        except InvalidResponseError:
            return self._scrub(resp.text, hide) or "no details"
        parts = [as_str(body.get("detail")) or as_str(body.get("title"))]
        for field, errors in as_dict(body.get("validation_messages")).items():
            messages = errors.values() if isinstance(errors, dict) else [errors]
            parts.append(f"{field}: {', '.join(as_str(m) for m in messages)}")
        return self._scrub("; ".join(part for part in parts if part), hide) or "no details"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _parse_reservation(raw: Any) -> SmoobuReservation | None:
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


def _placeholder_key(value: Any) -> str | None:
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


def _parse_placeholder(raw: Any) -> SmoobuPlaceholder | None:
    """A custom placeholder record, or None without an id or a key."""
    item = as_dict(raw)
    placeholder_id = as_int(item.get("id"))
    key = _placeholder_key(item.get("key"))
    if placeholder_id is None or key is None:
        return None
    return SmoobuPlaceholder(
        id=placeholder_id,
        key=key,
        value=as_str(item.get("defaultValue", item.get("value")))[:MAX_PLACEHOLDER_VALUE],
        type=_placeholder_type(item.get("type")),
        foreign_id=as_int(item.get("foreignId")),
    )


def _created_id(body: Any) -> int | None:
    """The new id in a create's answer: at the top or wrapped in an object (shape U)."""
    item = as_dict(body)
    for candidate in (item, as_dict(item.get("customPlaceholder")), as_dict(item.get("data"))):
        if (created := as_int(candidate.get("id"))) is not None:
            return created
    return None


def _parse_message(item: dict[str, Any]) -> SmoobuMessage:
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
