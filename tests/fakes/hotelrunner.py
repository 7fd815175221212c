"""Stateful simulator of the HotelRunner Custom Apps REST API, see hotelrunner-api.md."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
import itertools
import json
import math
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from yarl import URL

from .common import SimulatorBase, is_true, json_response, parse_day, wall_clock

PROPERTY_TZ = ZoneInfo("Europe/Istanbul")  # timestamps carry +03:00 as in the docs
CANCEL_REASONS = frozenset({"customer", "no_room", "no_show", "invalid_price"})
_DAY = 86400.0
_NIGHTLY = 120.0
# Guest country -> (city, country name, street) for a plausible address block.
_ADDRESSES = {
    "TR": ("Izmir", "Turkey", "Kordon Cd. 5"),
    "DE": ("Hamburg", "Germany", "Elbchaussee 12"),
    "FR": ("Lyon", "France", "8 Rue de la République"),
    "US": ("San Francisco", "United States", "500 Market St"),
}


def _error(message: str, status: int = 200) -> web.Response:
    return json_response({"status": "error", "message": message}, status=status)


def _ok() -> web.Response:
    return json_response({"status": "ok"})


def _room_row(rate_code: str, inv_code: str, name: str, *, master: bool = False) -> dict[str, Any]:
    """One row of GET /rooms; only the base rate of a room type may be updated."""
    base = rate_code == inv_code
    return {
        "rate_code": rate_code,
        "inv_code": inv_code,
        "availability_update": base,
        "restrictions_update": base,
        "price_update": base,
        "pricing_type": "guest_based",
        "name": name,
        "description": f"{name} Description" if base else "",
        "policy": f"{name} Policy" if base else "",
        "room_capacity": 3,
        "adult_capacity": 2,
        "is_master": master,
        "shared": False,
        "channel_codes": ["bookingcom", "online", "expedia"] if base else ["bookingcom", "online"],
        "sales_currency": "EUR",
        "sell_online": True,
    }


class HotelRunnerSimulator(SimulatorBase):
    """One property: rooms, a reservation message queue, and the 5/min + 250/day quota."""

    def __init__(
        self,
        token: str = "hr-secret-token",  # noqa: S107 - fake credential
        hr_id: str = "654321",
        *,
        per_minute: int = 5,
        per_day: int = 250,
        clock: Callable[[], float] = wall_clock,
    ) -> None:
        super().__init__()
        self.token = token
        self.hr_id = hr_id
        self.per_minute = per_minute
        self.per_day = per_day
        self.enforce_quota = True
        self.quota_rejections = 0
        self.rooms: list[dict[str, Any]] = [
            _room_row("HR:MASTER", "HR:MASTER", "Default Room", master=True)
        ]
        self.reservations: dict[str, dict[str, Any]] = {}
        #: The callback URL the property gave HotelRunner; None: HotelRunner pushes nothing.
        self.push_url: str | None = None
        #: The HTTP status of each push made, for tests.
        self.push_answers: list[int] = []
        #: HotelRunner enables delivery confirmation per account, on request. Off: the ack is
        #: refused and the undelivered listing holds every reservation (see _ack).
        self.confirmations_enabled = True
        #: Called with the hr_number as each confirmation is recorded (a test stops there).
        self.on_confirm: Callable[[str], None] | None = None
        self._clock = clock
        self._used: deque[float] = deque()  # clock() of every request counted against the quota
        self._undelivered: set[str] = set()  # hr_numbers whose current message is not acked
        self._messages: dict[str, str] = {}  # every message_uid ever issued -> hr_number
        self._reservation_ids = itertools.count(37515739)
        self._hr_numbers = itertools.count(377873409, 7919)

    # ---- state set-up and inspection (used by tests and the demo) ----

    def add_room(self, inv_code: str, name: str, *, non_refundable_variant: bool = True) -> None:
        """Add a room type (its base rate row, plus an ``NR:`` rate row if wanted)."""
        self.rooms.append(_room_row(inv_code, inv_code, name))
        if non_refundable_variant:
            self.rooms.append(_room_row(f"NR:{inv_code}", inv_code, f"{name} - NR"))

    def add_reservation(
        self,
        guest: str,
        stays: Sequence[tuple[str, date, date]],
        *,
        state: str = "confirmed",
        email: str | None = None,
        phone: str | None = None,
        hr_number: str | None = None,
        channel: tuple[str, str] = ("bookingcom", "Booking.com"),
        requires_response: bool = False,
        country: str = "TR",
        completed_at: datetime | None = None,
    ) -> str:
        """Add a reservation (one room line per stay), queued as undelivered; return hr_number."""
        if not stays:
            raise ValueError("a reservation needs at least one room line")
        hr_number = hr_number or f"R{next(self._hr_numbers)}"
        if hr_number in self.reservations:
            raise ValueError(f"reservation {hr_number} already exists")
        received = (completed_at or self._now()).astimezone(PROPERTY_TZ)
        city, country_name, street = _ADDRESSES.get(country, ("", country, ""))
        reservation_id = next(self._reservation_ids)
        reservation: dict[str, Any] = {
            "reservation_id": reservation_id,
            "hr_number": hr_number,
            "provider_number": (
                str(4_127_000_000 + reservation_id % 1_000_000) if channel[0] != "online" else None
            ),
            "pms_number": None,
            "channel": channel[0],
            "channel_display": channel[1],
            "source_display": None,
            "state": state,
            "modified": False,
            "country": country,
            "guest_national_id": None,
            "guest_is_citizen": country == "TR",
            "cancel_reason": None,
            "completed_at": _stamp(received),
            "updated_at": _stamp(received),
            "currency": "EUR",
            "note": None,
            "payment": "credit_card",
            "payment_details": None,
            "paid_amount": 0.0,
            "pms_version_generated": True,
            "requires_response": requires_response,
            "address": {
                "city": city,
                "state": "",
                "country": country_name,
                "country_code": country,
                "phone": phone,
                "email": email,
                "street": street,
                "street_2": None,
            },
        }
        self._set_guest(reservation, guest)
        self._set_lines(reservation, stays)
        self.reservations[hr_number] = reservation
        self._new_message(reservation)
        return hr_number

    def modify_reservation(
        self,
        hr_number: str,
        *,
        stays: Sequence[tuple[str, date, date]] | None = None,
        guest: str | None = None,
    ) -> None:
        """Change stays and/or guest; a new undelivered message is queued."""
        reservation = self.reservations[hr_number]
        if stays is not None:
            self._set_lines(reservation, stays)
        if guest is not None:
            self._set_guest(reservation, guest)
        reservation["modified"] = True
        reservation["updated_at"] = _stamp(self._now())
        self._new_message(reservation)

    def cancel_reservation(self, hr_number: str) -> None:
        """Cancel on the guest's request; a new undelivered message is queued."""
        reservation = self.reservations[hr_number]
        self._set_state(reservation, "canceled")
        reservation["cancel_reason"] = "customer"
        reservation["updated_at"] = _stamp(self._now())
        self._new_message(reservation)

    def is_delivered(self, hr_number: str) -> bool:
        """Tell whether the reservation's current message has been acknowledged."""
        return (
            self.confirmations_enabled
            and hr_number in self.reservations
            and hr_number not in self._undelivered
        )

    async def push(self, hr_number: str) -> None:
        """POST the reservation, as listed, to push_url the way HotelRunner's realtime push does.

        Form-encoded, one field ``data`` holding ``{"reservations": [...]}``; the property's own
        token and hr_id are appended to the URL's query, the only check there is (no signature).
        The message stays undelivered: only ``PUT /reservations/~`` confirms it. Not counted
        against the quota, which is for requests made to HotelRunner. (The real one wants HTTPS;
        tests receive on loopback HTTP.)
        """
        if not self.push_url:
            return
        url = URL(self.push_url).extend_query(token=self.token, hr_id=self.hr_id)
        payload = {"reservations": [self.reservations[hr_number]]}
        form = {"data": json.dumps(payload, ensure_ascii=False, separators=(",", ":"))}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=form) as answer,
        ):
            self.push_answers.append(answer.status)

    def used_in_last(self, seconds: float) -> int:
        """Count quota-counted requests in the last ``seconds`` (at most one day back)."""
        horizon = self._clock() - seconds
        return sum(1 for moment in self._used if moment > horizon)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=PROPERTY_TZ)

    def _new_message(self, reservation: dict[str, Any]) -> None:
        uid = secrets.token_hex(17)
        reservation["message_uid"] = uid
        self._messages[uid] = reservation["hr_number"]
        self._undelivered.add(reservation["hr_number"])

    @staticmethod
    def _set_guest(reservation: dict[str, Any], guest: str) -> None:
        first, _, last = guest.strip().partition(" ")
        reservation |= {"guest": guest, "firstname": first, "lastname": last}

    @staticmethod
    def _set_state(reservation: dict[str, Any], state: str) -> None:
        reservation["state"] = state
        for line in reservation["rooms"]:
            line["state"] = state

    def _set_lines(
        self, reservation: dict[str, Any], stays: Sequence[tuple[str, date, date]]
    ) -> None:
        lines = [
            self._line(inv, checkin, checkout, reservation["state"])
            for inv, checkin, checkout in stays
        ]
        total = sum(line["total"] for line in lines)
        reservation |= {
            "rooms": lines,
            "total_rooms": len(lines),
            "total_guests": sum(line["total_guest"] for line in lines),
            "checkin_date": min(line["checkin_date"] for line in lines),
            "checkout_date": max(line["checkout_date"] for line in lines),
            "sub_total": total,
            "extras_total": 0.0,
            "adjustments_total": 0.0,
            "tax_total": round(total * 0.08, 2),
            "item_total": str(total),
            "total": total,
        }

    def _line(self, inv_code: str, checkin: date, checkout: date, state: str) -> dict[str, Any]:
        names = {row["rate_code"]: row["name"] for row in self.rooms}
        nights = max((checkout - checkin).days, 0)
        return {
            "state": state,
            "rate_code": inv_code,
            "inv_code": inv_code,
            "price": nights * _NIGHTLY,
            "total": nights * _NIGHTLY,
            "non_refundable": False,
            "nights": nights,
            "total_guest": 2,
            "total_adult": 2,
            "child_ages": [],
            # Unmapped room types land on the master "Default Room", as in reality.
            "name": f"{names.get(inv_code, 'Default Room')} - Standard Rate",
            "checkin_date": checkin.isoformat(),
            "checkout_date": checkout.isoformat(),
            "extra_info": "Meal Plan: Breakfast included",
            "daily_prices": [
                {"date": (checkin + timedelta(days=n)).isoformat(), "price": str(_NIGHTLY)}
                for n in range(nights)
            ],
            "extras": [],
        }

    # ---- HTTP ----

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the ``/api/v2/apps`` routes."""
        router.add_get("/api/v2/apps/rooms", self._rooms)
        router.add_get("/api/v2/apps/reservations", self._list)
        router.add_put("/api/v2/apps/reservations/~", self._ack)
        router.add_put("/api/v2/apps/reservations/fire", self._fire)

    async def guard(self, request: web.Request) -> web.StreamResponse | None:
        """Check token/hr_id in the query, then the request quota."""
        query = request.query
        if query.get("token") != self.token or query.get("hr_id") != self.hr_id:
            return _error("unauthorized", status=401)
        now = self._clock()
        while self._used and self._used[0] <= now - _DAY:
            self._used.popleft()
        if self.enforce_quota and (
            self.used_in_last(60) >= self.per_minute or self.used_in_last(_DAY) >= self.per_day
        ):
            self.quota_rejections += 1  # refused requests do not spend quota
            return _error("too_many_requests", status=429)
        self._used.append(now)
        return None

    def rate_limited(self, retry_after: str) -> web.Response:
        """HotelRunner's 429 body is its usual error object."""
        return json_response(
            {"status": "error", "message": "too_many_requests"},
            status=429,
            headers={"Retry-After": retry_after},
        )

    async def _rooms(self, _: web.Request) -> web.Response:
        return json_response({"rooms": self.rooms})

    async def _list(self, request: web.Request) -> web.Response:
        query = request.query
        number = query.get("reservation_number")
        # A lookup by number is explicit: the queue and age defaults do not hide it.
        undelivered = is_true(query.get("undelivered", "false" if number else "true"))
        bounds: dict[str, date | None] = {}
        for key in ("from_date", "from_last_update_date"):
            bounds[key] = parse_day(query[key]) if key in query else None
            if key in query and bounds[key] is None:
                return _error("invalid_date", status=400)
        # The 10-day default narrows listings; the queue holds every unconfirmed change
        # (how LockBridge sees changes to older reservations: an assumption, see coordinator).
        if "from_date" not in query and not number and not undelivered:
            bounds["from_date"] = self._now().date() - timedelta(days=10)
        try:
            per_page = min(max(int(query.get("per_page", "10")), 1), 50)
            page = max(int(query.get("page", "1")), 1)
        except ValueError:
            return _error("invalid_parameter", status=400)
        only_modified = is_true(query.get("modified"))
        only_booked = is_true(query.get("booked"))

        def wanted(res: dict[str, Any]) -> bool:
            created, updated = res["completed_at"][:10], res["updated_at"][:10]
            since, touched = bounds["from_date"], bounds["from_last_update_date"]
            return (
                # Without confirmation nothing can leave the queue: the undelivered listing is
                # every reservation, whatever was confirmed while it was enabled.
                (
                    not undelivered
                    or not self.confirmations_enabled
                    or res["hr_number"] in self._undelivered
                )
                and (number is None or number in {res["hr_number"], res["provider_number"]})
                and (since is None or created >= since.isoformat())
                and (touched is None or updated >= touched.isoformat())
                and not (only_modified and not res["modified"])
                and not (only_booked and res["modified"])
            )

        matching = sorted(
            (res for res in self.reservations.values() if wanted(res)),
            key=lambda res: res["reservation_id"],
        )
        start = (page - 1) * per_page
        return json_response(
            {
                "reservations": matching[start : start + per_page],
                "count": len(matching),
                "current_page": page,
                "pages": max(math.ceil(len(matching) / per_page), 1),
            }
        )

    async def _ack(self, request: web.Request) -> web.Response:
        if not self.confirmations_enabled:
            # Unknown: the body and status HotelRunner gives when confirmation is not enabled
            # for the account. Guessed as its usual application error (HTTP 200 + status
            # error), so that a client must read `status`, as it must for /fire.
            return _error("delivery_confirmation_not_enabled")
        uid = request.query.get("message_uid")
        if not uid:
            return _error("missing_message_uid", status=400)
        hr_number = self._messages.get(uid)
        if hr_number is None or hr_number not in self.reservations:
            return _error("not_found", status=404)
        reservation = self.reservations[hr_number]
        # Acking an older message of a since-modified reservation must not hide the new one.
        if reservation["message_uid"] == uid:
            self._undelivered.discard(hr_number)
        if self.on_confirm is not None:
            self.on_confirm(hr_number)
        if pms_number := request.query.get("pms_number"):
            reservation["pms_number"] = pms_number
        return _ok()

    async def _fire(self, request: web.Request) -> web.Response:
        query = request.query
        event, reason = query.get("event"), query.get("cancel_reason")
        if not query.get("hr_number") or event not in {"confirm", "cancel"}:
            return _error("missing_parameter", status=400)
        if event == "cancel" and reason not in CANCEL_REASONS:
            return _error("invalid_cancel_reason", status=400)
        reservation = self.reservations.get(query["hr_number"])
        if reservation is None:
            return _error("not_found", status=404)
        if not reservation["requires_response"] or reservation["state"] == "canceled":
            return _error("state_change_is_not_available")
        self._set_state(reservation, "confirmed" if event == "confirm" else "canceled")
        if event == "cancel":
            reservation["cancel_reason"] = reason
        reservation["requires_response"] = False
        reservation["updated_at"] = _stamp(self._now())
        return _ok()


def _stamp(moment: datetime) -> str:
    """Format like HotelRunner: ``2026-05-02T14:07:12.000+03:00``."""
    return moment.astimezone(PROPERTY_TZ).isoformat(timespec="milliseconds")
