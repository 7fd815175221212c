"""iCal feed server: one export calendar per unit, shaped like each platform's (ical.md).

A feed is a list of events (or a raw body set by a test), served at ``/feeds/{token}.ics``
as Airbnb, Booking.com and Vrbo serve theirs: `text/calendar`, a fresh DTSTAMP on every
read, an ETag. The token is the feed's secret, as in the real export addresses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
import hashlib
import secrets
from typing import Any

from aiohttp import web

from .common import SimulatorBase, parse_day, wall_clock

#: What each platform writes (summary, description) for a reservation and a block.
PLATFORM_SHAPES = {
    "airbnb": ("Reserved", "Airbnb (Not available)"),
    "booking": ("CLOSED - {guest}", "CLOSED - Not available"),
    "vrbo": ("Reserved - {guest}", "Blocked"),
    "other": ("{guest}", "Blocked"),
}


@dataclass
class SimEvent:
    """One VEVENT of a feed."""

    uid: str
    start: date
    end: date
    guest: str = ""
    #: Airbnb's reservation code (HM + 8), shown in its description with the phone digits.
    code: str = ""
    phone_last4: str = ""
    block: bool = False


@dataclass
class SimFeed:
    """A unit's export calendar on one platform."""

    platform: str
    events: list[SimEvent] = field(default_factory=list)
    #: Served as is instead of the events (a test's broken body), with this content type.
    raw: bytes | None = None
    content_type: str = "text/calendar"
    #: Answer the next n reads with this status (500...) or an HTML page (status 0).
    fail_next: int = 0
    fail_status: int = 500
    #: Leave these UIDs out of the next n reads (a platform dropping an event for a night).
    hidden: set[str] = field(default_factory=set)
    hide_reads: int = 0


