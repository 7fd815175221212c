"""iCal booking feeds: fetched bounded, parsed leniently, off the event loop.

Real feeds are not what RFC 5545 says (ical.md): `DTSTAMP :` with a space, broken lines,
NUL bytes, no DTEND, no SUMMARY, `X-WR-TIMEZONE` instead of TZIDs, Windows zone names. The
parser (`icalendar`, lenient: a bad line or value harms only its own event) keeps what it
can read and says why it skipped the rest. `parse_feed` is blocking (it reads time-zone
files and may take a second on a large feed): run it in an executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import hashlib
import re
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from yarl import URL

from ._http import MAX_BODY, _read_bounded
from .errors import (
    ApiTimeoutError,
    CommunicationError,
    InvalidResponseError,
    NotFoundError,
    RequestRejectedError,
)

#: A feed of a few years of stays is under 1 MB; 8 MB is far beyond any real one.
MAX_FEED_BYTES = MAX_BODY
#: Events read from one feed; a feed with more is read up to here and marked incomplete.
MAX_EVENTS = 20_000
#: An unfolded line longer than this is dropped (a DESCRIPTION is a few hundred characters).
MAX_LINE = 16_384
MAX_UID = 255
MAX_SUMMARY = 255
MAX_DESCRIPTION = 2_000
FETCH_TIMEOUT = 30.0
#: Redirects followed (a PMS behind a CDN); never from https down to http.
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: The start of a content line ("NAME;PARAM=...:" or "NAME:"), or a folded continuation.
_CONTENT_LINE = re.compile(r"[ \t]|[A-Za-z0-9-]+\s*[;:]")


class SkipReason:
    """Why an event of a feed was not read (shown as counts, never with the event)."""

    RECURRING = "recurring"
    NO_START = "no_start"
    BAD_DATES = "bad_dates"
    NO_END = "no_end"


@dataclass(frozen=True, slots=True)
class IcalEvent:
    """One VEVENT, as far as a booking needs it. Times are aware, in the feed's zone."""

    uid: str
    summary: str
    description: str
    start: date | datetime
    #: None when the event has neither DTEND nor DURATION.
    end: date | datetime | None
    #: STATUS, upper case; "" when absent.
    status: str = ""


@dataclass(frozen=True, slots=True)
class IcalFeed:
    """What a feed held."""

    events: tuple[IcalEvent, ...]
    #: (uid, SkipReason) for each event left out.
    skipped: tuple[tuple[str, str], ...]
    #: The whole calendar was read: it ended (END:VCALENDAR) and no bound was hit. Only a
    #: complete feed may say that a reservation is gone.
    complete: bool
    #: The zone its floating times were read in: the calendar's own, else the unit's.
    zone: str
    #: Of the raw bytes: a feed that did not change is not parsed again.
    digest: str


@dataclass(frozen=True, slots=True)
class FeedAnswer:
    """A fetch: the body, or None when the server said it did not change (304)."""

    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None


#: DTSTAMP is the time of the export, new at every read on Airbnb: left out of the digest.
_STAMP = re.compile(rb"^DTSTAMP[;:][^\n]*\n", re.MULTILINE | re.IGNORECASE)


def digest_of(raw: bytes) -> str:
    """The digest `IcalFeed.digest` holds: the same for a feed whose events did not change."""
    return hashlib.sha256(_STAMP.sub(b"", raw)).hexdigest()


