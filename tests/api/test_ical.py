"""iCal: parse_feed on real feed shapes, the platforms' rules, and IcalClient over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import ipaddress
from pathlib import Path
import socket
import ssl
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.lockbridge.api import ical
from custom_components.lockbridge.api.errors import (
    ApiError,
    ApiTimeoutError,
    CommunicationError,
    InvalidResponseError,
    NotFoundError,
    RequestRejectedError,
)
from custom_components.lockbridge.api.ical import (
    MAX_EVENTS,
    MAX_FEED_BYTES,
    IcalClient,
    parse_feed,
)
from custom_components.lockbridge.api.ical_rules import (
    MAX_PATTERN,
    EventKind,
    PatternError,
    Platform,
    Reading,
    read_event,
    rules_for,
)
from custom_components.lockbridge.engine.bookings import BookingStatus
from custom_components.lockbridge.sources.ical_reading import FeedConfig, read_feed
from tests.conftest import assert_no_secret, exception_text, serve
from tests.test_ical_fixtures import HOME, UNIT, fixture

PARIS = "Europe/Paris"
#: The secret parts of a feed's address (Airbnb's `?s=` token and the path's).
TOKEN, QUERY_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "s3cr3tQ7x2LmN4pR8tV6wY1z"
TODAY = date(2026, 12, 2)
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def calendar(*events: list[str], head: tuple[str, ...] = ()) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *head]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def airbnb_feed(size: int) -> bytes:
    """An Airbnb export of about `size` bytes: its stays and blocks, as Airbnb writes them."""
    out = [
        b"BEGIN:VCALENDAR\r\nPRODID:-//Airbnb Inc//Hosting Calendar 1.0//EN\r\n"
        b"CALSCALE:GREGORIAN\r\nVERSION:2.0\r\n"
    ]
    total, n = len(out[0]), 0
    while total < size:
        day = date(2026, 11, 1) + timedelta(days=n % 2000)
        summary, desc = (
            "Reserved",
            (
                "DESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/det\r\n"
                f" ails/HM{n:08d}\\nPhone Number (Last 4 Digits): {n % 10_000:04d}\r\n"
            ),
        )
        if n % 5 == 4:
            summary, desc = "Airbnb (Not available)", ""
        chunk = (
            f"BEGIN:VEVENT\r\nDTSTAMP:20261202T061512Z\r\nDTSTART;VALUE=DATE:{day:%Y%m%d}\r\n"
            f"DTEND;VALUE=DATE:{day + timedelta(days=3):%Y%m%d}\r\nSUMMARY:{summary}\r\n"
            f"UID:{n:012x}-5e5a6b8f2e9d1c4a7b3f0e2d6c8a9b1f@airbnb.com\r\n{desc}END:VEVENT\r\n"
        ).encode()
        out.append(chunk)
        total, n = total + len(chunk), n + 1
    return b"".join([*out, b"END:VCALENDAR\r\n"])


@pytest.mark.parametrize(
    "body", [fixture("not_calendar.html"), b"", b'{"error": "invalid token"}', b"\x00" * 64]
)
def test_an_answer_that_is_not_a_calendar_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        parse_feed(body, PARIS)


def test_floating_times_without_a_calendar_zone_are_the_homes() -> None:
    raw = calendar(["UID:a", "DTSTART:20261210T160000", "DTEND:20261213T110000", "SUMMARY:A"])

    feed = parse_feed(raw, "America/New_York")

    assert feed.zone == "America/New_York"
    assert feed.events[0].start == datetime(2026, 12, 10, 16, tzinfo=ZoneInfo(feed.zone))


@pytest.mark.parametrize(
    ("declared", "zone"),
    [
        ("Mars/Olympus_Mons", PARIS),  # unknown: the home's
        ("../../etc/passwd", PARIS),  # path-like: refused, the home's
        ("W. Europe Standard Time", "Europe/Berlin"),  # Outlook's name for it
    ],
)
def test_a_calendar_zone_is_read_or_falls_back_to_the_homes(declared: str, zone: str) -> None:
    raw = calendar(
        ["UID:a", "DTSTART:20261210T160000", "DTEND:20261213T110000", "SUMMARY:A"],
        head=(f"X-WR-TIMEZONE:{declared}",),
    )

    feed = parse_feed(raw, PARIS)

    assert feed.zone == zone
    assert feed.events[0].start == datetime(2026, 12, 10, 16, tzinfo=ZoneInfo(zone))


def test_a_feed_over_the_event_bound_is_read_up_to_it_and_incomplete() -> None:
    event = ["UID:{n}", "DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261212", "SUMMARY:R"]
    many = [[line.format(n=n) for line in event] for n in range(MAX_EVENTS + 5)]

    feed = parse_feed(calendar(*many), PARIS)

    assert (len(feed.events), feed.complete) == (MAX_EVENTS, False)


def test_a_feed_at_the_event_bound_is_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ical, "MAX_EVENTS", 3)
    events = [[f"UID:{n}", "DTSTART;VALUE=DATE:20261210", "SUMMARY:R"] for n in range(3)]

    assert parse_feed(calendar(*events), PARIS).complete
    assert not parse_feed(calendar(*events, ["UID:x", "RRULE:FREQ=DAILY"]), PARIS).complete


# --- rules ----------------------------------------------------------------------------

CODE_DESC = (
    "Reservation URL: https://www.airbnb.com/hosting/reservations/details/HMABCD1234\n"
    "Phone Number (Last 4 Digits): 1234"
)
R, B, N, C = EventKind.RESERVATION, EventKind.BLOCK, EventKind.NOISE, EventKind.CANCELLED


@pytest.mark.parametrize(
    ("platform", "summary", "description", "status", "expected"),
    [
        (Platform.AIRBNB, "Reserved", CODE_DESC, "", Reading(R, "", "HMABCD1234", "1234")),
        (Platform.AIRBNB, "Airbnb (Not available)", "", "", Reading(B)),
        (Platform.AIRBNB, "Not available", "", "", Reading(B)),
        (Platform.AIRBNB, "", CODE_DESC, "", Reading(R, "", "HMABCD1234", "1234")),
        (Platform.AIRBNB, "", "", "", Reading(N)),
        (Platform.AIRBNB, "Owner stay", CODE_DESC, "", Reading(N)),
        (Platform.AIRBNB, "Reserved", CODE_DESC, "CANCELLED", Reading(C, "", "HMABCD1234", "1234")),
        (Platform.BOOKING, "CLOSED - Not available", "", "", Reading(B)),
        (Platform.BOOKING, "CLOSED - Anna Schmidt", "", "", Reading(R, "Anna Schmidt")),
        (Platform.BOOKING, "closed – Zoë  Łukasiewicz", "", "", Reading(R, "Zoë Łukasiewicz")),
        (Platform.BOOKING, "CLOSED", "", "", Reading(B)),
        (Platform.BOOKING, "Reserved", "Guest: Anna Schmidt", "", Reading(R, "Anna Schmidt")),
        (Platform.BOOKING, "Airbnb (Not available)", "", "", Reading(N)),
        (Platform.VRBO, "Reserved - Maria García", "", "", Reading(R, "Maria García")),
        (Platform.VRBO, "Reserved", "", "", Reading(R)),
        (Platform.VRBO, "Blocked", "", "", Reading(B)),
        (
            Platform.OTHER,
            "Sophie Martin",
            "Phone: +33 6 12 34 56 78",
            "",
            Reading(R, "Sophie Martin", phone="33612345678"),
        ),
        (Platform.OTHER, "Booking - Lukas Weber", "", "", Reading(R, "Lukas Weber")),
        (Platform.OTHER, "Owner block", "", "", Reading(B)),
        (Platform.OTHER, "Maintenance", "", "", Reading(B)),
        (Platform.OTHER, "Tom", "Phone: 12", "", Reading(R, "Tom")),  # too few digits
    ],
)
def test_each_platforms_shapes(
    platform: Platform, summary: str, description: str, status: str, expected: Reading
) -> None:
    event = ical.IcalEvent("u", summary, description, date(2026, 12, 5), None, status)

    assert read_event(event, rules_for(platform)) == expected


def test_a_hosts_patterns_replace_the_platforms() -> None:
    rules = rules_for(Platform.AIRBNB, reservation=r"^(confirmed|reserved)\b", block=r"^owner")

    def kind(summary: str) -> EventKind:
        return read_event(ical.IcalEvent("u", summary, CODE_DESC, TODAY, None), rules).kind

    assert [kind(s) for s in ("CONFIRMED", "Owner stay", "Airbnb (Not available)")] == [R, B, N]
    named = rules_for(Platform.OTHER, reservation=r"^guest:\s*(?P<name>.+)$")
    event = ical.IcalEvent("u", "GUEST: Ana  Lima", "", TODAY, None)
    assert read_event(event, named) == Reading(R, "Ana Lima")


@pytest.mark.parametrize("pattern", ["(", "[a-", "(?P<name>x", "x" * (MAX_PATTERN + 1)])
def test_a_bad_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        rules_for(Platform.OTHER, reservation=pattern)
    with pytest.raises(PatternError):
        rules_for(Platform.OTHER, block=pattern)


def test_a_cancelled_event_does_not_hide_its_rebooking() -> None:
    days = ["DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261214", "SUMMARY:Anna Schmidt"]
    raw = calendar(["UID:old", *days, "STATUS:CANCELLED"], ["UID:new", *days])
    config = FeedConfig("f", UNIT, rules_for(Platform.OTHER))

    read = read_feed(parse_feed(raw, PARIS), config, "src", "iCal")

    assert BookingStatus.CONFIRMED in {booking.status for booking in read.bookings}


# --- IcalClient over HTTP -------------------------------------------------------------

BODY = fixture("airbnb.ics")
ETAG, MODIFIED = '"a1b2c3"', "Wed, 02 Dec 2026 06:15:12 GMT"


def feed_app(calls: list[web.Request], target: list[str]) -> web.Application:
    """A feed server: the feed, its failures, redirects, slow and oversized answers."""

    async def feed(request: web.Request) -> web.StreamResponse:
        calls.append(request)
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        headers = {"ETag": ETAG, "Last-Modified": MODIFIED}
        return web.Response(body=BODY, content_type="text/calendar", headers=headers)

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text=f"no {request.url}")

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["n"])
        to = f"/hop/{left - 1}/{TOKEN}.ics" if left else f"/feeds/{TOKEN}.ics"
        raise web.HTTPFound(to + f"?s={QUERY_TOKEN}")

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(target[0])  # to another server (another scheme)

    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        if request.match_info["what"] == "body":
            await resp.prepare(request)
            await resp.write(BODY[:100])
        await asyncio.sleep(1)
        return resp

    async def big(request: web.Request) -> web.StreamResponse:
        size = MAX_FEED_BYTES + int(request.match_info["extra"])
        if request.match_info["how"] == "sized":
            return web.Response(body=b"x" * size)
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for start in range(0, size, 1 << 16):
            await resp.write(b"y" * min(1 << 16, size - start))
        return resp

    async def huge_feed(request: web.Request) -> web.Response:
        return web.Response(body=airbnb_feed(5 * 1024 * 1024), content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/feeds/{token}.ics", feed)
    app.router.add_get("/status/{code}/{token}.ics", status)
    app.router.add_get("/hop/{n}/{token}.ics", hop)
    app.router.add_get("/away/{token}.ics", away)
    app.router.add_get("/slow/{what}/{token}.ics", slow)
    app.router.add_get("/big/{how}/{extra}/{token}.ics", big)
    app.router.add_get("/huge/{token}.ics", huge_feed)
    return app


@pytest.fixture
def calls() -> list[web.Request]:
    return []


@pytest.fixture
async def base(calls: list[web.Request]) -> AsyncIterator[str]:
    server = await serve(feed_app(calls, []))
    yield origin(server)
    await server.close()


def origin(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


def url(base: str, path: str) -> str:
    return f"{base}/{path}/{TOKEN}.ics?s={QUERY_TOKEN}"


@contextmanager
def refused[E: ApiError](kind: type[E]) -> Iterator[pytest.ExceptionInfo[E]]:
    """pytest.raises, and the error's whole text holds neither token of the address."""
    with pytest.raises(kind) as info:
        yield info
    assert_no_secret(exception_text(info.value), [TOKEN, QUERY_TOKEN])


