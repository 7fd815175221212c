"""Smoobu's signed requests: what every call of `SmoobuClient` goes through.

Requests are HMAC-signed when a secret is configured (mandatory at Smoobu since
2026-09-25, smoobu-api.md §2b); without one the legacy `Api-Key` header is used.
Writes are sent once and never retried here: a message to a guest cannot be unsent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Container, Mapping
from datetime import UTC, datetime
import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import quote
import uuid

import aiohttp
from yarl import URL

from ._http import Response, Scrubber, parse_retry_after, raise_for_error_status, send
from ._parse import as_dict, as_str
from .errors import InvalidResponseError, RateLimitedError

# Logged under the client's public module, where a host sets its log level.
_LOGGER = logging.getLogger(__name__.rpartition(".")[0] + ".smoobu")

DEFAULT_BASE_URL = "https://login.smoobu.com"
DEFAULT_TIMEOUT = 30.0
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def canonical_query(params: Mapping[str, str]) -> str:
    """RFC 3986-encoded query sorted by key then value; sent on the wire exactly as signed."""
    pairs = sorted((quote(key, safe=""), quote(value, safe="")) for key, value in params.items())
    return "&".join(f"{key}={value}" for key, value in pairs)


def sign(
    secret: str,
    api_key: str,
    method: str,
    path: str,
    query: str,
    timestamp: str,
    nonce: str,
    body: bytes = b"",
) -> str:
    """Base64 HMAC-SHA256 over Smoobu's 7-line canonical string; line 6 hashes the body bytes."""
    body_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    canonical = "\n".join([method.upper(), path, query, timestamp, nonce, body_hash, api_key])
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class SmoobuSession:
    """Signs and sends the requests of one Smoobu API key (see `SmoobuClient`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = lambda: time.time(),  # looked up per call (freezegun)
    ) -> None:
        self._session = session
        self._api_key = api_key
        self._api_secret = api_secret or None
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._clock = clock
        self._scrub = Scrubber(api_key, api_secret)

    @property
    def signed(self) -> bool:
        """True when requests are HMAC-signed; False on the deprecated Api-Key header."""
        return self._api_secret is not None

    async def _get(self, path: str, params: Mapping[str, str], what: str) -> Any:
        return (await self._request("GET", path, params, what)).json(what)

    async def _write(
        self,
        method: str,
        path: str,
        what: str,
        json_body: Mapping[str, Any] | None,
        hide: str = "",
    ) -> Any:
        """Send a write once; its JSON answer, or None for an empty or non-JSON one.

        Smoobu answers writes with an empty body or JSON (uncertain which, when): both mean
        success. A non-JSON success is not an error either: raising a transient error would
        invite sending a guest message twice.
        """
        resp = await self._request(method, path, {}, what, json_body, hide=hide)
        if not resp.text.strip():
            return None
        try:
            return resp.json(what)
        except InvalidResponseError:
            _LOGGER.debug("%s: the answer is not JSON; taken as done", what)
            return None

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        what: str,
        json_body: Mapping[str, Any] | None = None,
        *,
        hide: str = "",
    ) -> Response:
        """Sign and send one request (never retried); the answer once its status is a success.

        The body is serialised once and the very bytes hashed into the signature are sent.
        `hide` is masked in error details (a value the cloud may echo, e.g. a door PIN).
        """
        query = canonical_query(params)
        url = URL(f"{self._base}{path}{'?' + query if query else ''}", encoded=True)
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if self._api_secret is None:
            headers["Api-Key"] = self._api_key
        else:
            timestamp = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            nonce = str(uuid.uuid4())
            headers |= {
                "X-API-Key": self._api_key,
                "X-Timestamp": timestamp,
                "X-Nonce": nonce,
                "X-Signature": sign(
                    self._api_secret,
                    self._api_key,
                    method,
                    url.raw_path,
                    query,
                    timestamp,
                    nonce,
                    data or b"",
                ),
            }
        # send() makes one attempt; aiohttp itself resends only idempotent methods (PUT and
        # DELETE, once, on a keep-alive connection the server closed), never a POST.
        resp = await send(
            self._session, method, url, what=what, timeout=self._timeout, headers=headers, data=data
        )
        # Writes may well be answered 201 or 204 (unconfirmed); reads keep their strict 200.
        self._raise_for_status(resp, what, hide, (200,) if method == "GET" else range(200, 300))
        return resp

    def _raise_for_status(
        self, resp: Response, what: str, hide: str = "", ok: Container[int] = (200,)
    ) -> None:
        if resp.status in ok:
            return
        if resp.status == 429:
            now = self._clock()
            waits = [
                wait
                for header in ("X-RateLimit-Retry-After", "Retry-After")
                if (wait := parse_retry_after(resp.headers.get(header), now)) is not None
            ]
            raise RateLimitedError(f"{what}: rate limited (HTTP 429)", max(waits, default=None))
        raise_for_error_status(resp, what, lambda: self._detail(resp, hide))

    def _detail(self, resp: Response, hide: str = "") -> str:
        """The problem-JSON `detail`/`title` (and validation messages) of an error answer."""
        try:
            body = as_dict(resp.json(""))
        except InvalidResponseError:
            return self._scrub(resp.text, hide) or "no details"
        parts = [as_str(body.get("detail")) or as_str(body.get("title"))]
        for field, errors in as_dict(body.get("validation_messages")).items():
            messages = errors.values() if isinstance(errors, dict) else [errors]
            parts.append(f"{field}: {', '.join(as_str(m) for m in messages)}")
        return self._scrub("; ".join(part for part in parts if part), hide) or "no details"
