"""The Keys login, token and requests: what every call of `TheKeysClient` goes through.

The API is undocumented; the envelope and the login follow thekeys-api.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import copy
import logging
import time
from typing import Any, Protocol

import aiohttp
from yarl import URL

from ._http import Response, Scrubber, parse_retry_after, send
from ._parse import as_dict, as_int, as_str
from ._thekeys_parse import error_messages
from .errors import (
    ApiError,
    AuthenticationError,
    CommunicationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    WrongAddressError,
)

# Logged under the client's public module, where a host sets its log level.
_LOGGER = logging.getLogger(__name__.rpartition(".")[0] + ".thekeys")

DEFAULT_BASE_URL = "https://api.the-keys.fr"
DEFAULT_TIMEOUT = 30.0
#: Logins a request may make when each new token is refused in turn. Tokens that die early,
#: while other requests are in flight, must not fail an action; a cloud that refuses every
#: token gets this many logins (and one), then none for AUTH_RETRY_DELAY.
TOKEN_ROUNDS = 6
#: And tokens it may try in all, newer ones logged in by other callers included.
MAX_TOKEN_TRIES = 60
#: Renew the token this long before it expires (the ha-mmo fix for invalid_grant errors).
TOKEN_MARGIN = 60.0
#: After the password is refused, fail fast for this long instead of trying again.
AUTH_RETRY_DELAY = 60.0
#: Used when the login answer has no usable expires_in (keyspy's mock says 3600).
DEFAULT_TOKEN_LIFETIME = 3600
#: Listings whose last answer is kept (one per lock, and the account).
MAX_REMEMBERED = 2000
#: Answers at least this long are decoded and walked by `offload` (a worker thread): the
#: account at 500 locks held the event loop longest of all. Smaller ones stay on the loop,
#: where the thread hop would cost more than it saves.
OFFLOAD_ABOVE = 64 * 1024


class Offload(Protocol):
    """Runs a job elsewhere (Home Assistant: `hass.async_add_executor_job`)."""

    def __call__[T](self, job: Callable[[], T], /) -> Awaitable[T]:
        """The job's result, once it ran."""


