"""Shared machinery of the cloud simulators: request log, fault injection, JSON helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
import json
import math
import time
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# A JSON document cut off mid-way, as a proxy or a crashed worker would leave it.
TRUNCATED_JSON = '{"status": 200, "data": {"id": 684001, "nom": "Trunc'


def wall_clock() -> float:
    """Return time.time(), looked up at call time so that freezegun can patch it."""
    return time.time()


def monotonic_clock() -> float:
    """Return time.monotonic(), looked up at call time so that freezegun can patch it."""
    return time.monotonic()


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Serialise like the real clouds do: compact UTF-8 JSON, non-ASCII kept as is."""
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


def parse_day(value: str) -> date | None:
    """Parse a strict ``YYYY-MM-DD`` string; None when it is not one."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a date, no time
    except ValueError:
        return None


def is_true(value: str | None) -> bool:
    """Read a query-string boolean the way PHP backends do (``true``/``1``)."""
    return value is not None and value.strip().lower() in {"true", "1", "yes", "on"}


def paginate(total: int, size: int) -> int:
    """Return the number of pages needed for ``total`` items (0 when there are none)."""
    return math.ceil(total / size) if size > 0 else 0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator saw it, for assertions on call counts and order."""

    method: str
    path: str  # request.path, including any sub-app prefix
    query: dict[str, str]  # first value per key
    time: float  # time.monotonic() at arrival


@dataclass
class Faults:
    """Switchable failures; each ``*_next`` counter is spent one request at a time."""

    latency: float = 0.0
    fail_next: int = 0
    #: Only requests whose path contains this fail with fail_next ("" = every request).
    fail_path: str = ""
    timeout_next: int = 0
    hang_seconds: float = 30.0
    malformed_next: int = 0
    rate_limit_next: int = 0
    retry_after: str = "2"
    malformed_body: str = TRUNCATED_JSON
    #: Requests whose path contains `gate_path` wait until this event is set (a test holds a
    #: sync in the middle of its changes without depending on the clock).
    gate: asyncio.Event | None = None
    gate_path: str = ""
    #: The gate holds the answer once it is made, not the request: what a slow network does
    #: to a listing taken before a change that lands while it travels.
    gate_answer: bool = False

    def reset(self) -> None:
        """Turn every fault off again."""
        for item in fields(self):
            setattr(self, item.name, item.default)


class SimulatorBase:
    """Request log + fault middleware shared by the three simulators."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []

    def count(self, path_contains: str = "", method: str | None = None) -> int:
        """Count recorded requests whose path contains ``path_contains`` (and method)."""
        wanted = method.upper() if method else None
        return sum(
            1
            for req in self.requests
            if path_contains in req.path and (wanted is None or req.method == wanted)
        )

    def clear_log(self) -> None:
        """Forget the recorded requests (the simulated state is kept)."""
        self.requests.clear()

    def make_app(self) -> web.Application:
        """Build the aiohttp app; it can be served alone or mounted as a sub-app."""

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query={key: request.query[key] for key in request.query},
                    time=time.monotonic(),
                )
            )
            faults = self.faults
            if faults.latency > 0:
                await asyncio.sleep(faults.latency)
            gate = faults.gate if faults.gate_path in request.path else None
            if gate is not None and not faults.gate_answer:
                await gate.wait()
            faulted = self._apply_faults(request.path)
            if faulted is not None:
                return faulted
            hang = faults.timeout_next > 0
            if hang:
                faults.timeout_next -= 1
            # Responses are mappings (often empty, hence falsy): compare with None.
            response = await self.guard(request)
            if response is None:
                response = await handler(request)
            if gate is not None and faults.gate_answer:
                await gate.wait()
            if hang:
                # The request has taken effect; only the answer is late ("response
                # lost"), the hardest case for a client's retry logic.
                await _hang(request, faults.hang_seconds)
            return response

        app = web.Application(middlewares=[middleware])
        self.add_routes(app.router)
        return app

    def _apply_faults(self, path: str = "") -> web.Response | None:
        """Answer with the first armed failure, or None to let the request through.

        The timeout fault is handled by the middleware since it needs the real answer.
        """
        faults = self.faults
        if faults.fail_next > 0 and faults.fail_path in path:
            faults.fail_next -= 1
            return web.Response(status=500, text="Internal Server Error")
        if faults.timeout_next > 0:
            return None
        if faults.malformed_next > 0:
            faults.malformed_next -= 1
            return web.Response(
                status=200,
                text=faults.malformed_body,
                content_type="application/json",
                charset="utf-8",
            )
        if faults.rate_limit_next > 0:
            faults.rate_limit_next -= 1
            return self.rate_limited(faults.retry_after)
        return None

    def rate_limited(self, retry_after: str) -> web.Response:
        """Return the 429 answer of this cloud; simulators add their own headers/body."""
        return json_response(
            {"message": "Too Many Requests"}, status=429, headers={"Retry-After": retry_after}
        )

    async def guard(self, request: web.Request) -> web.StreamResponse | None:
        """Check authentication/quotas before routing; None lets the request through."""
        del request
        return None

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the simulator's routes."""
        raise NotImplementedError


async def _hang(request: web.Request, seconds: float) -> None:
    """Sleep like a stuck server, but stop early once the client has given up.

    aiohttp does not cancel handlers when the peer disconnects, so polling the
    transport keeps test teardown fast after a client-side timeout.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(min(0.05, remaining))
