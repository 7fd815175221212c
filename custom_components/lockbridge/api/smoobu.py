"""Async client for the Smoobu REST API (account, apartments, reservations).

Requests are HMAC-signed when a secret is configured (mandatory at Smoobu since
2026-09-25, smoobu-api.md §2b); without one the legacy `Api-Key` header is used.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
import hashlib
import hmac
import logging
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
    RateLimitedError,
)
from .models import SmoobuApartment, SmoobuReservation, SmoobuUser

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://login.smoobu.com"
DEFAULT_TIMEOUT = 30.0
PAGE_SIZE = 100  # the documented maximum
#: Pages read at once (Smoobu allows about 1,000 requests a minute; reference §11).
PAGES_IN_FLIGHT = 8
#: Refuse to read more pages than this: a listing cut short must not look complete.
DEFAULT_MAX_PAGES = 50
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def canonical_query(params: Mapping[str, str]) -> str:
    """RFC 3986-encoded query sorted by key then value; sent on the wire exactly as signed."""
    pairs = sorted((quote(key, safe=""), quote(value, safe="")) for key, value in params.items())
    return "&".join(f"{key}={value}" for key, value in pairs)


def sign(
    secret: str, api_key: str, method: str, path: str, query: str, timestamp: str, nonce: str
) -> str:
    """Base64 HMAC-SHA256 over Smoobu's 7-line canonical string (GET: empty body)."""
    canonical = "\n".join(
        [method.upper(), path, query, timestamp, nonce, EMPTY_BODY_SHA256, api_key]
    )
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
        max_pages: int = DEFAULT_MAX_PAGES,
        clock: Callable[[], float] = lambda: time.time(),  # looked up per call (freezegun)
    ) -> None:
        self._session = session
        self._api_key = api_key
        self._api_secret = api_secret or None
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._max_pages = max_pages
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

        Cancellations are listed by default so that their codes can be removed.
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

        async def read(page: int) -> int:
            """Read one page into `found`; the page count that page gives."""
            nonlocal skipped
            async with gate:
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
                if known is None or not is_later(known.modified_at, reservation.modified_at):
                    found[reservation.id] = reservation
            count = as_int(body.get("page_count", body.get("pageCount")))
            return check_page_count(count, len(bookings), PAGE_SIZE, self._max_pages, what)

        # Page 1 tells how many there are; the others are read at once. Should the count
        # grow meanwhile (bookings added), the new pages are read too.
        pages = await read(1)
        done = 1
        while done < pages:
            counts = await asyncio.gather(*(read(page) for page in range(done + 1, pages + 1)))
            done, pages = pages, max(pages, *counts)
        if skipped:
            _LOGGER.warning("Smoobu: skipped %d unreadable booking records", skipped)
        return tuple(found.values())

    async def _get(self, path: str, params: Mapping[str, str], what: str) -> Any:
        query = canonical_query(params)
        url = URL(f"{self._base}{path}{'?' + query if query else ''}", encoded=True)
        headers = {"Accept": "application/json"}
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
                    self._api_secret, self._api_key, "GET", url.raw_path, query, timestamp, nonce
                ),
            }
        resp = await send(
            self._session, "GET", url, what=what, timeout=self._timeout, headers=headers
        )
        self._raise_for_status(resp, what)
        return resp.json(what)

    def _raise_for_status(self, resp: Response, what: str) -> None:
        if resp.status == 200:
            return
        if resp.status == 429:
            now = self._clock()
            waits = [
                wait
                for header in ("X-RateLimit-Retry-After", "Retry-After")
                if (wait := parse_retry_after(resp.headers.get(header), now)) is not None
            ]
            raise RateLimitedError(f"{what}: rate limited (HTTP 429)", max(waits, default=None))
        raise_for_error_status(resp, what, lambda: self._detail(resp))

    def _detail(self, resp: Response) -> str:
        """The problem-JSON `detail`/`title` (and validation messages) of an error answer."""
        try:
            body = as_dict(resp.json(""))
        except InvalidResponseError:
            return self._scrub(resp.text) or "no details"
        parts = [as_str(body.get("detail")) or as_str(body.get("title"))]
        for field, errors in as_dict(body.get("validation_messages")).items():
            messages = errors.values() if isinstance(errors, dict) else [errors]
            parts.append(f"{field}: {', '.join(as_str(m) for m in messages)}")
        return self._scrub("; ".join(part for part in parts if part)) or "no details"


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