class TheKeysSession:
    """An account's login and token, and the requests made with it (see `TheKeysClient`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        offload: Offload | None = None,
    ) -> None:
        self._session = session
        #: Where large answers are parsed; None: inline, on the caller's loop.
        self._offload = offload
        self._username = username
        self._password = password
        self._base = URL(base_url.rstrip("/"))
        self._timeout = timeout
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._login_lock = asyncio.Lock()
        # Login attempts so far, and how the last one failed: callers that waited on the
        # lock share that outcome instead of each trying again (no lockout hammering).
        self._attempts = 0
        self._last_failure: ApiError | None = None
        self._failed_at = 0.0
        self._scrub = Scrubber(password, username)
        #: Successful logins since creation (diagnostics and benchmarks).
        self.login_count = 0
        #: Times the cloud itself refused a login, or every new token of a request; a
        #: caller handed an earlier refusal (see _shared_outcome) is not a new one.
        self.refusals = 0
        #: The last answer of each listing and what it parsed into. A steady cycle gets the
        #: same text back for every lock; parsing it again would hold Home Assistant's event
        #: loop for tens of milliseconds at 200 locks. Same text, same result.
        self._parsed: dict[str, tuple[str, Any]] = {}

    @property
    def username(self) -> str:
        """The account's login (phone number in international form)."""
        return self._username

    # --- authentication ---------------------------------------------------------------

    async def login(self) -> None:
        """Log in now, replacing any token (used to validate credentials)."""
        async with self._login_lock:
            await self._login()

    async def _login(self) -> None:
        self._attempts += 1
        try:
            await self._do_login()
        except ApiError as err:
            self._last_failure, self._failed_at = err, self._clock()
            self.refusals += isinstance(err, AuthenticationError)
            raise
        self._last_failure = None

    def held_token(self) -> tuple[str, float] | None:
        """The token in use and its seconds left, to keep across a restart; None: none."""
        left = self._expires_at - self._clock()
        return (self._token, left) if self._token and left > 0 else None

    def use_token(self, token: str, seconds_left: float) -> None:
        """Start from a token kept from before, instead of logging in.

        One the cloud refuses (revoked, a changed password) is renewed like any other: the
        first call logs in again.
        """
        if token and seconds_left > 0:
            self._scrub.remove(self._token)
            self._scrub.add(token)
            self._token = token
            self._expires_at = self._clock() + seconds_left

    def allow_login(self) -> None:
        """Let the next call log in even within AUTH_RETRY_DELAY of a refused password.

        For a caller that keeps its own, slower backoff (the sync's login guard).
        """
        if isinstance(self._last_failure, AuthenticationError):
            self._last_failure = None

    def _shared_outcome(self, attempts_before: int) -> str | None:
        """After waiting for the lock: the token, or the error, of a login made meanwhile.

        A refused password also stands for AUTH_RETRY_DELAY, so that callers arriving just
        after it do not try again either (a lockout risk on the account).
        """
        failure = self._last_failure
        if failure is not None and (
            self._attempts != attempts_before
            or (
                isinstance(failure, AuthenticationError)
                and self._clock() - self._failed_at < AUTH_RETRY_DELAY
            )
        ):
            raise copy.copy(failure)
        if self._attempts == attempts_before:
            return None
        return self._token if self._token and self._clock() < self._expires_at else None

    async def _do_login(self) -> None:
        what = "The Keys login"
        resp = await send(
            self._session,
            "POST",
            self._base / "api" / "login_check",
            what=what,
            timeout=self._timeout,
            data={"_username": self._username, "_password": self._password},
        )
        self._raise_for_transport(resp, what)
        if resp.status in (404, 405):
            # No login route here: a wrong server address, not a wrong password.
            raise WrongAddressError(
                f"{what}: no The Keys login at this address (HTTP {resp.status})"
            )
        if resp.status != 200:
            # Bad credentials answer 401 (LexikJWT default); any other refusal is treated
            # the same way, as the exact failure shape is unknown (thekeys-api.md §2).
            raise AuthenticationError(
                f"{what} refused (HTTP {resp.status}): {self._error_text(resp)}"
            )
        try:
            body = as_dict(resp.json(what))
        except InvalidResponseError:
            body = {}  # the reference's rule: a login answer that is not JSON is a refusal
        token = as_str(body.get("access_token")) or as_str(body.get("token"))
        if not token:
            raise AuthenticationError(f"{what}: the answer carries no token")
        lifetime = as_int(body.get("expires_in")) or DEFAULT_TOKEN_LIFETIME
        self._scrub.remove(self._token)
        self._scrub.add(token)
        self._token = token
        self._expires_at = self._clock() + max(lifetime - TOKEN_MARGIN, 0.0)
        self.login_count += 1
        _LOGGER.debug("Logged in to The Keys; token valid for %s s", lifetime)

    async def _current_token(self) -> str:
        if self._token and self._clock() < self._expires_at:
            return self._token
        attempts = self._attempts
        async with self._login_lock:
            if token := self._shared_outcome(attempts):
                return token
            if not (self._token and self._clock() < self._expires_at):
                await self._login()
            assert self._token is not None  # noqa: S101  # set by _login or the check
            return self._token

    async def _renew(self, rejected: str) -> tuple[str, bool]:
        """The token to use after ``rejected`` was refused, and whether we logged in for it.

        Only a caller refused with the current token logs in; the others (refused with an
        older one, or waiting while that login ran) take the newer token.
        """
        attempts = self._attempts
        async with self._login_lock:
            if token := self._shared_outcome(attempts):
                return token, False
            logged_in = self._token == rejected or self._token is None
            if logged_in:
                _LOGGER.debug("The Keys refused the token; logging in again")
                self._token = None
                await self._login()
            assert self._token is not None  # noqa: S101
            return self._token, logged_in

    # --- requests ---------------------------------------------------------------------

    async def _api(
        self,
        method: str,
        *segments: str,
        what: str,
        data: dict[str, str] | None = None,
        allow_null: bool = False,
        hide: str = "",
    ) -> Any:
        """Call the API with the token; `hide` is masked in error texts (the PIN sent)."""
        resp = await self._call(method, segments, what, data)
        return self._unwrap(resp, what, allow_null=allow_null, hide=hide)

    async def _read[T](self, *segments: str, what: str, parse: Callable[[Any], T]) -> T:
        """GET and parse; an answer identical to the last one gets the last result back."""
        resp = await self._call("GET", segments, what, None)
        key = "/".join(segments)
        last = self._parsed.get(key)
        if last is not None and resp.status == 200 and last[0] == resp.text:
            result: T = last[1]
            return result

        def work() -> T:
            return parse(self._unwrap(resp, what, allow_null=False))

        offload = self._offload if len(resp.text) >= OFFLOAD_ABOVE else None
        result = await offload(work) if offload is not None else work()
        if len(self._parsed) >= MAX_REMEMBERED:  # locks come and go: start afresh
            self._parsed.clear()
        self._parsed[key] = (resp.text, result)
        return result

    async def _call(
        self, method: str, segments: tuple[str, ...], what: str, data: dict[str, str] | None
    ) -> Response:
        """The answer to a request made with a token the cloud accepted."""
        url = self._base.joinpath("fr", "api", "v2", *segments)
        token = await self._current_token()
        logins = 0
        for _ in range(MAX_TOKEN_TRIES):
            resp = await self._send(method, url, token, what, data)
            if not _token_refused(resp):
                return resp
            # Refused: tokens may die while others use them. Take the newest one, logging in
            # only when ours was the newest; give up rather than log in a TOKEN_ROUNDS+1th time.
            if logins >= TOKEN_ROUNDS and token == self._token:
                break
            token, logged_in = await self._renew(token)
            logins += logged_in
        failure = AuthenticationError(f"{what}: token refused after {logins} new logins")
        # Callers in the next AUTH_RETRY_DELAY share this outcome instead of logging in again.
        self._last_failure, self._failed_at = failure, self._clock()
        self.refusals += 1
        raise failure

    async def _send(
        self, method: str, url: URL, token: str, what: str, data: dict[str, str] | None
    ) -> Response:
        return await send(
            self._session,
            method,
            url,
            what=what,
            timeout=self._timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            data=data,
        )

    def _raise_for_transport(self, resp: Response, what: str) -> None:
        if resp.status == 429:
            raise RateLimitedError(
                f"{what}: rate limited (HTTP 429)",
                parse_retry_after(resp.headers.get("Retry-After"), time.time()),
            )
        if resp.status >= 500:
            raise CommunicationError(f"{what}: server error (HTTP {resp.status})")

    def _unwrap(self, resp: Response, what: str, *, allow_null: bool, hide: str = "") -> Any:
        """Check the `{status, data, message}` envelope; success is HTTP 200 and status 200."""
        self._raise_for_transport(resp, what)
        if resp.status in (403, 404):
            raise NotFoundError(f"{what}: not found (HTTP {resp.status})")
        body = resp.json(what)
        if not isinstance(body, dict):
            raise InvalidResponseError(f"{what}: unexpected answer shape")
        status = as_int(body.get("status"))  # sometimes a string (thekeys-api.md §3)
        if resp.status >= 400 or (status is not None and status != 200):
            message, fields = error_messages(body.get("message"))
            text = self._scrub(message or f"status {status or resp.status}", hide)
            if status in (403, 404):
                raise NotFoundError(f"{what}: not found ({text})")
            clean = {name: [self._scrub(e, hide) for e in errs] for name, errs in fields.items()}
            raise RequestRejectedError(f"{what}: refused ({text})", clean)
        if status is None:
            raise InvalidResponseError(f"{what}: the answer has no status")
        data = body.get("data")
        if data is None and not allow_null:
            # keyspy reads data: null as "not found"; the real behaviour is unknown.
            raise NotFoundError(f"{what}: the cloud returned no data")
        return data

    def _error_text(self, resp: Response) -> str:
        try:
            body = resp.json("")
        except InvalidResponseError:
            return self._scrub(resp.text) or "no details"
        body = as_dict(body)
        text = as_str(body.get("message")) or as_str(body.get("error_description"))
        return self._scrub(text or as_str(body.get("error")) or "no details")


def _token_refused(resp: Response) -> bool:
    """401 in the HTTP status or the envelope, or an OAuth `invalid_grant` error.

    Only the `error` field counts: code names carry guests' names, which could say anything.
    """
    if resp.status == 401:
        return True
    if "invalid_grant" not in resp.text and "401" not in resp.text:
        return False  # the usual case: no second JSON parse of every answer
    try:
        body = as_dict(resp.json(""))
    except InvalidResponseError:
        return False
    return body.get("error") == "invalid_grant" or as_int(body.get("status")) == 401
