"""Stateful simulator of the Smoobu REST API (login.smoobu.com/api), see smoobu-api.md."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
import hashlib
import hmac
import itertools
import math
from typing import Any, Final
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from .common import SimulatorBase, is_true, json_response, parse_day, wall_clock

ACCOUNT_TZ = ZoneInfo("Europe/Berlin")  # Smoobu stamps created-at/modifiedAt in local time
BLOCKED_CHANNEL = (11, "Blocked channel")
DIRECT_CHANNEL = (13, "Direct booking")
# Query filter -> (booking date it bounds, True for a lower bound); from/to mean overlap.
_DATE_FILTERS: dict[str, tuple[str, bool]] = {
    "from": ("departure", True),
    "to": ("arrival", False),
    "arrivalFrom": ("arrival", True),
    "arrivalTo": ("arrival", False),
    "departureFrom": ("departure", True),
    "departureTo": ("departure", False),
    "created_from": ("created", True),
    "created_to": ("created", False),
    "modifiedFrom": ("modified", True),
    "modifiedTo": ("modified", False),
}
_UNAUTHORIZED = {"title": "Error occurred", "detail": "verification error"}


class _Keep(Enum):
    """Sentinel type: "leave this field as it is" (None is a meaningful value)."""

    KEEP = "keep"


KEEP: Final = _Keep.KEEP


def canonical_query(raw_query: str) -> str:
    """Rebuild the canonical query of smoobu-api.md 2b from the query as sent on the wire."""
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)


def sign(
    secret: str,
    *,
    method: str,
    path: str,
    raw_query: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    api_key: str,
) -> str:
    """Return the X-Signature Smoobu expects (also handy for hand-made test requests)."""
    canonical = "\n".join(
        [
            method.upper(),
            path,
            canonical_query(raw_query),
            timestamp,
            nonce,
            hashlib.sha256(body).hexdigest(),
            api_key,
        ]
    )
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# The location of Smoobu's documentation example; latitude/longitude are strings there.
BERLIN = {
    "street": "Hauptstr. 1",
    "zip": "10115",
    "city": "Berlin",
    "country": "Germany",
    "latitude": "52.5200080000000",
    "longitude": "13.4049540000000",
}


@dataclass
class _Apartment:
    id: int
    name: str
    timezone: str
    location: dict[str, str]


class SmoobuSimulator(SimulatorBase):
    """One Smoobu host account: apartments and bookings, HMAC or legacy key auth."""

    def __init__(
        self,
        api_key: str = "smoobu-api-key",
        api_secret: str = "smoobu-api-secret",  # noqa: S107 - fake credential
        *,
        user_id: int = 7,
        max_skew: int = 300,
        clock: Callable[[], float] = wall_clock,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.user_id = user_id
        self.max_skew = max_skew
        self.allow_legacy = True
        # The wire query must be the canonical string that was signed (smoobu-api.md 2b).
        self.strict_wire_query = True
        self.repeat_last_on_next_page = False
        self.retry_after_epoch = False
        self.signature_failures = 0
        self.legacy_requests = 0
        self.last_auth_error: str | None = None  # why the last signed request was refused
        self.bookings: dict[int, dict[str, Any]] = {}
        self._clock = clock
        #: Where Smoobu calls on every booking change (Settings > API & Webhooks), if set.
        self.webhook_url: str | None = None
        #: The answers to the webhook calls made, for tests.
        self.webhook_answers: list[int] = []
        self._nonces: set[str] = set()
        self._apartments: dict[int, _Apartment] = {}
        self._booking_ids = itertools.count(58123401)
        self._guest_ids = itertools.count(9912345)

    # ---- state set-up (used by tests and the demo) ----

    def add_apartment(
        self,
        apartment_id: int,
        name: str,
        *,
        timezone: str = "Europe/Berlin",
        location: dict[str, str] | None = None,
    ) -> None:
        """Add a property (``location`` as in GET /api/apartments/{id}, default Berlin)."""
        self._apartments[apartment_id] = _Apartment(
            apartment_id, name, timezone, dict(location or BERLIN)
        )

    def add_booking(
        self,
        apartment_id: int,
        arrival: date,
        departure: date,
        guest_name: str,
        *,
        booking_id: int | None = None,
        check_in: str | None = "16:00",
        check_out: str | None = "10:00",
        email: str | None = None,
        phone: str | None = None,
        language: str = "en",
        adults: int = 2,
        children: int = 0,
        channel: tuple[int, str] = (465614, "Booking.com"),
        blocked: bool = False,
        created_at: datetime | None = None,
    ) -> int:
        """Add a booking (or, with ``blocked``, a blocked period) and return its id."""
        apartment = self._apartments[apartment_id]
        if booking_id is None:
            booking_id = next(i for i in self._booking_ids if i not in self.bookings)
        elif booking_id in self.bookings:
            raise ValueError(f"booking {booking_id} already exists")
        created = self._local(created_at) if created_at else self._now()
        first, _, last = guest_name.strip().partition(" ")
        nights = max((departure - arrival).days, 0)
        notice = ""
        if blocked:  # the reason goes to the notes, the guest fields stay empty
            notice, channel, first, last, guest_name = guest_name, BLOCKED_CHANNEL, "", "", ""
            check_in = check_out = email = phone = None
            adults = children = 0
        self.bookings[booking_id] = {
            "id": booking_id,
            "reference-id": _reference_id(booking_id, channel),
            "type": "reservation",
            "arrival": arrival.isoformat(),
            "departure": departure.isoformat(),
            "created-at": created.strftime("%Y-%m-%d %H:%M"),
            "modifiedAt": created.strftime("%Y-%m-%d %H:%M:%S"),
            "apartment": {"id": apartment.id, "name": apartment.name},
            "channel": {"id": channel[0], "name": channel[1]},
            "guest-name": guest_name,
            "firstname": first,
            "lastname": last,
            "email": email,
            "phone": phone,
            "adults": adults,
            "children": children,
            "check-in": check_in,
            "check-out": check_out,
            "notice": notice,
            "assistant-notice": "",
            "price": 0.0 if blocked else nights * 95.0,
            "price-details": "",
            "price-paid": "No",
            "commission-included": None if blocked else round(nights * 95.0 * 0.15, 2),
            "city-tax": None,
            "prepayment": 0,
            "prepayment-paid": "No",
            "deposit": 0,
            "deposit-paid": "No",
            "language": language,
            "guest-app-url": f"https://guest.smoobu.com/?t=Gx{booking_id:x}&b={booking_id}",
            "is-blocked-booking": blocked,
            "guestId": next(self._guest_ids),
            "related": [],
        }
        return booking_id

    def move_booking(
        self,
        booking_id: int,
        *,
        arrival: date | None = None,
        departure: date | None = None,
        apartment_id: int | None = None,
        check_in: str | None | _Keep = KEEP,
        check_out: str | None | _Keep = KEEP,
    ) -> None:
        """Change dates, unit or times, as a channel modification would."""
        booking = self.bookings[booking_id]
        if arrival is not None:
            booking["arrival"] = arrival.isoformat()
        if departure is not None:
            booking["departure"] = departure.isoformat()
        if apartment_id is not None:
            apartment = self._apartments[apartment_id]
            booking["apartment"] = {"id": apartment.id, "name": apartment.name}
        if check_in is not KEEP:
            booking["check-in"] = check_in
        if check_out is not KEEP:
            booking["check-out"] = check_out
        self._touch(booking, "modification of booking")

    def cancel_booking(self, booking_id: int) -> None:
        """Cancel: the booking stays, typed "cancellation" (hidden unless showCancellation)."""
        self._touch(self.bookings[booking_id], "cancellation")

    def remove_booking(self, booking_id: int) -> None:
        """Make the booking disappear entirely (e.g. deleted by the host)."""
        del self.bookings[booking_id]

    async def push(self, action: str, booking_id: int) -> None:
        """Call the webhook as Smoobu does: the action, the account, the booking as listed."""
        if not self.webhook_url:
            return
        call = {"action": action, "user": self.user_id, "data": self.bookings.get(booking_id)}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook_url, json=call) as answer,
        ):
            self.webhook_answers.append(answer.status)

    def _touch(self, booking: dict[str, Any], kind: str) -> None:
        booking["type"] = kind
        booking["modifiedAt"] = self._now().strftime("%Y-%m-%d %H:%M:%S")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=ACCOUNT_TZ)

    @staticmethod
    def _local(moment: datetime) -> datetime:
        """Naive datetimes are taken as Smoobu local time already."""
        return moment.astimezone(ACCOUNT_TZ) if moment.tzinfo else moment

    # ---- HTTP ----

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the API routes."""
        router.add_get("/api/me", self._me)
        router.add_get("/api/apartments", self._apartment_list)
        router.add_get("/api/apartments/{apartment_id}", self._apartment_detail)
        router.add_get("/api/reservations", self._reservations)
        router.add_get("/api/reservations/{booking_id}", self._reservation)

    async def guard(self, request: web.Request) -> web.StreamResponse | None:
        """Authenticate: HMAC headers when signed, else the legacy Api-Key header."""
        if "X-Signature" in request.headers:
            self.last_auth_error = await self._signature_error(request)
            if self.last_auth_error is None:
                return None
            self.signature_failures += 1
        elif self.allow_legacy and request.headers.get("Api-Key") == self.api_key:
            self.legacy_requests += 1
            return None
        return json_response(_UNAUTHORIZED, status=401)

    async def _signature_error(self, request: web.Request) -> str | None:
        headers = request.headers
        api_key = headers.get("X-API-Key", "")
        stamp = headers.get("X-Timestamp", "")
        nonce = headers.get("X-Nonce", "")
        if api_key != self.api_key:
            return "unknown api key"
        try:
            signed_at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "bad timestamp"
        if abs(self._clock() - signed_at.timestamp()) > self.max_skew:
            return "timestamp out of range"
        if not nonce or nonce in self._nonces:
            return "nonce missing or reused"
        raw_query = request.rel_url.raw_query_string
        if self.strict_wire_query and raw_query != canonical_query(raw_query):
            return "query not sent in canonical form"
        expected = sign(
            self.api_secret,
            method=request.method,
            path=request.path,  # as received, so a sub-app prefix is part of it
            raw_query=raw_query,
            timestamp=stamp,
            nonce=nonce,
            body=await request.read(),
            api_key=api_key,
        )
        if not hmac.compare_digest(expected, headers["X-Signature"]):
            return "signature mismatch"
        self._nonces.add(nonce)  # only good requests burn a nonce
        return None

    def rate_limited(self, retry_after: str) -> web.Response:
        """Smoobu's 429 carries X-RateLimit-* headers."""
        reset = retry_after
        if self.retry_after_epoch and retry_after.isdigit():
            reset = str(int(self._clock()) + int(retry_after))
        headers = {
            "Retry-After": retry_after,
            "X-RateLimit-Limit": "1000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Retry-After": reset,
        }
        body = {"status": 429, "title": "Too Many Requests", "detail": "Rate limit exceeded"}
        return json_response(body, status=429, headers=headers)

    async def _me(self, _: web.Request) -> web.Response:
        return json_response(
            {
                "id": self.user_id,
                "firstName": "Jane",
                "lastName": "Host",
                "email": "jane@example.com",
            }
        )

    async def _apartment_list(self, _: web.Request) -> web.Response:
        return json_response(
            {"apartments": [{"id": a.id, "name": a.name} for a in self._apartments.values()]}
        )

    async def _apartment_detail(self, request: web.Request) -> web.Response:
        raw = request.match_info["apartment_id"]
        apartment = self._apartments.get(int(raw)) if raw.isdigit() else None
        if apartment is None:
            return _not_found("Apartment not found")
        # As in Smoobu's docs example: no id/name here, coordinates and prices as strings.
        return json_response(
            {
                "location": apartment.location,
                "timeZone": apartment.timezone,
                "rooms": {
                    "maxOccupancy": 4,
                    "bedrooms": 2,
                    "bathrooms": 1,
                    "doubleBeds": 1,
                    "singleBeds": 2,
                    "sofaBeds": None,
                    "couches": None,
                    "childBeds": None,
                    "queenSizeBeds": None,
                    "kingSizeBeds": None,
                },
                "equipments": ["Internet", "Heating"],
                "currency": "EUR",
                "price": {"minimal": "10.00", "maximal": "100.00"},
                "type": {"id": 2, "name": "Holiday rental"},
            }
        )

    async def _reservation(self, request: web.Request) -> web.Response:
        raw = request.match_info["booking_id"]
        booking = self.bookings.get(int(raw)) if raw.isdigit() else None
        if booking is None:
            return _not_found("Booking not found")
        return json_response(booking)

    async def _reservations(self, request: web.Request) -> web.Response:
        query = request.query
        bounds: dict[str, date] = {}
        for key in _DATE_FILTERS:
            if key in query:
                day = parse_day(query[key])
                if day is None:
                    return _bad_request("Invalid date")
                bounds[key] = day
        numbers: dict[str, int] = {}
        for key in ("apartmentId", "page", "pageSize"):
            if key in query:
                if not query[key].isdigit():
                    return _bad_request(f"Invalid {key}")
                numbers[key] = int(query[key])
        show_cancelled = is_true(query.get("showCancellation"))
        exclude_blocked = is_true(query.get("excludeBlocked"))
        apartment_id = numbers.get("apartmentId")

        matching = [
            booking
            for _, booking in sorted(self.bookings.items())
            if (show_cancelled or booking["type"] != "cancellation")
            and not (exclude_blocked and booking["is-blocked-booking"])
            and (apartment_id is None or booking["apartment"]["id"] == apartment_id)
            and _in_bounds(booking, bounds)
        ]
        page = max(numbers.get("page", 1), 1)
        size = min(max(numbers.get("pageSize", 25), 1), 100)
        start, page_count = self._page_window(len(matching), size, page)
        return json_response(
            {
                "page_count": page_count,
                "page_size": size,
                "total_items": len(matching),
                "page": page,
                "bookings": matching[start : start + size],
            }
        )

    def _page_window(self, total: int, size: int, page: int) -> tuple[int, int]:
        """Return (first index of ``page``, page_count).

        With ``repeat_last_on_next_page`` each page starts with the last booking of the
        previous one, as when a booking is inserted between two page requests; the page
        count grows accordingly so that no booking becomes unreachable.
        """
        if not self.repeat_last_on_next_page or size < 2:
            return (page - 1) * size, math.ceil(total / size)
        step = size - 1
        pages = 0 if total == 0 else 1 + math.ceil(max(total - size, 0) / step)
        return (page - 1) * step, pages


