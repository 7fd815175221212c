"""Start the simulators and Home Assistant, then onboard and configure it through its API.

A guest checks in: ``check_in_after`` seconds (90) after the stack is up, today's first
arrival is let in early (their check-in moved to now through ``lockbridge.set_stay_override``,
when it is later), types their PIN at their keypad in the in-process The Keys simulator, which
logs the entry ``serrure/get`` shows, and LockBridge reads the door (``read_activity``): the
unit turns *in house*. One line says it on stdout (never the PIN); with nobody arriving today
it is skipped with a line saying so.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
import json
import os
from pathlib import Path
import signal
import socket
import sys
from typing import IO, Any, Self
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from custom_components.lockbridge.const import (
    CONF_SERVER,
    CONF_THEKEYS_URL,
    DOMAIN,
    SUBENTRY_STAFF,
)
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.sources.hotelrunner import (
    CONF_HR_ID,
    CONF_TOKEN,
    CONF_URL as CONF_HOTELRUNNER_URL,
)
from custom_components.lockbridge.sources.hotelrunner_records import KIND as SUBENTRY_HOTELRUNNER
from custom_components.lockbridge.sources.ical_reading import KIND as SUBENTRY_ICAL
from custom_components.lockbridge.sources.smoobu import (
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_URL as CONF_SMOOBU_URL,
    KIND as SUBENTRY_SMOOBU,
)
from tests.fakes.__main__ import make_root_app
from tests.fakes.demo import DemoSet, StaffSeed, build_simulators
from tests.fakes.thekeys import TheKeysSimulator

from .answers import answers, ical_answer, staff_answer
from .config import CONFIGURATION, http_store
from .hass_api import Answer, HassApiError, HomeAssistantApi

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_FILE = REPO / "docs" / "guests-dashboard.yaml"
DASHBOARD_PATH = "lockbridge-guests"
FRENCH_DASHBOARD_FILE = REPO / "docs" / "guests-dashboard.fr.yaml"
FRENCH_DASHBOARD_PATH = "lockbridge-voyageurs"
RESTART_EXIT_CODE = 100  # Home Assistant exits with it when asked to restart
_STATE_FILE = ".lockbridge-devstack.json"
_START_TIMEOUT = 600  # the first start on a slow machine; later ones take seconds
TIME_ZONE = "Europe/Paris"  # the demo host's, in configuration.yaml too
#: Onboarding adds these; they need the internet, so the offline stack removes them.
ONLINE_ONLY = ("google_translate", "met", "radio_browser")
#: How long onboarding may take to add them (each is a config flow in a background task).
_ONBOARDING_TIMEOUT = 20.0


@dataclass(frozen=True)
class Login:
    """The demo owner made at onboarding."""

    name: str = "Demo Host"
    username: str = "demo"
    password: str = "lockbridge-demo"  # a local demo account on loopback, printed on purpose


@dataclass(frozen=True)
class Settings:
    """Where the stack lives and listens; port 0 means any free port."""

    config_dir: Path
    port: int = 8123
    sim_port: int = 8124
    today: date | None = None
    headless: bool = False
    #: Seconds from the stack being up to the demo guest's check-in (None: none).
    check_in_after: float | None = 90.0


class StackError(Exception):
    """The stack could not start."""


class Stack:
    """The simulators (in this process) and Home Assistant (a child process)."""

    def __init__(self, settings: Settings) -> None:
        """Nothing runs until ``start``."""
        if settings.port == 0:
            settings = replace(settings, port=_free_port())
        if settings.sim_port == 0:
            settings = replace(settings, sim_port=_free_port())
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        self.sim_url = f"http://127.0.0.1:{settings.sim_port}"
        self.login = Login()
        self.demo: DemoSet | None = None
        self.hass: asyncio.subprocess.Process | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        #: Each source's webhook address (its path when no external URL is set), by cloud.
        self._webhooks: dict[str, str] = {}
        self._output: IO[bytes] | None = None
        self._api: HomeAssistantApi | None = None
        self.reused = False
        self._thekeys: TheKeysSimulator | None = None
        self._check_in: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Use ``async with`` so that everything stops on the way out."""
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop Home Assistant first (it may still talk to the simulators), then the rest."""
        if self._check_in is not None:
            self._check_in.cancel()
            with suppress(asyncio.CancelledError):
                await self._check_in
        await self.stop_hass()
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()
        if self._output:
            self._output.close()

    @property
    def api(self) -> HomeAssistantApi:
        """A client of the running Home Assistant, logged in once ``start`` has run."""
        if self._api is None:
            raise StackError("the stack is not started")
        return self._api

    async def start(self) -> None:
        """Serve the simulators, start Home Assistant and set it up as a host would."""
        self._write_config()
        await self._serve_simulators()
        self._session = aiohttp.ClientSession()
        self._api = HomeAssistantApi(self._session, self.url)
        await self.start_hass()
        if await self.api.is_onboarded():
            try:
                await self.api.login(self.login.username, self.login.password)
            except HassApiError as err:
                raise StackError(
                    f"{err}. This configuration was not made by the dev stack: remove "
                    f"{self.settings.config_dir} to start afresh"
                ) from err
        else:
            await self.api.onboard(self.login.name, self.login.username, self.login.password)
            # Onboarding adds these in background tasks: wait for them, or one added after
            # the clean-up below shows a red "failed to set up" card on the first run.
            await self._wait_for_entries(ONLINE_ONLY, _ONBOARDING_TIMEOUT)
        await self.api.wait_running(_START_TIMEOUT)
        await self._configure()
        if self.settings.check_in_after is not None:
            self._check_in = asyncio.create_task(self._check_in_later(self.settings.check_in_after))

    async def _wait_for_entries(self, domains: tuple[str, ...], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if all([await self.api.entries(domain) for domain in domains]):
                return
            await asyncio.sleep(0.25)

    # ---- configuration folder ----

    def _write_config(self) -> None:
        config = self.settings.config_dir
        (config / "custom_components").mkdir(parents=True, exist_ok=True)
        # Links, remade each run in case the checkout moved: edits show after a restart.
        _link(config / "custom_components" / DOMAIN, REPO / "custom_components" / DOMAIN)
        _link(config / "guests-dashboard.yaml", DASHBOARD_FILE)  # the README's YAML, exactly
        _link(config / "guests-dashboard.fr.yaml", FRENCH_DASHBOARD_FILE)
        (config / "configuration.yaml").write_text(
            CONFIGURATION.format(
                url=self.url,
                dashboard=DASHBOARD_PATH,
                french_dashboard=FRENCH_DASHBOARD_PATH,
                time_zone=TIME_ZONE,
            ),
            encoding="utf-8",
        )
        storage = config / ".storage"
        storage.mkdir(exist_ok=True)
        (storage / "http").write_text(json.dumps(http_store(self.settings.port)), "utf-8")

    # ---- the simulators ----

    async def _serve_simulators(self) -> None:
        # The host's today, not the machine's: they differ for an hour or two around midnight.
        today = self.settings.today or datetime.now(ZoneInfo(TIME_ZONE)).date()
        thekeys, smoobu, hotelrunner, ical, self.demo = build_simulators(today)
        self._thekeys = thekeys
        self._runner = web.AppRunner(make_root_app(thekeys, smoobu, hotelrunner, ical))
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, "127.0.0.1", self.settings.sim_port).start()
        except OSError as err:
            raise StackError(f"port {self.settings.sim_port} is taken: {err.strerror}") from err

    async def _check_in_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            line = await self.check_in()
        except Exception as err:  # a demo nicety never stops the stack
            line = f"Demo check-in skipped: {type(err).__name__}"
        print(line, flush=True)

    async def check_in(self) -> str:
        """Today's first arrival comes early and types their PIN; return it as a line to print.

        Before their check-in time their code does not work yet: the host lets them in early
        (`set_stay_override`, the code moves at once), then LockBridge reads the door.
        """
        thekeys = self._thekeys
        if thekeys is None:
            return "Demo check-in skipped: the simulators are not running"
        today = datetime.now(ZoneInfo(TIME_ZONE)).date().isoformat()
        found = await self.api.call(DOMAIN, "get_stays", start=today, end=today)
        arriving = [s for s in found["stays"] if s["arrival"] == today and not s["checked_in"]]
        if not arriving:
            return "Demo check-in skipped: nobody arrives today"
        stay = arriving[0]
        key = stay["booking_id"]
        if datetime.fromisoformat(stay["start"]) > datetime.now(UTC):
            await self.api.request(
                "POST",
                f"/api/services/{DOMAIN}/set_stay_override",
                json={"booking": key, "check_in": datetime.now(UTC).isoformat()},
            )
        for _ in range(60):  # the code moves on the keypad within a sync
            codes = [
                c
                for c in thekeys.codes()
                if str(parse_tag(c.description)) == key and thekeys.code_open_at(c)
            ]
            if codes:
                break
            await asyncio.sleep(1)
        else:
            return "Demo check-in skipped: the guest's code did not open in time"
        entry = thekeys.type_pin(codes[0].id_accessoire, codes[0].code)
        await self.api.request("POST", f"/api/services/{DOMAIN}/read_activity", json={})
        opened = entry is not None and entry["status"] == 1
        return f"Demo check-in: the guest of {stay['unit']} typed their code" + (
            ", the lock opened and LockBridge saw them in" if opened else ", refused"
        )

    # ---- Home Assistant ----

    async def start_hass(self) -> None:
        """Start Home Assistant (offline, no pip) and wait for its HTTP server."""
        config = self.settings.config_dir
        if not _is_free(self.settings.port):  # else we would talk to whatever holds it
            raise StackError(f"port {self.settings.port} is taken")
        if self._output is None:  # the console stays for the banner; the log has it all
            self._output = (config / "hass.out").open("ab")
        self.hass = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.devstack.offline",
            "-c",
            str(config),
            "--skip-pip",  # everything is in .venv; a pip install would reach the internet
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._output,
            stderr=self._output,
            start_new_session=True,  # Ctrl-C reaches us only; we stop it in order
        )
        up = asyncio.create_task(self.api.wait_up(_START_TIMEOUT))
        exited = asyncio.create_task(self.hass.wait())
        await asyncio.wait({up, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            up.cancel()
            raise StackError(
                f"Home Assistant exited with code {exited.result()}; see "
                f"{config / 'home-assistant.log'}"
            )
        exited.cancel()
        await up

    async def stop_hass(self) -> int | None:
        """Stop Home Assistant gracefully (SIGTERM), killing it after a minute."""
        if self.hass is None or self.hass.returncode is not None:
            return self.hass.returncode if self.hass else None
        self.hass.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(60):
                return await self.hass.wait()
        except TimeoutError:
            with suppress(ProcessLookupError):
                os.killpg(self.hass.pid, signal.SIGKILL)
            return await self.hass.wait()

    # ---- LockBridge, through the config flows ----

    async def _configure(self) -> None:
        """Add the account and the sources, unless a previous run left them in place."""
        for domain in ONLINE_ONLY:
            for entry in await self.api.entries(domain):
                await self.api.remove_entry(entry["entry_id"])
        state_file = self.settings.config_dir / _STATE_FILE
        previous = json.loads(state_file.read_text()) if state_file.exists() else {}
        entries = await self.api.entries(DOMAIN)
        if (
            previous.get("simulators") == self.sim_url
            and len(entries) == 1
            and entries[0]["num_subentries"] == 3 + len(self._demo().staff)
        ):
            self.reused = True
            self._webhooks = dict(previous.get("webhooks") or {})
            await self._paste_webhooks()  # the simulators are new at every run
        else:
            for entry in entries:
                await self.api.remove_entry(entry["entry_id"])
            await self._add_lockbridge()
            state_file.write_text(
                json.dumps({"simulators": self.sim_url, "webhooks": self._webhooks})
            )
        await self._wait_loaded()

    async def _add_lockbridge(self) -> None:
        demo = self._demo()
        created = await self.api.run_flow(
            "flow",
            DOMAIN,
            answers(
                username=demo.thekeys_username,
                password=demo.thekeys_password,
                **{CONF_SERVER: {CONF_THEKEYS_URL: f"{self.sim_url}/thekeys"}},
            ),
        )
        entry_id = created["result"]["entry_id"]
        smoobu_form = answers(
            demo.doors,
            **{
                CONF_API_KEY: demo.smoobu_api_key,
                CONF_API_SECRET: demo.smoobu_api_secret,
                CONF_SERVER: {CONF_SMOOBU_URL: f"{self.sim_url}/smoobu"},
            },
        )
        hotelrunner_form = answers(
            demo.doors,
            **{
                CONF_TOKEN: demo.hotelrunner_token,
                CONF_HR_ID: demo.hotelrunner_hr_id,
                CONF_SERVER: {CONF_HOTELRUNNER_URL: f"{self.sim_url}/hotelrunner/api/v2/apps"},
            },
        )
        for kind, form in (
            (SUBENTRY_SMOOBU, smoobu_form),
            (SUBENTRY_HOTELRUNNER, hotelrunner_form),
        ):
            await self.api.run_flow(
                "subentries/flow", [entry_id, kind], self._noting_webhook(kind, form)
            )
        # The Harbour Cabin's Airbnb export: no push, its feed is read on loopback http.
        await self._add_ical(entry_id)
        await self._paste_webhooks()
        for member in demo.staff:
            await self._add_staff(entry_id, member)

    async def _add_ical(self, entry_id: str) -> None:
        demo = self._demo()
        if demo.ical_feeds:
            await self.api.run_flow(
                "subentries/flow",
                [entry_id, SUBENTRY_ICAL],
                ical_answer(f"{self.sim_url}/ical", demo.ical_feeds, demo.doors),
            )

    async def _add_staff(self, entry_id: str, member: StaffSeed) -> None:
        """A staff member through the staff form (which needs the entry loaded, its units too)."""
        for _ in range(40):
            # Each subentry added reloads the entry: the form aborts while it is not loaded.
            await self._wait_loaded()
            try:
                await self.api.run_flow(
                    "subentries/flow", [entry_id, SUBENTRY_STAFF], staff_answer(member)
                )
            except HassApiError as err:
                if "entry_not_loaded" not in str(err):
                    raise
                await asyncio.sleep(0.5)
            else:
                return
        raise StackError(f"the staff form of {member.name} never opened: the entry did not load")

    def _noting_webhook(self, kind: str, answer: Answer) -> Answer:
        """`answer`, noting the address the push step shows (the one a host pastes)."""

        def noting(step_id: str, form: dict[str, Any]) -> dict[str, Any]:
            if step_id == "push":
                self._webhooks[kind] = form["description_placeholders"]["webhook_url"]
            return answer(step_id, form)

        return noting

    async def _paste_webhooks(self) -> None:
        """The sources' webhooks, given to the simulated clouds as a host would."""
        if self._session is None:
            return
        for kind, path in self._webhooks.items():
            url = path if path.startswith("http") else self.url + path
            async with self._session.put(
                f"{self.sim_url}/_control/{kind}/webhook", json={"url": url}
            ) as answer:
                answer.raise_for_status()

    async def _wait_loaded(self) -> None:
        """Wait for the entry and one calendar per demo unit (the reload after a source)."""
        demo = self._demo()
        units = len(demo.smoobu_apartments) + len(demo.hotelrunner_rooms)
        units += len({feed.unit for feed in demo.ical_feeds})
        state, calendars = "absent", []
        try:
            async with asyncio.timeout(120):
                while True:
                    entries = await self.api.entries(DOMAIN)
                    state = entries[0]["state"] if entries else "absent"
                    calendars = [e for e in await self.api.states() if e.startswith("calendar.")]
                    if state == "loaded" and len(calendars) >= units:
                        return
                    await asyncio.sleep(0.5)
        except TimeoutError:
            log = self.settings.config_dir / "home-assistant.log"
            raise StackError(
                f"LockBridge did not load in 2 minutes (entry {state}, calendars "
                f"{sorted(calendars)} of {units} units); see {log}"
            ) from None

    def _demo(self) -> DemoSet:
        if self.demo is None:
            raise StackError("the simulators are not running")
        return self.demo


def _link(link: Path, target: Path) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(target)


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As Home Assistant binds: closed connections lingering in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