async def test_a_feed_is_fetched_with_its_validators(session, base, calls) -> None:
    answer = await IcalClient(session, url(base, "feeds")).fetch()

    assert (answer.body, answer.etag, answer.last_modified) == (BODY, ETAG, MODIFIED)
    assert "text/calendar" in calls[0].headers["Accept"]
    assert calls[0].query["s"] == QUERY_TOKEN  # the address is sent as given


async def test_an_unchanged_feed_answers_304(session, base, calls) -> None:
    answer = await IcalClient(session, url(base, "feeds")).fetch(ETAG, MODIFIED)

    assert (answer.body, answer.etag, answer.last_modified) == (None, ETAG, MODIFIED)
    assert calls[0].headers["If-None-Match"] == ETAG
    assert calls[0].headers["If-Modified-Since"] == MODIFIED


ERRORS: dict[int, type[ApiError]] = {
    500: CommunicationError,
    503: CommunicationError,
    429: CommunicationError,
}
ERRORS |= {404: NotFoundError, 410: NotFoundError}
ERRORS |= {403: RequestRejectedError, 401: RequestRejectedError, 400: RequestRejectedError}


@pytest.mark.parametrize(("code", "error"), ERRORS.items())
async def test_statuses_map_to_typed_errors(session, base, code, error) -> None:
    with refused(error) as info:
        await IcalClient(session, url(base, f"status/{code}")).fetch()
    assert f"HTTP {code}" in str(info.value)
    assert error is not CommunicationError or info.value.transient


