"""A small client of Home Assistant's REST API, used as the frontend uses it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import json
from typing import Any

import aiohttp

#: Answers one form of a data entry flow: (step id, the form as the API gives it) -> user input.
Answer = Callable[[str, dict[str, Any]], dict[str, Any]]


class HassApiError(Exception):
    """Home Assistant answered an error, or a flow did not end as it should."""


class HomeAssistantApi:
    """Onboarding, log-in, flows, states and actions over HTTP, as a browser would do them."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to the Home Assistant at ``base_url`` (no trailing slash)."""
        self.session = session
        self.base_url = base_url
        self.client_id = f"{base_url}/"
        self.token: str | None = None

    # ---- plumbing ----

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One authenticated request: the JSON (or text) answer; ``HassApiError`` on an error."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, self.base_url + path, headers=headers, **kwargs
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise HassApiError(f"{method} {path}: HTTP {response.status} {text[:300]}")
            if response.content_type == "application/json":
                return json.loads(text)
            return text

    async def wait_up(self, timeout: float) -> None:
        """Wait until the HTTP server answers (it starts before the integrations are loaded)."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    async with self.session.get(f"{self.base_url}/manifest.json") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.5)

    async def wait_running(self, timeout: float) -> None:
        """Wait until Home Assistant has finished starting."""
        async with asyncio.timeout(timeout):
            while True:
                if (await self.request("GET", "/api/config"))["state"] == "RUNNING":
                    return
                await asyncio.sleep(0.5)

    # ---- onboarding and log-in ----

    async def is_onboarded(self) -> bool:
        """The onboarding views are gone once every step is done."""
        try:
            steps = await self.request("GET", "/api/onboarding")
        except HassApiError:
            return True
        return all(step["done"] for step in steps)

    async def onboard(self, name: str, username: str, password: str) -> None:
        """Do the four onboarding steps as the frontend does, ending logged in as the owner."""
        created = await self.request(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        await self._exchange(created["auth_code"])
        await self.request("POST", "/api/onboarding/core_config")
        await self.request("POST", "/api/onboarding/analytics")
        await self.request(
            "POST",
            "/api/onboarding/integration",
            json={"client_id": self.client_id, "redirect_uri": f"{self.base_url}/?auth_callback=1"},
        )

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow of the local user provider."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise HassApiError(f"log-in refused: {result.get('errors')}")
        await self._exchange(result["result"])

    async def _exchange(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.token = tokens["access_token"]

    # ---- config entries ----

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """The config entries of an integration."""
        result: list[dict[str, Any]] = await self.request(
            "GET", "/api/config/config_entries/entry", params={"domain": domain}
        )
        return result

    async def remove_entry(self, entry_id: str) -> None:
        """Delete a config entry."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def run_flow(
        self,
        kind: str,
        handler: str | list[str],
        answer: Answer,
        *,
        limit: int = 20,
        start: dict[str, Any] | None = None,
        ends: str = "create_entry",
    ) -> dict[str, Any]:
        """Drive a config flow (``kind`` "flow") or subentry flow ("subentries/flow") to its end.

        A menu is answered like a form: ``answer`` gives ``{"next_step_id": ...}``. ``start``
        adds to the first request (``{"subentry_id": ...}`` reconfigures that subentry); a
        flow that should end otherwise than by creating an entry says so in ``ends``.
        """
        path = f"/api/config/config_entries/{kind}"
        result = await self.request("POST", path, json={"handler": handler, **(start or {})})
        for _ in range(limit):
            if result["type"] not in ("form", "menu"):
                break
            if result.get("errors"):
                raise HassApiError(f"{handler} step {result['step_id']}: {result['errors']}")
            result = await self.request(
                "POST", f"{path}/{result['flow_id']}", json=answer(result["step_id"], result)
            )
        if result["type"] != ends:
            raise HassApiError(
                f"{handler} flow ended with {result['type']}: {result.get('reason')}"
            )
        return result  # type: ignore[no-any-return]

    # ---- the websocket API ----

    async def websocket(self, *messages: dict[str, Any]) -> list[Any]:
        """Send `messages` one by one over the websocket API; their results, in order.

        An error answer is returned as ``{"error": {...}}`` rather than raised: tests look at
        refusals too.
        """
        url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
        results: list[Any] = []
        async with self.session.ws_connect(url) as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (await socket.receive_json())["type"] != "auth_ok":
                raise HassApiError("websocket log-in refused")
            for number, message in enumerate(messages, start=1):
                await socket.send_json({"id": number, **message})
                while (answer := await socket.receive_json()).get("id") != number:
                    pass
                results.append(answer["result"] if answer["success"] else answer)
        return results

    async def logbook(self, domain: str, since: datetime, starting: str = "") -> list[str]:
        """The messages of `domain`'s logbook lines since `since` that start with `starting`."""
        return [
            entry["message"]
            for entry in await self.request("GET", f"/api/logbook/{since.isoformat()}")
            if entry.get("domain") == domain and entry.get("message", "").startswith(starting)
        ]

    async def create_user(self, name: str, username: str, password: str, *, admin: bool) -> str:
        """A Home Assistant user with a password login, as Settings > People makes one."""
        group = "system-admin" if admin else "system-users"
        (user,) = await self.websocket(
            {"type": "config/auth/create", "name": name, "group_ids": [group]}
        )
        user_id = str(user["user"]["id"])
        (login,) = await self.websocket(
            {
                "type": "config/auth_provider/homeassistant/create",
                "user_id": user_id,
                "username": username,
                "password": password,
            }
        )
        if isinstance(login, dict) and "error" in login:
            raise HassApiError(f"no login for {username}: {login['error']}")
        return user_id

    # ---- states and actions ----

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state, by entity id."""
        return {state["entity_id"]: state for state in await self.request("GET", "/api/states")}

    async def call(self, domain: str, service: str, **data: Any) -> Any:
        """Perform an action and return its response (``return_response``)."""
        result = await self.request(
            "POST", f"/api/services/{domain}/{service}?return_response", json=data
        )
        return result["service_response"]
