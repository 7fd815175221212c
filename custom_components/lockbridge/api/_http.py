"""HTTP plumbing shared by the clients: one request helper, secret scrubbing, Retry-After."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
import json
import math
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from .errors import ApiTimeoutError, CommunicationError, InvalidResponseError

#: Longest piece of a cloud's own error text we carry into an exception.
MAX_MESSAGE = 300
_EPOCH_THRESHOLD = 1_000_000_000


class Scrubber:
    """Replaces known secrets (raw and URL-encoded) in text taken from responses."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Also hide this value from now on (e.g. a token just received)."""
        if not secret:
            return
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            if form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret masked and its length bounded."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = " ".join(text.split())
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


@dataclass(frozen=True, slots=True)
class Response:
    """What we keep of an HTTP answer."""

    status: int
    headers: Mapping[str, str]
    text: str

    def json(self, what: str) -> Any:
        """Decode the body as JSON or raise InvalidResponseError."""
        try:
            return json.loads(self.text)
        except ValueError:
            raise InvalidResponseError(
                f"{what}: malformed JSON in the answer (HTTP {self.status})"
            ) from None


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    *,
    what: str,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | bytes | None = None,
) -> Response:
    """Send one request; network trouble becomes CommunicationError / ApiTimeoutError.

    Errors are raised ``from None`` with the exception's class name only: aiohttp's own
    messages can contain the full URL, and HotelRunner puts its token in the query.
    """
    try:
        async with (
            asyncio.timeout(timeout),
            session.request(method, url, headers=headers, data=data, allow_redirects=False) as resp,
        ):
            body = await resp.read()
            return Response(resp.status, resp.headers, body.decode("utf-8", errors="replace"))
    except TimeoutError:
        raise ApiTimeoutError(f"{what}: no answer within {timeout:g} s") from None
    except aiohttp.ClientError as err:
        raise CommunicationError(f"{what}: connection failed ({type(err).__name__})") from None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After style header.

    Smoobu's sources disagree on whether the value is seconds or an epoch time, so a
    value above 10^9 is read as an epoch (smoobu-api.md §11); HTTP dates are accepted too.
    """
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - now)
    if math.isnan(number) or number < 0:
        return None
    if number > _EPOCH_THRESHOLD:
        return max(0.0, number - now)
    return number
