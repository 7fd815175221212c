"""Answers no cloud should give: nested without end, or larger than any page, or endless."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from custom_components.lockbridge.api import InvalidResponseError
from custom_components.lockbridge.api._http import MAX_BODY, send
from custom_components.lockbridge.api.smoobu import SmoobuClient
from tests.conftest import SMOOBU_KEY, StubCloud, serve


async def endless(request: web.Request) -> web.StreamResponse:
    """A chunked answer that never ends (as long as the client reads)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    chunk = b" " * 65536
    while True:
        await response.write(chunk)


@pytest.fixture
async def endless_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/endless", endless)
    server = await serve(app)
    yield str(server.make_url("/endless"))
    await server.close()


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        (10_000, "no user id"),  # Python 3.14 parses it; the client finds no account in it
        (100_000, "malformed JSON"),  # the decoder's RecursionError, inside our hierarchy
    ],
)
async def test_json_nested_thousands_deep_is_an_invalid_answer(
    stub: StubCloud, stub_url: str, session: aiohttp.ClientSession, depth: int, message: str
) -> None:
    stub.reply("/api/me", text="[" * depth + "]" * depth)
    client = SmoobuClient(session, SMOOBU_KEY, base_url=stub_url)

    with pytest.raises(InvalidResponseError, match=message):
        await client.get_me()


async def test_an_answer_larger_than_any_page_is_refused(
    stub: StubCloud, stub_url: str, session: aiohttp.ClientSession
) -> None:
    stub.reply("/api/me", text='"' + "x" * (50 * 1024 * 1024) + '"')
    client = SmoobuClient(session, SMOOBU_KEY, base_url=stub_url)

    with pytest.raises(InvalidResponseError, match="too large"):
        await client.get_me()


async def test_an_endless_answer_is_cut_at_the_limit(
    endless_url: str, session: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidResponseError, match=f"over {MAX_BODY} bytes"):
        await send(session, "GET", URL(endless_url), what="endless", timeout=60)
    assert time.monotonic() - started < 30  # cut at the size, long before the timeout