@pytest.mark.parametrize("hops", [1, 2])
async def test_redirects_are_followed(session, base, hops) -> None:
    # /hop/n answers n + 1 redirects.
    answer = await IcalClient(session, url(base, f"hop/{hops - 1}")).fetch()

    assert answer.body == BODY


async def test_three_redirects_are_followed(session, base) -> None:
    assert (await IcalClient(session, url(base, "hop/2")).fetch()).body == BODY


async def test_a_fourth_redirect_is_refused(session, base) -> None:
    with refused(CommunicationError) as info:
        await IcalClient(session, url(base, "hop/3")).fetch()
    assert "too many redirects" in str(info.value)


@pytest.mark.parametrize("what", ["headers", "body"])
async def test_a_slow_answer_times_out(session, base, what) -> None:
    with refused(ApiTimeoutError):
        await IcalClient(session, url(base, f"slow/{what}"), timeout=0.2).fetch()


@pytest.mark.parametrize("how", ["sized", "chunked"])
async def test_an_answer_over_8_mb_is_refused(session, base, how) -> None:
    with refused(InvalidResponseError):
        await IcalClient(session, url(base, f"big/{how}/1")).fetch()


async def test_an_answer_of_exactly_8_mb_is_read(session, base) -> None:
    answer = await IcalClient(session, url(base, "big/chunked/0")).fetch()

    assert len(answer.body or b"") == MAX_FEED_BYTES


