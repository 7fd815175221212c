"""Shared fixtures: the cloud simulators served over real HTTP, and a secret-leak guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
import json
import logging
import random
import traceback
from unittest.mock import PropertyMock, patch
import warnings

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.helpers.entity import Entity
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Imported at module level so our package wins over the harness's own custom_components.
import custom_components.lockbridge  # noqa: F401
from custom_components.lockbridge.api import ApiError
from custom_components.lockbridge.api._http import secret_forms
from custom_components.lockbridge.const import CONF_SERVER
from tests import demo_stack
from tests.demo_stack import Demo
from tests.fakes import HotelRunnerSimulator, IcalSimulator, SmoobuSimulator, TheKeysSimulator
from tests.fakes.__main__ import make_root_app
from tests.fakes.demo import seed_demo

TK_USERNAME = "+33611223344"
TK_PASSWORD = "Tk&Pa55word-9f3c"
SMOOBU_KEY = "smk-4e1f0c2a9b7d"
SMOOBU_SECRET = "sms-8a6b2d0e4f1c"
HR_TOKEN = "hrt-5c3e7a9b1d2f"
HR_ID = "7319284650"

#: Guest contacts the tests use; they must never be logged either.
GUEST_CONTACTS = ["zoe@example.com", "+49 151 2345678", "ayse@example.com", "+905321112233"]

#: Values that must never appear in a log line or an exception message.
SECRETS = [TK_PASSWORD, SMOOBU_KEY, SMOOBU_SECRET, HR_TOKEN, HR_ID, *GUEST_CONTACTS]


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format: syrupy's own fixture would win over the harness's."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def every_entity_enabled() -> Iterator[None]:
    """The entities disabled by default are made enabled, as a host who turned them on has them."""
    with patch.object(
        Entity, "entity_registry_enabled_default", new_callable=PropertyMock, return_value=True
    ):
        yield


def server(url_key: str, url: str) -> dict[str, dict[str, str]]:
    """A cloud's address as a config form takes it: in its folded "server" section."""
    return {CONF_SERVER: {url_key: url}}


def _contacts(value: object) -> list[str]:
    """Every guest email and phone held in a simulator's bookings."""
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k in ("email", "phone") and isinstance(v, str)]
        for item in value.values():
            found += _contacts(item)
        return found
    if isinstance(value, list):
        return [contact for item in value for contact in _contacts(item)]
    return []


def issued_secrets(*simulators: object) -> list[str]:
    """Secrets known now: the fixed ones, tokens a simulator issued, its guests' contacts."""
    found = list(SECRETS)
    for sim in simulators:
        found.extend(getattr(sim, "issued_tokens", []))
        for store in ("bookings", "reservations"):
            found.extend(c for c in _contacts(getattr(sim, store, None)) if len(c) > 5)
    return found


def assert_no_secret(text: str, secrets: list[str] | None = None) -> None:
    """Fail if any secret, in any form a cloud may echo it (escaped, base64…), is in `text`."""
    for secret in secrets or SECRETS:
        for form in secret_forms(secret):
            assert form not in text, "a secret leaked into captured text"


def exception_text(err: BaseException) -> str:
    """Everything reachable from `err`: its traceback text, and str/repr/args of every
    cause and context, even a context that tracebacks hide (`from None`)."""
    parts = ["".join(traceback.format_exception(err))]
    seen: set[int] = set()
    link: BaseException | None = err
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        parts += [str(link), repr(link), repr(link.args)]
        if link.__cause__ is not None and id(link.__cause__) not in seen:
            parts.append(exception_text(link.__cause__))
        link = link.__context__
    return "\n".join(parts)


@contextmanager
def raises_clean[E: ApiError](kind: type[E]) -> Iterator[pytest.ExceptionInfo[E]]:
    """pytest.raises that also checks that the error's whole text holds no secret."""
    with pytest.raises(kind) as info:
        yield info
    assert_no_secret(exception_text(info.value))


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Tests talk to the simulators over loopback HTTP (the harness still allows 127.0.0.1 only)."""


@pytest.fixture(autouse=True)
def no_secrets_in_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Capture every log record at DEBUG and fail the test if one holds a secret."""
    simulators = [
        request.getfixturevalue(name)
        for name in ("thekeys_sim", "smoobu_sim", "hotelrunner_sim")
        if name in request.fixturenames
    ]
    if "demo" in request.fixturenames:
        demo = request.getfixturevalue("demo")
        simulators += [demo.thekeys, demo.smoobu, demo.hotelrunner, demo.ical]
    caplog.set_level(logging.DEBUG)
    yield
    secrets = issued_secrets(*simulators)
    for when in ("setup", "call", "teardown"):
        for record in caplog.get_records(when):
            if record.name == "pytest_homeassistant_custom_component.common" or (
                (record.name, str(record.msg)[:15])
                in {
                    ("homeassistant.core", "Bus:Handling %s"),
                    ("homeassistant.components.recorder.core", "Processing task"),
                }
            ):
                # The harness's dump of .storage writes, and Home Assistant's own trace of
                # every event and state (the bus's, the recorder's): they print what the UI
                # shows the host anyway. What the recorder stores is tested on its own.
                continue
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += exception_text(record.exc_info[1])
            assert_no_secret(text, secrets)
            assert not is_our_deprecation(record, text), text


def is_our_deprecation(record: logging.LogRecord, text: str) -> bool:
    """Home Assistant's report of a deprecated (or soon refused) call made by LockBridge.

    Home Assistant reports each (integration, call) once per process, so the first test
    that makes the call fails.
    """
    if record.levelno < logging.WARNING or "lockbridge" not in text:
        return False
    return record.name == "homeassistant.helpers.frame" or "deprecated" in text.lower()