class IcalClient:
    """One feed URL (a secret: Airbnb's and others' carry a token, so it is never logged)."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, *, timeout: float = FETCH_TIMEOUT
    ) -> None:
        self._session = session
        self._url = URL(url)
        self._timeout = timeout

    async def fetch(self, etag: str | None = None, last_modified: str | None = None) -> FeedAnswer:
        """The feed's bytes; `etag`/`last_modified` from the last answer make it conditional.

        Errors say what went wrong, never the address (aiohttp's own errors can hold it).
        """
        headers = {"Accept": "text/calendar, text/plain;q=0.8, */*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        failure: Exception
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(headers, etag, last_modified)
        except TimeoutError:
            failure = ApiTimeoutError(f"feed: no answer within {self._timeout:g} s")
        except aiohttp.ClientError as err:
            failure = CommunicationError(f"feed: connection failed ({type(err).__name__})")
        raise failure

    async def _follow(
        self, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> FeedAnswer:
        """Redirects followed by hand: each hop checked before the token is sent there."""
        url = self._url
        for _ in range(MAX_REDIRECTS + 1):
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                location = resp.headers.get("Location")
                if resp.status in _REDIRECTS and location:
                    try:
                        url = url.join(URL(location))
                    except ValueError:  # a Location no URL can be made of (a bad port...)
                        raise InvalidResponseError("feed: a redirect to no address") from None
                    if self._url.scheme == "https" and url.scheme != "https":
                        raise RequestRejectedError("feed: redirected from https to http, refused")
                    continue
                if resp.status == 304:
                    return FeedAnswer(None, etag, last_modified)
                _raise_for_status(resp.status)
                body = await _read_bounded(resp, "feed")
                return FeedAnswer(body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        raise CommunicationError("feed: too many redirects")


def _raise_for_status(status: int) -> None:
    if status == 200:
        return
    if status >= 500 or status == 429:
        raise CommunicationError(f"feed: server error (HTTP {status})")
    if status in (404, 410):
        raise NotFoundError(f"feed: not found (HTTP {status})")
    # 401/403: a revoked export link; not "log in again" (there is no login).
    raise RequestRejectedError(f"feed: refused (HTTP {status})")


def _decode(raw: bytes) -> str:
    """UTF-8, as RFC 5545 says; a feed that is not (an old PMS's Latin-1) is read as cp1252."""
    raw = raw.replace(b"\x00", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")


def _clean_lines(raw: bytes) -> tuple[list[str], bool]:
    """The unfolded lines, NUL bytes, overlong and broken lines gone; whether it ends."""
    text = _decode(raw)
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        # An HTML error page or a login wall answered 200: not a calendar, not an empty one.
        raise InvalidResponseError("feed: the answer is not a calendar")
    kept: list[str] = []
    dropping = False
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            if not dropping and kept and len(kept[-1]) + len(line) <= MAX_LINE:
                kept[-1] += line[1:]
            elif not dropping and kept:
                kept.pop()  # the whole line goes, not its first 16 kB
                dropping = True
            continue
        dropping = not _CONTENT_LINE.match(line) or len(line) > MAX_LINE
        if not dropping:
            kept.append(line)
    ended = any(line.strip().upper() == "END:VCALENDAR" for line in kept[-3:])
    if not ended:
        # Cut short (a dropped connection): the whole events before the cut are read, the
        # calendar is marked incomplete, and the event the cut fell in is left out.
        last = max((i for i, line in enumerate(kept) if line.upper() == "END:VEVENT"), default=0)
        kept = [*kept[: last + 1], "END:VCALENDAR"]
    return kept, ended


def parse_feed(raw: bytes, zone_name: str) -> IcalFeed:
    """Read a feed's events (blocking: run it in an executor).

    Times are given in `zone_name`, the unit's (its lock's), where the engine reads a
    stay's wall-clock hours; floating ones are the calendar's own (`X-WR-TIMEZONE`), else
    the unit's. When the parser drops or refuses part of the calendar (an event that never
    ends, a stray line), each event is read on its own, so that one harms only itself.
    """
    import icalendar  # noqa: PLC0415  # imported on first use: it is slow to import

    lines, ended = _clean_lines(raw)
    unit_zone = _zone(zone_name) or ZoneInfo("UTC")
    begun = sum(1 for line in lines if line.upper() == "BEGIN:VEVENT")
    try:
        calendars = icalendar.Calendar.from_ical("\r\n".join(lines) + "\r\n", multiple=True)
    except Exception:  # whatever the parser trips on: read event by event
        calendars = []
    reading = _Reading(unit_zone, complete=ended)
    for calendar in calendars:
        reading.calendar(calendar)
    if len(reading.events) + len(reading.skipped) < min(begun, MAX_EVENTS):
        reading = _Reading(unit_zone, complete=ended)
        for calendar, uid in _one_by_one(lines):
            if calendar is None:
                reading.broken(uid)
            else:
                reading.calendar(calendar)
    floating = reading.floating.key if reading.floating else unit_zone.key
    return IcalFeed(
        tuple(reading.events), tuple(reading.skipped), reading.complete, floating, digest_of(raw)
    )


class _Reading:
    """The events read so far, and whether the feed is still whole."""

    def __init__(self, unit_zone: ZoneInfo, *, complete: bool) -> None:
        self.unit_zone = unit_zone
        self.complete = complete
        self.floating: ZoneInfo | None = None
        self.events: list[IcalEvent] = []
        self.skipped: list[tuple[str, str]] = []

    def calendar(self, calendar: Any) -> None:
        import x_wr_timezone  # type: ignore[import-untyped]  # noqa: PLC0415

        own = _zone(_text(calendar.get("X-WR-TIMEZONE"), 64))
        if own is not None:
            self.floating = own
            # A library fault must not cost the feed: the times are converted below anyway.
            with suppress(Exception):
                calendar = x_wr_timezone.to_standard(calendar)
        for component in calendar.walk("VEVENT"):
            if len(self.events) + len(self.skipped) >= MAX_EVENTS:
                self.complete = False
                return
            try:
                event, reason = _event(component, own or self.unit_zone, self.unit_zone)
            except Exception:  # an event the parser half-read: it alone is left out
                event, reason = None, SkipReason.BAD_DATES
            if event is not None:
                self.events.append(event)
            else:
                self.skipped.append((_text(component.get("UID"), MAX_UID), reason))

    def broken(self, uid: str) -> None:
        """An event that cannot be read: skipped by its UID.

        Without a UID the feed is not whole: a reservation in it would look missing.
        """
        if uid:
            self.skipped.append((uid, SkipReason.BAD_DATES))
        else:
            self.complete = False


def _one_by_one(lines: list[str]) -> Iterator[tuple[Any, str]]:
    """Each VEVENT as a calendar of its own (with the feed's zones); None when unreadable."""
    import icalendar  # noqa: PLC0415

    context: list[str] = []  # X-WR-TIMEZONE and the VTIMEZONEs: what an event's times need
    block: list[str] | None = None
    depth = 0
    for line in lines:
        upper = line.upper()
        if upper == "BEGIN:VEVENT":
            if block is not None:
                yield None, _uid_in(block)  # it never ended
            block = [line]
            continue
        if block is not None:
            block.append(line)
            if upper == "END:VEVENT":
                text = "\r\n".join(["BEGIN:VCALENDAR", *context, *block, "END:VCALENDAR", ""])
                try:
                    yield icalendar.Calendar.from_ical(text), ""
                except Exception:  # this event only
                    yield None, _uid_in(block)
                block = None
            continue
        if upper == "BEGIN:VTIMEZONE":
            depth += 1
        if depth or upper.startswith("X-WR-TIMEZONE"):
            context.append(line)
        if upper == "END:VTIMEZONE":
            depth = max(depth - 1, 0)
    if block is not None:
        yield None, _uid_in(block)


def _uid_in(block: list[str]) -> str:
    for line in block:
        name, sep, value = line.partition(":")
        if sep and name.split(";", 1)[0].strip().upper() == "UID":
            return value.strip()[:MAX_UID]
    return ""


def _event(component: Any, floating: ZoneInfo, zone: ZoneInfo) -> tuple[IcalEvent | None, str]:
    uid = _text(component.get("UID"), MAX_UID)
    if component.get("RRULE") is not None or component.get("RDATE") is not None:
        # A stay does not repeat: a recurring event is a host's note or a rule, not a booking.
        return None, SkipReason.RECURRING
    start = _moment(component.get("DTSTART"), floating, zone)
    if start is None:
        return None, SkipReason.NO_START if "DTSTART" not in component else SkipReason.BAD_DATES
    end: date | datetime | None
    if "DTEND" in component:
        end = _moment(component.get("DTEND"), floating, zone)
        if end is None:
            return None, SkipReason.BAD_DATES
    elif (duration := _duration(component.get("DURATION"))) is not None:
        end = start + duration
    else:
        end = None
    if isinstance(start, datetime) != isinstance(end, datetime) and end is not None:
        # DTSTART a date, DTEND a time (or the reverse): the days are what a host means.
        start, end = _day(start), _day(end)
    return (
        IcalEvent(
            uid=uid,
            summary=_text(component.get("SUMMARY"), MAX_SUMMARY),
            description=_text(component.get("DESCRIPTION"), MAX_DESCRIPTION),
            start=start,
            end=end,
            status=_text(component.get("STATUS"), 20).upper(),
        ),
        "",
    )


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _moment(prop: Any, floating: ZoneInfo, zone: ZoneInfo) -> date | datetime | None:
    """A DTSTART/DTEND as a date, or an aware datetime in `zone`; None when unreadable.

    A floating time is a wall time in `floating` (the calendar's zone).
    """
    try:
        value = prop.dt
    except Exception:  # icalendar raises its own errors for broken values
        return None
    if isinstance(value, datetime):
        try:
            return (value if value.tzinfo else value.replace(tzinfo=floating)).astimezone(zone)
        except (OverflowError, ValueError):
            return None
    return value if isinstance(value, date) else None


def _duration(prop: Any) -> timedelta | None:
    try:
        value = prop.dt
    except Exception:
        return None
    return value if isinstance(value, timedelta) and value > timedelta(0) else None


def _zone(name: str) -> ZoneInfo | None:
    """An IANA zone, or a Windows one (Outlook and Exchange write those); None if unknown."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON  # noqa: PLC0415

    for candidate in (name, WINDOWS_TO_OLSON.get(name)):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (KeyError, ValueError, OSError):  # not found (a KeyError), or path-like
            continue
    return None


def _text(value: Any, limit: int) -> str:
    """A property's text, one line per line, bounded; "" when absent."""
    if value is None:
        return ""
    if isinstance(value, list):  # a property given twice: the first one
        value = value[0] if value else ""
    text = str(value).replace("\x00", "")
    return text[:limit].strip()