class IcalSimulator(SimulatorBase):
    """Export calendars, by token; changed by tests and the control API."""

    def __init__(self) -> None:
        super().__init__()
        self.feeds: dict[str, SimFeed] = {}

    def add_feed(self, platform: str, token: str | None = None) -> str:
        """A new empty feed; returns its token (the secret part of its address)."""
        token = token or secrets.token_hex(16)
        self.feeds[token] = SimFeed(platform)
        return token

    def add_event(self, token: str, event: SimEvent) -> SimEvent:
        """A reservation (or a block) appears in a feed."""
        self.feeds[token].events.append(event)
        return event

    def book(
        self, token: str, start: date, end: date, guest: str = "", *, phone_last4: str = ""
    ) -> SimEvent:
        """A reservation, with the platform's UID and (Airbnb) reservation code."""
        feed = self.feeds[token]
        seed = hashlib.sha256(f"{token}{start}{end}{guest}{len(feed.events)}".encode()).hexdigest()
        uid = f"{seed[:12]}-{seed[12:44]}@{feed.platform}.sim"
        code = f"HM{seed[:8].upper()}" if feed.platform == "airbnb" else ""
        return self.add_event(
            token, SimEvent(uid, start, end, guest, code=code, phone_last4=phone_last4)
        )

    def block(self, token: str, start: date, end: date) -> SimEvent:
        """Closed days (the host's, or a lead-time window): an event that is no stay."""
        feed = self.feeds[token]
        seed = hashlib.sha256(f"{token}{start}{end}block{len(feed.events)}".encode()).hexdigest()
        uid = f"{seed[:12]}-{seed[12:44]}@{feed.platform}.sim"
        return self.add_event(token, SimEvent(uid, start, end, block=True))

    @property
    def issued_tokens(self) -> list[str]:
        """The feeds' tokens: secrets, as the leak guard (tests/conftest.py) reads them."""
        return list(self.feeds)

    def cancel(self, token: str, uid: str) -> None:
        """A reservation leaves the feed (what a cancellation looks like in iCal)."""
        feed = self.feeds[token]
        feed.events = [event for event in feed.events if event.uid != uid]

    def move(self, token: str, uid: str, start: date, end: date) -> None:
        """A reservation's dates change (its UID stays)."""
        for event in self.feeds[token].events:
            if event.uid == uid:
                event.start, event.end = start, end

    def calendar(self, token: str) -> bytes:
        """The feed as the platform would serve it now."""
        feed = self.feeds[token]
        stamp = datetime.fromtimestamp(wall_clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:-//LockBridge simulator//{feed.platform}//EN",
            "CALSCALE:GREGORIAN",
        ]
        reservation, block = PLATFORM_SHAPES[feed.platform]
        hidden = feed.hidden if feed.hide_reads > 0 else set()
        for event in feed.events:
            if event.uid in hidden:
                continue
            summary = block if event.block else reservation.format(guest=event.guest)
            lines += [
                "BEGIN:VEVENT",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
                f"DTEND;VALUE=DATE:{event.end:%Y%m%d}",
                f"UID:{event.uid}",
                f"SUMMARY:{summary}",
            ]
            if event.code and not event.block:
                description = (
                    "Reservation URL: https://www.airbnb.com/hosting/reservations/details/"
                    f"{event.code}"
                )
                if event.phone_last4:
                    description += f"\\nPhone Number (Last 4 Digits): {event.phone_last4}"
                lines.append(f"DESCRIPTION:{description}")
            lines.append("END:VEVENT")
        lines.append("END:VCALENDAR")
        return ("\r\n".join(lines) + "\r\n").encode()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """GET /feeds/{token}.ics."""
        router.add_get("/feeds/{token}.ics", self._serve)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        feed = self.feeds.get(request.match_info["token"])
        if feed is None:
            return web.Response(status=404, text="Not Found")
        if feed.fail_next > 0:
            feed.fail_next -= 1
            if feed.fail_status == 0:
                return web.Response(
                    status=200, text="<html><body>Sign in</body></html>", content_type="text/html"
                )
            return web.Response(status=feed.fail_status, text="Server error")
        body = feed.raw if feed.raw is not None else self.calendar(request.match_info["token"])
        if feed.hide_reads > 0:
            feed.hide_reads -= 1
        # DTSTAMP changes every read, as on Airbnb: the ETag follows the content without it.
        etag = '"' + hashlib.sha256(_without_stamps(body)).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body,
            headers={"ETag": etag, "Content-Type": f"{feed.content_type}; charset=utf-8"},
        )

    def control(self, token: str, body: dict[str, Any]) -> None:
        """The control API's changes to a feed (see tests/fakes/__main__.py)."""
        feed = self.feeds[token]
        if "fail_next" in body:
            feed.fail_next = int(body["fail_next"])
            feed.fail_status = int(body.get("status", 500))
        if "empty" in body:
            feed.raw = (
                b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:sim\r\nEND:VCALENDAR\r\n"
                if body["empty"]
                else None
            )
        if "hide" in body:
            feed.hidden = set(body["hide"])
            feed.hide_reads = int(body.get("reads", 1))

    def add_control_routes(self, router: web.UrlDispatcher, prefix: str) -> None:
        """The control API under `prefix` (documented in tests/fakes/__main__.py)."""
        router.add_post(f"{prefix}/feeds/{{token}}/reservations", self._control_add)
        router.add_patch(f"{prefix}/feeds/{{token}}/reservations/{{uid}}", self._control_move)
        router.add_delete(f"{prefix}/feeds/{{token}}/reservations/{{uid}}", self._control_cancel)
        router.add_put(f"{prefix}/feeds/{{token}}", self._control_feed)

    def _known_feed(self, request: web.Request) -> str:
        token = request.match_info["token"]
        if token not in self.feeds:
            raise web.HTTPNotFound(text="no such feed")
        return token

    def _known_event(self, request: web.Request) -> tuple[str, SimEvent]:
        token = self._known_feed(request)
        uid = request.match_info["uid"]
        for event in self.feeds[token].events:
            if event.uid == uid:
                return token, event
        raise web.HTTPNotFound(text="no such event")

    async def _control_add(self, request: web.Request) -> web.Response:
        token = self._known_feed(request)
        body = await _json_object(request)
        start, end = _stay(body, None)
        guest, phone = body.get("guest", ""), body.get("phone_last4", "")
        if not isinstance(guest, str) or not isinstance(phone, str):
            raise web.HTTPBadRequest(text="guest, phone_last4: strings")
        if body.get("block"):
            event = self.block(token, start, end)
        else:
            event = self.book(token, start, end, guest, phone_last4=phone)
        return _event_response(event)

    async def _control_move(self, request: web.Request) -> web.Response:
        token, event = self._known_event(request)
        start, end = _stay(await _json_object(request), event)
        self.move(token, event.uid, start, end)
        return _event_response(event)

    async def _control_cancel(self, request: web.Request) -> web.Response:
        token, event = self._known_event(request)
        self.cancel(token, event.uid)
        return _event_response(event)

    async def _control_feed(self, request: web.Request) -> web.Response:
        token = self._known_feed(request)
        body = await _json_object(request)
        hide = body.get("hide", [])
        if not isinstance(hide, list) or not all(isinstance(uid, str) for uid in hide):
            raise web.HTTPBadRequest(text="hide: a list of UIDs")
        try:
            self.control(token, body)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="fail_next, status, reads: integers") from None
        feed = self.feeds[token]
        return web.json_response(
            {
                "fail_next": feed.fail_next,
                "status": feed.fail_status,
                "empty": feed.raw is not None,
                "hidden": sorted(feed.hidden) if feed.hide_reads > 0 else [],
                "reads": feed.hide_reads,
            }
        )


def _event_response(event: SimEvent) -> web.Response:
    return web.json_response(asdict(event) | {"start": str(event.start), "end": str(event.end)})


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON object is needed") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is needed")
    return body


def _stay(body: dict[str, Any], current: SimEvent | None) -> tuple[date, date]:
    """The dates in a control body (`current`'s where one is left out); 400 if not a stay."""
    days = []
    for key in ("start", "end"):
        raw = body.get(key)
        if raw is None and current is not None:
            days.append(getattr(current, key))
            continue
        day = parse_day(raw) if isinstance(raw, str) else None
        if day is None:
            raise web.HTTPBadRequest(text=f"{key}: a YYYY-MM-DD date is needed")
        days.append(day)
    start, end = days
    if end <= start:
        raise web.HTTPBadRequest(text="end: after start")
    return start, end


def _without_stamps(body: bytes) -> bytes:
    return b"\n".join(line for line in body.split(b"\n") if not line.startswith(b"DTSTAMP"))