def _in_bounds(booking: dict[str, Any], bounds: dict[str, date]) -> bool:
    """Apply the date filters (inclusive); created/modified compare on their date part."""
    days = {
        "arrival": date.fromisoformat(booking["arrival"]),
        "departure": date.fromisoformat(booking["departure"]),
        "created": date.fromisoformat(booking["created-at"][:10]),
        "modified": date.fromisoformat(booking["modifiedAt"][:10]),
    }
    for key, bound in bounds.items():
        field, lower = _DATE_FILTERS[key]
        if (days[field] < bound) if lower else (days[field] > bound):
            return False
    return True


def _reference_id(booking_id: int, channel: tuple[int, str]) -> str | None:
    """Channel booking code: none for direct/blocked, an HM code for Airbnb, digits otherwise."""
    if channel in {BLOCKED_CHANNEL, DIRECT_CHANNEL}:
        return None
    if "airbnb" in channel[1].lower():
        return f"HM{booking_id * 7919 % 16**8:08X}"
    return str(4_100_000_000 + booking_id % 100_000_000)


def _not_found(detail: str) -> web.Response:
    return json_response({"status": 404, "title": "Not Found", "detail": detail}, status=404)


def _bad_request(detail: str) -> web.Response:
    return json_response({"title": "Bad Request", "detail": detail}, status=400)
