"""HTTP plumbing shared by the clients: one request helper, secret scrubbing, Retry-After."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
import html
import json
import math
import re
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
from yarl import URL

from .errors import (
    ApiTimeoutError,
    AuthenticationError,
    CommunicationError,
    InvalidResponseError,
    NotFoundError,
    RequestRejectedError,
)

#: Longest piece of a cloud's own error text we carry into an exception.
MAX_MESSAGE = 300
#: The largest answer read. A page of 100 bookings is about 200 kB; anything far beyond is
#: broken or hostile, and an endless stream must not fill Home Assistant's memory.
MAX_BODY = 8 * 1024 * 1024
_CHUNK = 64 * 1024
_EPOCH_THRESHOLD = 1_000_000_000
#: Shorter base64 pieces would match ordinary text too often to be masked.
_MIN_BASE64_CORE = 8
_URLSAFE = str.maketrans("+/", "-_")


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
        for form in secret_forms(secret):
            if form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)

    def remove(self, secret: str | None) -> None:
        """Stop tracking a value that is no longer in use (a replaced token)."""
        if secret:
            drop = secret_forms(secret)
            self._secrets = [form for form in self._secrets if form not in drop]

    def __call__(self, text: str, *extra: str) -> str:
        """Return ``text`` with every secret (and `extra` ones) masked, length bounded."""
        secrets = self._secrets
        if extra:
            more = {form for value in extra if value for form in secret_forms(value)}
            secrets = sorted({*secrets, *more}, key=len, reverse=True)
        # Undo the escapes a cloud may apply to part of a secret only (one \\u or &#..; each).
        text = html.unescape(_UNICODE_ESCAPE.sub(_unescape, text))
        for secret in secrets:
            text = text.replace(secret, "***")
        text = " ".join(text.split())
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(match: re.Match[str]) -> str:
    point = int(match[1], 16)
    return "\ufffd" if 0xD800 <= point <= 0xDFFF else chr(point)


def secret_forms(secret: str) -> set[str]:
    """A secret as a cloud may echo it, encoded or escaped.

    Raw, URL- or form-encoded, HTML-escaped, JSON-escaped (or wholly in unicode escapes), and
    base64 in any alignment within a longer string (an echoed Basic header, say).
    """
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms.add(html.escape(secret))
    forms.add(json.dumps(secret)[1:-1])
    escaped = "".join(f"\\u{ord(char):04x}" for char in secret)
    forms.update((escaped, escaped.upper().replace("\\U", "\\u")))
    forms.update(_base64_cores(secret.encode()))
    return {form for form in forms if form}


def _base64_cores(data: bytes) -> set[str]:
    """The base64 characters that encode only `data`, at each of the three alignments."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        core = encoded[-(-8 * offset // 6) : 8 * (offset + len(data)) // 6]
        if len(core) >= _MIN_BASE64_CORE:
            cores.update((core, core.translate(_URLSAFE)))
    return cores


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
        except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
            pass
        # Raised outside the except block: the decode error's context holds the whole body.
        raise InvalidResponseError(f"{what}: malformed JSON in the answer (HTTP {self.status})")


async def _read_bounded(resp: aiohttp.ClientResponse, what: str) -> bytes:
    """The body, or InvalidResponseError once it grows past MAX_BODY."""
    if (resp.content_length or 0) > MAX_BODY:
        raise InvalidResponseError(f"{what}: the answer is too large ({resp.content_length} bytes)")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > MAX_BODY:
            raise InvalidResponseError(f"{what}: the answer is too large (over {MAX_BODY} bytes)")
    return bytes(body)


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

    Errors carry the exception's class name only and are raised outside the except block,
    so no context is attached: aiohttp's own errors can hold the full URL (HotelRunner puts
    its token in the query) and their frames the request headers.
    """
    failure: CommunicationError
    try:
        async with (
            asyncio.timeout(timeout),
            session.request(method, url, headers=headers, data=data, allow_redirects=False) as resp,
        ):
            body = await _read_bounded(resp, what)
            return Response(resp.status, resp.headers, body.decode("utf-8", errors="replace"))
    except TimeoutError:
        failure = ApiTimeoutError(f"{what}: no answer within {timeout:g} s")
    except aiohttp.ClientError as err:
        failure = CommunicationError(f"{what}: connection failed ({type(err).__name__})")
    raise failure


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
    if not math.isfinite(number) or number < 0:
        return None
    if number > _EPOCH_THRESHOLD:
        return max(0.0, number - now)
    return number


def check_page_count(count: int | None, items: int, page_size: int, cap: int, what: str) -> int:
    """The listing's page count, refusing anything that would leave it incomplete.

    A missing count is trusted only on a page that is not full; a count above `cap` is
    refused before more requests are spent. A listing cut short must never look complete.
    """
    if count is None:
        if items >= page_size:
            raise InvalidResponseError(f"{what}: a full page but no page count")
        return 1
    if count > cap:
        raise InvalidResponseError(f"{what}: {count} pages, more than {cap}; narrow the dates")
    return count


def raise_for_error_status(resp: Response, what: str, detail: Callable[[], str]) -> None:
    """Map a non-200, non-429 answer of a plain REST cloud onto the error hierarchy."""
    if resp.status >= 500:
        raise CommunicationError(f"{what}: server error (HTTP {resp.status})")
    if resp.status in (401, 403):
        raise AuthenticationError(f"{what}: credentials refused (HTTP {resp.status}: {detail()})")
    if resp.status == 404:
        raise NotFoundError(f"{what}: not found ({detail()})")
    raise RequestRejectedError(f"{what}: refused (HTTP {resp.status}: {detail()})")
