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
import json
import math
from typing import Any, Final
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from .common import Handler, SimulatorBase, is_true, json_response, parse_day, wall_clock

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
PLACEHOLDER_BOOKING = 1
PLACEHOLDER_APARTMENT = 2
MESSAGE_FROM_GUEST = 1
MESSAGE_TO_GUEST = 2


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
        #: Custom placeholders by id, as GET /api/custom-placeholders lists them.
        self.placeholders: dict[int, dict[str, Any]] = {}
        #: Each booking's message thread, oldest first (type 1 from, 2 to the guest).
        self.messages: dict[int, list[dict[str, Any]]] = {}
        #: The next N writes (placeholder create/update/delete, message send) answer 500.
        self.fail_writes = 0
        #: With fail_writes: the write takes effect before its 500 (only the answer is lost).
        self.fail_writes_after_effect = False
        #: Successful writes answer 200 with an empty body instead of JSON.
        self.empty_write_answers = False
        self._placeholder_ids = itertools.count(4101)
        self._message_ids = itertools.count(770001)

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

    def placeholders_of(self, booking_id: int) -> dict[str, str]:
        """Key -> value of the booking's own (type 1) custom placeholders."""
        return {
            item["key"]: item["defaultValue"]
            for item in self.placeholders.values()
            if (item["type"], item["foreignId"]) == (PLACEHOLDER_BOOKING, booking_id)
        }

    def receive_message(self, booking_id: int, text: str, subject: str = "") -> None:
        """A message from the guest arrives in the booking's thread."""
        self._add_message(booking_id, subject, text, MESSAGE_FROM_GUEST)

    def _add_message(self, booking_id: int, subject: str, text: str, kind: int) -> None:
        self.messages.setdefault(booking_id, []).append(
            {
                "id": next(self._message_ids),
                "subject": subject,
                "message": text,
                "type": kind,
                "createdAt": self._now().strftime("%Y-%m-%d %H:%M:%S"),
            }
        )

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
        router.add_get("/api/reservations/{booking_id}/placeholders", self._booking_placeholders)
        router.add_get("/api/reservations/{booking_id}/messages", self._message_list)
        router.add_post(
            "/api/reservations/{booking_id}/messages/send-message-to-guest",
            self._write(self._send_to_guest),
        )
        router.add_get("/api/custom-placeholders", self._placeholder_list)
        router.add_post("/api/custom-placeholders", self._write(self._placeholder_create))
        router.add_put(
            "/api/custom-placeholders/{placeholder_id}", self._write(self._placeholder_update)
        )
        router.add_delete(
            "/api/custom-placeholders/{placeholder_id}", self._write(self._placeholder_delete)
        )

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

    # ---- custom placeholders and messages ----

    def _write(self, handler: Handler) -> Handler:
        """Apply the write faults, and the empty-answer switch, around a write handler."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            if self.fail_writes > 0:
                self.fail_writes -= 1
                if self.fail_writes_after_effect:
                    await handler(request)
                return web.Response(status=500, text="Internal Server Error")
            answer = await handler(request)
            if self.empty_write_answers and answer.status == 200:
                return web.Response(status=200)
            return answer

        return wrapped

    async def _placeholder_list(self, _: web.Request) -> web.Response:
        return json_response({"customPlaceholders": list(self.placeholders.values())})

    async def _placeholder_create(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        if isinstance(body, web.Response):
            return body
        key, value = body.get("key"), body.get("defaultValue")
        kind, foreign_id = body.get("type"), body.get("foreignId")
        problems: dict[str, dict[str, str]] = {}
        if not isinstance(key, str) or not key.strip():
            problems["key"] = {"isEmpty": "Value is required and can't be empty"}
        if not isinstance(value, str):
            problems["defaultValue"] = {"invalidType": "A string is required"}
        if kind not in (PLACEHOLDER_BOOKING, PLACEHOLDER_APARTMENT) or isinstance(kind, bool):
            problems["type"] = {"notInArray": "1 (booking) or 2 (apartment)"}
        elif not self._target_exists(kind, foreign_id):
            problems["foreignId"] = {"noRecordFound": "No such booking or apartment"}
        if problems:
            return _bad_request("Failed Validation", problems)
        if any(
            (item["key"], item["type"], item["foreignId"]) == (key, kind, foreign_id)
            for item in self.placeholders.values()
        ):
            return _bad_request(f"Custom placeholder {key} already exists")
        placeholder_id = next(self._placeholder_ids)
        self.placeholders[placeholder_id] = {
            "id": placeholder_id,
            "key": key,
            "defaultValue": value,
            "type": kind,
            "foreignId": foreign_id,
        }
        return json_response(self.placeholders[placeholder_id])

    def _target_exists(self, kind: int, foreign_id: Any) -> bool:
        if not isinstance(foreign_id, int) or isinstance(foreign_id, bool):
            return False
        targets = self.bookings if kind == PLACEHOLDER_BOOKING else self._apartments
        return foreign_id in targets

    async def _placeholder_update(self, request: web.Request) -> web.Response:
        placeholder = self._placeholder(request)
        if placeholder is None:
            return _not_found("Custom placeholder not found")
        body = await _json_object(request)
        if isinstance(body, web.Response):
            return body
        if not isinstance(body.get("defaultValue"), str):
            return _bad_request(
                "Failed Validation", {"defaultValue": {"invalidType": "A string is required"}}
            )
        # key/type/foreignId may come along (a full object, as some PUTs want): ignored.
        placeholder["defaultValue"] = body["defaultValue"]
        return json_response(placeholder)

    async def _placeholder_delete(self, request: web.Request) -> web.Response:
        placeholder = self._placeholder(request)
        if placeholder is None:
            return _not_found("Custom placeholder not found")
        del self.placeholders[placeholder["id"]]
        return web.Response(status=200)

    def _placeholder(self, request: web.Request) -> dict[str, Any] | None:
        raw = request.match_info["placeholder_id"]
        return self.placeholders.get(int(raw)) if raw.isdigit() else None

    async def _booking_placeholders(self, request: web.Request) -> web.Response:
        booking = self._booking(request)
        if booking is None:
            return _not_found("Booking not found")
        values = {
            "guest-name": booking["guest-name"],
            "arrival": booking["arrival"],
            "departure": booking["departure"],
            "guest-app-url": booking["guest-app-url"],
        }
        # Apartment-wide values first, so that the booking's own ones win.
        for scope, target in (
            (PLACEHOLDER_APARTMENT, booking["apartment"]["id"]),
            (PLACEHOLDER_BOOKING, booking["id"]),
        ):
            for item in self.placeholders.values():
                if (item["type"], item["foreignId"]) == (scope, target):
                    values[item["key"]] = item["defaultValue"]
        return json_response(
            {"placeholders": [{"key": key, "value": value} for key, value in values.items()]}
        )

    async def _message_list(self, request: web.Request) -> web.Response:
        booking = self._booking(request)
        if booking is None:
            return _not_found("Booking not found")
        return json_response(
            {"page": 1, "page_count": 1, "messages": self.messages.get(booking["id"], [])}
        )

    async def _send_to_guest(self, request: web.Request) -> web.Response:
        booking = self._booking(request)
        if booking is None:
            return _not_found("Booking not found")
        body = await _json_object(request)
        if isinstance(body, web.Response):
            return body
        subject, text = body.get("subject"), body.get("messageBody")
        problems: dict[str, dict[str, str]] = {}
        if not isinstance(subject, str):
            problems["subject"] = {"invalidType": "A string is required"}
        if not isinstance(text, str) or not text.strip():
            problems["messageBody"] = {"isEmpty": "Value is required and can't be empty"}
        if problems:
            return _bad_request("Failed Validation", problems)
        self._add_message(booking["id"], str(subject), str(text), MESSAGE_TO_GUEST)
        return web.Response(status=200)

    def _booking(self, request: web.Request) -> dict[str, Any] | None:
        raw = request.match_info["booking_id"]
        return self.bookings.get(int(raw)) if raw.isdigit() else None

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


def _bad_request(detail: str, validation: dict[str, dict[str, str]] | None = None) -> web.Response:
    problem: dict[str, Any] = {"title": "Bad Request", "status": 400, "detail": detail}
    if validation:
        problem["validation_messages"] = validation
    return json_response(problem, status=400)


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the 400 Smoobu (Laminas) gives for anything else."""
    if request.content_type != "application/json":
        return _bad_request("Invalid content type")
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _bad_request("JSON body is malformed")
    return body if isinstance(body, dict) else _bad_request("JSON object expected")