async def test_a_5_mb_feed_is_fetched_and_read_whole(session, base) -> None:
    answer = await IcalClient(session, url(base, "huge")).fetch()
    assert answer.body is not None
    assert 5 * 1024 * 1024 <= len(answer.body) < MAX_FEED_BYTES

    feed = parse_feed(answer.body, HOME)
    config = FeedConfig("f", UNIT, rules_for(Platform.AIRBNB))
    read = read_feed(feed, config, "src", "Airbnb")

    events = answer.body.count(b"BEGIN:VEVENT")
    assert (feed.complete, read.complete, len(feed.events)) == (True, True, events)
    assert read.counts[EventKind.BLOCK] == events // 5  # every fifth is a block
    assert read.counts[EventKind.RESERVATION] == len(read.bookings) == events - events // 5


async def test_an_unreachable_server_says_so_without_its_address(session) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with refused(CommunicationError):
        await IcalClient(session, url(f"http://127.0.0.1:{port}", "feeds")).fetch()


# --- https: a redirect down to http is refused -----------------------------------------


def tls_contexts(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: the server's context, and a client's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now, public = datetime.now(UTC), key.public_key()
    cert = (
        x509.CertificateBuilder(name, name, public, x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(LOOPBACK)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(pem)
    plain = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, pkcs8, plain))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server, ssl.create_default_context(cadata=pem.decode())


@dataclass
class Pair:
    """An https feed server and a plain one; where each one's /away redirects to."""

    session: aiohttp.ClientSession
    secure: str
    plain: str
    to_from_secure: list[str]
    to_from_plain: list[str]


@pytest.fixture
async def tls(tmp_path: Path, calls: list[web.Request]) -> AsyncIterator[Pair]:
    server_ctx, client_ctx = tls_contexts(tmp_path)
    from_secure: list[str] = []
    from_plain: list[str] = []
    secure = TestServer(feed_app(calls, from_secure), host="127.0.0.1")
    await secure.start_server(ssl=server_ctx, access_log=None)
    plain = await serve(feed_app(calls, from_plain))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ctx)) as session:
        yield Pair(session, origin(secure), origin(plain), from_secure, from_plain)
    await plain.close()
    await secure.close()


async def test_https_feeds_are_read(tls: Pair) -> None:
    assert tls.secure.startswith("https://")

    assert (await IcalClient(tls.session, url(tls.secure, "hop/1")).fetch()).body == BODY


async def test_a_redirect_from_https_to_http_is_refused(tls: Pair) -> None:
    tls.to_from_secure.append(url(tls.plain, "feeds"))

    with refused(RequestRejectedError) as info:
        await IcalClient(tls.session, url(tls.secure, "away")).fetch()
    assert "https to http" in str(info.value)


async def test_a_detour_through_http_is_refused(tls: Pair) -> None:
    tls.to_from_secure.append(url(tls.plain, "away"))
    tls.to_from_plain.append(url(tls.secure, "feeds"))

    with refused(RequestRejectedError):
        await IcalClient(tls.session, url(tls.secure, "away")).fetch()