_DEPRECATIONS: list[str] = []


def pytest_warning_recorded(
    warning_message: warnings.WarningMessage, when: str, nodeid: str, location: object
) -> None:
    """Python deprecation warnings raised from, or about, LockBridge fail the run."""
    text = f"{warning_message.filename}: {warning_message.message}"
    if "lockbridge" in text and issubclass(
        warning_message.category, DeprecationWarning | PendingDeprecationWarning | FutureWarning
    ):
        _DEPRECATIONS.append(f"{nodeid or when}: {text}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Turn the deprecation warnings collected above into a failed run."""
    if _DEPRECATIONS:
        print("\nDeprecation warnings from LockBridge:", *_DEPRECATIONS, sep="\n  ")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


async def serve(app: web.Application) -> TestServer:
    """Start `app` on a free loopback port.

    The access log is off: it is the fake cloud's own server log, and would print the
    credentials HotelRunner carries in its query string.
    """
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log=None)
    return server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant would inject."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def thekeys_sim() -> TheKeysSimulator:
    """The Keys simulator with two locks (one with two keypads, one without gateway)."""
    sim = TheKeysSimulator(username=TK_USERNAME, password=TK_PASSWORD)
    sim.add_lock(3001, "Seaside Loft", keypads=[("KpXy34Zt", "Front door keypad")])
    sim.add_lock(
        3002,
        "Garden Studio",
        timezone="Europe/Lisbon",
        battery=6300,
        etat="open",
        gateway=False,
        keypads=[("KpAa11Bb", "Gate keypad"), ("KpCc22Dd", "Door keypad")],
    )
    return sim


@pytest.fixture
async def thekeys_url(thekeys_sim: TheKeysSimulator) -> AsyncIterator[str]:
    """Base URL of the running The Keys simulator."""
    server = await serve(thekeys_sim.make_app())
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def smoobu_sim() -> SmoobuSimulator:
    """Smoobu simulator with two apartments and no bookings yet."""
    sim = SmoobuSimulator(api_key=SMOOBU_KEY, api_secret=SMOOBU_SECRET)
    sim.add_apartment(101, "Seaside Loft")
    sim.add_apartment(102, "Garden Studio")
    return sim


@pytest.fixture
async def smoobu_url(smoobu_sim: SmoobuSimulator) -> AsyncIterator[str]:
    """Base URL of the running Smoobu simulator."""
    server = await serve(smoobu_sim.make_app())
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def hotelrunner_sim() -> HotelRunnerSimulator:
    """HotelRunner simulator with two room types and no reservations yet."""
    sim = HotelRunnerSimulator(token=HR_TOKEN, hr_id=HR_ID)
    sim.add_room("HR:1", "Standard Room")
    sim.add_room("HR:2", "Deluxe Suite", non_refundable_variant=False)
    return sim


@pytest.fixture
async def hotelrunner_url(hotelrunner_sim: HotelRunnerSimulator) -> AsyncIterator[str]:
    """Base URL (…/api/v2/apps) of the running HotelRunner simulator."""
    server = await serve(hotelrunner_sim.make_app())
    yield str(server.make_url("/api/v2/apps"))
    await server.close()


@pytest.fixture
async def demo(freezer: FrozenDateTimeFactory) -> AsyncIterator[Demo]:
    """The demo data set on the simulators (test credentials), on the demo day."""
    freezer.move_to(demo_stack.NOW)
    thekeys = TheKeysSimulator(username=TK_USERNAME, password=TK_PASSWORD)
    smoobu = SmoobuSimulator(api_key=SMOOBU_KEY, api_secret=SMOOBU_SECRET)
    hotelrunner = HotelRunnerSimulator(token=HR_TOKEN, hr_id=HR_ID)
    ical = IcalSimulator()
    seed_demo(thekeys, smoobu, hotelrunner, demo_stack.DAY, ical)
    server = await serve(make_root_app(thekeys, smoobu, hotelrunner, ical))
    yield Demo(thekeys, smoobu, hotelrunner, str(server.make_url("")).rstrip("/"), ical=ical)
    await server.close()


@pytest.fixture
def steady_pins() -> Iterator[None]:
    """PINs from a seeded generator, so that snapshots hold still."""
    generator = random.Random(20261123)
    with patch("secrets.randbelow", lambda n: generator.randrange(n)):
        yield


class StubCloud:
    """A loopback server answering canned replies per path, for shapes no simulator gives."""

    def __init__(self) -> None:
        self.replies: dict[str, tuple[int, str, dict[str, str]]] = {}
        self.hits: list[str] = []

    def reply(
        self,
        path: str,
        body: object = None,
        *,
        status: int = 200,
        text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer requests to `path` with JSON `body` (or raw `text`)."""
        self.replies[path] = (status, text if text is not None else json.dumps(body), headers or {})

    async def _handle(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        status, text, headers = self.replies.get(request.path, (404, '{"status": 404}', {}))
        return web.Response(
            status=status, text=text, headers=headers, content_type="application/json"
        )

    def make_app(self) -> web.Application:
        """The aiohttp app: one catch-all route."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app


@pytest.fixture
def stub() -> StubCloud:
    """Canned-reply cloud."""
    return StubCloud()


@pytest.fixture
async def stub_url(stub: StubCloud) -> AsyncIterator[str]:
    """Base URL of the canned-reply cloud."""
    server = await serve(stub.make_app())
    yield str(server.make_url("")).rstrip("/")
    await server.close()
