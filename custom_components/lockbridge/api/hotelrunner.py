"""Async client for the HotelRunner Custom Apps REST API (rooms, reservations).

Authentication is by `token` and `hr_id` in the query string; both are scrubbed from
every message. Every request first takes a slot from the request budget.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
import logging
import time
from typing import Any

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
    as_list,
    as_opt_str,
    as_str,
    is_later,
    parse_date,
    parse_datetime,
)
from .budget import DAY, MINUTE, RequestBudget
from .errors import (
    AuthenticationError,
    CommunicationError,
    InvalidResponseError,
    RateLimitedError,
    RequestRejectedError,
)
from .models import HotelRunnerReservation, HotelRunnerRoom, HotelRunnerRoomStay

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://app.hotelrunner.com/api/v2/apps"
DEFAULT_TIMEOUT = 30.0
PER_PAGE = 50  # the documented maximum
#: Refuse to read more pages than this: a listing cut short must not look complete.
DEFAULT_MAX_PAGES = 20
#: Application errors that mean the credentials were refused (body shape is inferred).
_AUTH_MESSAGES = {"unauthorized", "invalid_token", "forbidden"}


class HotelRunnerClient:
    """One HotelRunner property (`hr_id`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        hr_id: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        budget: RequestBudget | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self._session = session
        self._token = token
        self._hr_id = hr_id
        self._base = URL(base_url.rstrip("/"))
        self._timeout = timeout
        self._max_pages = max_pages
        self.budget = budget or RequestBudget()
        self._scrub = Scrubber(token, hr_id)

    async def get_rooms(self) -> tuple[HotelRunnerRoom, ...]:
        """Every row of the room list (one per rate plan)."""
        body = await self._request("GET", "rooms", {}, "HotelRunner rooms")
        items = as_dict(body).get("rooms")
        if not isinstance(items, list):
            raise InvalidResponseError("HotelRunner rooms: unexpected answer shape")
        rooms = []
        for raw in items:
            item = as_dict(raw)
            inv_code = as_str(item.get("inv_code"))
            if inv_code:
                rooms.append(
                    HotelRunnerRoom(
                        inv_code=inv_code,
                        rate_code=as_str(item.get("rate_code")) or inv_code,
                        name=as_str(item.get("name")) or inv_code,
                        is_master=as_bool(item.get("is_master")),
                    )
                )
        return tuple(rooms)

    async def get_reservations(
        self,
        *,
        from_date: date | None = None,
        from_last_update_date: date | None = None,
        undelivered: bool = False,
        modified: bool | None = None,
        booked: bool | None = None,
        reservation_number: str | None = None,
    ) -> tuple[HotelRunnerReservation, ...]:
        """Reservations, every page read (one budget slot per page).

        `undelivered=False` lists everything rather than the unacknowledged queue. Mind
        the cloud's defaults: without `from_date` only reservations *created* in the last
        10 days are listed (and at most ~30 days back), so pass the dates you need.
        A reservation listed twice (queue messages) comes back once, newest first, with
        every `message_uid` to acknowledge.
        """
        params: dict[str, str] = {"undelivered": _flag(undelivered), "per_page": str(PER_PAGE)}
        if from_date is not None:
            params["from_date"] = from_date.isoformat()
        if from_last_update_date is not None:
            params["from_last_update_date"] = from_last_update_date.isoformat()
        if modified is not None:
            params["modified"] = _flag(modified)
        if booked is not None:
            params["booked"] = _flag(booked)
        if reservation_number is not None:
            params["reservation_number"] = reservation_number

        what = "HotelRunner reservations"
        found: dict[str, HotelRunnerReservation] = {}
        skipped = 0
        page = 1
        while True:
            body = as_dict(
                await self._request(
                    "GET",
                    "reservations",
                    {**params, "page": str(page)},
                    what,
                    # Later pages may wait for a per-minute slot rather than fail the listing.
                    wait=MINUTE if page > 1 else 0.0,
                )
            )
            items = body.get("reservations")
            if not isinstance(items, list):
                raise InvalidResponseError(f"{what}: unexpected answer shape")
            for raw in items:
                reservation = parse_reservation(raw)
                if reservation is None:
                    skipped += 1
                else:
                    found[reservation.hr_number] = _merge(
                        found.get(reservation.hr_number), reservation
                    )
            # `count` is ambiguous in the docs: loop on our page < pages (reference §4).
            pages = check_page_count(
                as_int(body.get("pages")), len(items), PER_PAGE, self._max_pages, what
            )
            if not items or page >= pages:
                break
            page += 1
        if skipped:
            _LOGGER.warning("HotelRunner: skipped %d unreadable reservation records", skipped)
        return tuple(found.values())

    async def acknowledge(self, message_uid: str, pms_number: str | None = None) -> None:
        """Confirm delivery of a reservation message (HotelRunner enables this on request)."""
        params = {"message_uid": message_uid}
        if pms_number is not None:
            params["pms_number"] = pms_number
        await self._request("PUT", "reservations/~", params, "HotelRunner delivery confirmation")

    async def _request(
        self, method: str, path: str, params: dict[str, str], what: str, *, wait: float = 0.0
    ) -> Any:
        await self.budget.acquire_within(wait)
        url = (self._base / path).with_query({"token": self._token, "hr_id": self._hr_id, **params})
        resp = await send(self._session, method, url, what=what, timeout=self._timeout)
        self._raise_for_status(resp, what)
        body = resp.json(what)
        if isinstance(body, dict) and body.get("status") in ("error", "try_again"):
            message = self._scrub(as_str(body.get("message")) or "no details")
            if body.get("status") == "try_again":
                raise CommunicationError(f"{what}: HotelRunner asked to try again")
            if message.lower() in _AUTH_MESSAGES:
                raise AuthenticationError(f"{what}: credentials refused ({message})")
            raise RequestRejectedError(f"{what}: refused ({message})")
        return body

    def _raise_for_status(self, resp: Response, what: str) -> None:
        if resp.status == 200:
            return
        if resp.status == 429:
            wait = parse_retry_after(resp.headers.get("Retry-After"), time.time())
            # The cloud's quota may be stricter than ours: pause one minute to one day.
            pause = min(max(wait or 0.0, MINUTE), DAY)
            self.budget.hold(pause)
            raise RateLimitedError(f"{what}: rate limited by HotelRunner (HTTP 429)", pause)
        raise_for_error_status(resp, what, lambda: self._detail(resp))

    def _detail(self, resp: Response) -> str:
        try:
            body = as_dict(resp.json(""))
        except InvalidResponseError:
            return self._scrub(resp.text) or "no details"
        return self._scrub(as_str(body.get("message")) or as_str(body.get("error"))) or "no details"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _merge(
    known: HotelRunnerReservation | None, new: HotelRunnerReservation
) -> HotelRunnerReservation:
    """Keep the most recently updated copy, with the message ids of both."""
    if known is None:
        return new
    newest = known if is_later(known.updated_at, new.updated_at) else new
    uids = tuple(dict.fromkeys((*known.message_uids, *new.message_uids)))
    return replace(newest, message_uids=uids)


def _parse_stay(raw: Any) -> HotelRunnerRoomStay | None:
    line = as_dict(raw)
    inv_code = as_str(line.get("inv_code"))
    if not inv_code:
        return None
    return HotelRunnerRoomStay(
        inv_code=inv_code,
        rate_code=as_str(line.get("rate_code")),
        name=as_str(line.get("name")),
        state=as_str(line.get("state")).lower(),
        checkin=parse_date(line.get("checkin_date")),
        checkout=parse_date(line.get("checkout_date")),
        adults=as_int(line.get("total_adult")),
        guests=as_int(line.get("total_guest")),
    )


def parse_reservation(raw: Any) -> HotelRunnerReservation | None:
    """A reservation, or None without an `hr_number`. Other fields are judged by the engine."""
    item = as_dict(raw)
    hr_number = as_str(item.get("hr_number"))
    if not hr_number:
        return None
    address = as_dict(item.get("address"))  # guest email/phone live here, not top-level
    return HotelRunnerReservation(
        hr_number=hr_number,
        reservation_id=as_int(item.get("reservation_id")),
        state=as_str(item.get("state")).lower(),
        guest_name=as_str(item.get("guest")),
        firstname=as_str(item.get("firstname")),
        lastname=as_str(item.get("lastname")),
        email=as_opt_str(address.get("email")),
        phone=as_opt_str(address.get("phone")),
        country=as_opt_str(item.get("country")),
        channel=as_str(item.get("channel")),
        channel_display=as_str(item.get("channel_display")),
        checkin=parse_date(item.get("checkin_date")),
        checkout=parse_date(item.get("checkout_date")),
        total_guests=as_int(item.get("total_guests")),
        completed_at=parse_datetime(item.get("completed_at")),
        updated_at=parse_datetime(item.get("updated_at")),
        message_uids=tuple(uid for uid in (as_str(item.get("message_uid")),) if uid),
        rooms=tuple(
            stay for line in as_list(item.get("rooms")) if (stay := _parse_stay(line)) is not None
        ),
    )
