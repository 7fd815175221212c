"""Async client for The Keys cloud API (locks, keypads and their access codes).

The API is undocumented; every shape here follows thekeys-api.md, and fields whose format
is uncertain there are parsed tolerantly (see ``_parse``).
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
from ._parse import as_bool, as_dict, as_int, as_list, as_opt_str, as_str, parse_date, parse_time
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
from .models import AccessCode, Account, CodeFields, Keypad, Lock, LockState

_LOGGER = logging.getLogger(__name__)

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
ACCESSORY_GATEWAY = 1
ACCESSORY_KEYPAD = 2
#: Listings whose last answer is kept (one per lock, and the account).
MAX_REMEMBERED = 2000
#: A name part longer than this is cut (it titles the entry and the account's device).
MAX_NAME_PART = 60
ACCESSORY_REMOTE = 3
#: Answers at least this long are decoded and walked by `offload` (a worker thread): the
#: account at 500 locks held the event loop longest of all. Smaller ones stay on the loop,
#: where the thread hop would cost more than it saves.
OFFLOAD_ABOVE = 64 * 1024


class Offload(Protocol):
    """Runs a job elsewhere (Home Assistant: `hass.async_add_executor_job`)."""

    def __call__[T](self, job: Callable[[], T], /) -> Awaitable[T]:
        """The job's result, once it ran."""


class TheKeysClient:
    """One The Keys account. Reuses its token and shares re-logins among concurrent calls."""

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
            message, fields = _messages(body.get("message"))
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

    # --- locks ------------------------------------------------------------------------

    async def get_account(self) -> Account:
        """The account's user id and its locks with their keypads."""
        what = "The Keys account"
        return await self._read(
            "utilisateur", "get", self._username, what=what, parse=self._account_of
        )

    def _account_of(self, data: Any) -> Account:
        what = "The Keys account"
        serrures = data.get("serrures") if isinstance(data, dict) else None
        if not isinstance(serrures, list):
            # Never report "no locks" from an answer we could not read.
            raise InvalidResponseError(f"{what}: unexpected answer shape")
        locks = tuple(lock for raw in serrures if (lock := _parse_lock(raw)) is not None)
        # firstname/lastname are seen in every known answer, but may be empty or missing.
        name = " ".join(
            part[:MAX_NAME_PART]
            for key in ("firstname", "lastname")
            if (part := as_str(data.get(key)))
        )
        return Account(as_int(data.get("id")), self._username, locks, name)

    async def get_lock(self, lock_id: int) -> Lock:
        """One lock, freshly read (state, battery)."""
        what = f"The Keys lock {lock_id}"
        lock = _parse_lock(await self._api("GET", "serrure", "get", str(lock_id), what=what))
        if lock is None:
            raise InvalidResponseError(f"{what}: unreadable lock")
        return lock

    async def open_lock(self, lock_id: int) -> None:
        """Open remotely through the cloud (needs a gateway; single-source endpoint)."""
        await self._api(
            "POST",
            "serrure",
            "remote_open",
            str(lock_id),
            what=f"The Keys open lock {lock_id}",
            data={"_format": "json"},
            allow_null=True,
        )

    async def close_lock(self, lock_id: int) -> None:
        """Close remotely through the cloud (needs a gateway; single-source endpoint)."""
        await self._api(
            "POST",
            "serrure",
            "remote_close",
            str(lock_id),
            what=f"The Keys close lock {lock_id}",
            data={"_format": "json"},
            allow_null=True,
        )

    # --- codes ------------------------------------------------------------------------

    async def list_codes(
        self, lock_id: int, keypad_id: str | None = None
    ) -> tuple[AccessCode, ...]:
        """Keypad codes of a lock: of one keypad, or of all its keypads.

        The listing mixes in gateway and remote shares, whose `code` is a secret key, not
        a PIN; they are left out. An unreadable listing raises rather than looking empty,
        so that nobody mistakes it for "no codes".
        """
        what = f"The Keys codes of lock {lock_id}"
        codes = await self._read(
            "partage", "all", "serrure", str(lock_id), what=what, parse=_codes_of(lock_id, what)
        )
        if keypad_id is None:
            return codes
        return tuple(code for code in codes if code.keypad_id == keypad_id)

    async def create_code(self, lock_id: int, keypad_id: str, fields: CodeFields) -> AccessCode:
        """Create a code on a keypad (`keypad_id` is the label id `id_accessoire`)."""
        what = f"The Keys create code on lock {lock_id}"
        data = as_dict(
            await self._api(
                "POST",
                "partage",
                "create",
                str(lock_id),
                "accessoire",
                keypad_id,
                what=what,
                data=_form(fields),
                hide=fields.pin,
            )
        )
        code_id = as_int(data.get("id"))
        if code_id is None:
            raise InvalidResponseError(f"{what}: the answer has no code id")
        return AccessCode(
            id=code_id,
            lock_id=lock_id,
            keypad_id=keypad_id,
            name=fields.name,
            pin=as_str(data.get("code")) or fields.pin,
            start_date=fields.start_date,
            end_date=fields.end_date,
            start_time=fields.start_time,
            end_time=fields.end_time,
            description=fields.description,
            active=fields.active,
            notify=fields.notify,
        )

    async def update_code(self, code: AccessCode) -> None:
        """Re-submit every field of a code (Symfony form: omitted fields would be cleared).

        Pass the listed code with the fields to change replaced; its PIN is sent as is.
        """
        await self._api(
            "POST",
            "partage",
            "accessoire",
            "update",
            str(code.id),
            what=f"The Keys update code {code.id}",
            data=_form(code),
            allow_null=True,
            hide=code.pin,
        )

    async def delete_code(self, code_id: int) -> None:
        """Delete a code."""
        await self._api(
            "POST",
            "partage",
            "accessoire",
            "delete",
            str(code_id),
            what=f"The Keys delete code {code_id}",
            allow_null=True,
        )


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


def _messages(message: Any) -> tuple[str, dict[str, list[str]]]:
    """Flatten Symfony's `message: {global: [...], form: {field: [...]}}` into text + fields."""
    if isinstance(message, str):
        return message, {}
    message = as_dict(message)
    texts = [as_str(item) for item in as_list(message.get("global")) if as_str(item)]
    fields: dict[str, list[str]] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(node, list):
            errors = [as_str(item) for item in node if isinstance(item, str) and item.strip()]
            if errors:
                fields.setdefault(prefix or "form", []).extend(errors)
            for item in node:
                if isinstance(item, dict | list):
                    walk(item, prefix)
        elif isinstance(node, str) and node.strip():
            fields.setdefault(prefix or "form", []).append(node.strip())

    walk(message.get("form"), "")
    texts.extend(f"{name}: {', '.join(errors)}" for name, errors in fields.items())
    return "; ".join(texts), fields


def _parse_lock(raw: Any) -> Lock | None:
    lock = as_dict(raw)
    lock_id = as_int(lock.get("id"))
    if lock_id is None:
        return None
    keypads: list[Keypad] = []
    has_gateway = False
    for item in as_list(lock.get("accessoires")):
        accessory = as_dict(as_dict(item).get("accessoire"))
        kind = as_int(accessory.get("type"))
        label = as_str(accessory.get("id_accessoire"))
        if kind == ACCESSORY_GATEWAY:
            has_gateway = True
        # Type 2 is a keypad (jeedom); an accessory of unknown type is offered too, so the
        # user can still pick it when the cloud omits the type.
        elif label and kind in (ACCESSORY_KEYPAD, None):
            keypads.append(
                Keypad(label, as_str(accessory.get("nom")) or label, as_int(accessory.get("id")))
            )
    etat = as_str(lock.get("etat")).lower()
    # jeedom maps "open" to unlocked and any other value to locked; the closed value is a guess.
    state = (
        LockState.UNKNOWN
        if not etat
        else (LockState.UNLOCKED if etat == "open" else LockState.LOCKED)
    )
    return Lock(
        id=lock_id,
        name=as_str(lock.get("nom")) or f"Lock {lock_id}",
        timezone=as_opt_str(lock.get("timezone")),
        state=state,
        battery_raw=as_int(lock.get("battery")),
        keypads=tuple(keypads),
        has_gateway=has_gateway,
        serial=as_opt_str(lock.get("id_serrure")),
        model=as_opt_str(as_dict(lock.get("produit")).get("nom")),
        firmware=as_opt_str(lock.get("version")),
    )


def _codes_of(lock_id: int, what: str) -> Callable[[Any], tuple[AccessCode, ...]]:
    """The parser of a lock's listing: its keypad codes, shares of other kinds left out."""

    def parse(data: Any) -> tuple[AccessCode, ...]:
        shares = data.get("partages_accessoire") if isinstance(data, dict) else None
        if not isinstance(shares, list):
            raise InvalidResponseError(f"{what}: unexpected answer shape")
        return tuple(code for raw in shares if (code := _parse_code(raw, lock_id)) is not None)

    return parse


def _parse_code(raw: Any, lock_id: int) -> AccessCode | None:
    share = as_dict(raw)
    accessory = as_dict(share.get("accessoire"))
    code_id = as_int(share.get("id"))
    keypad_id = as_str(accessory.get("id_accessoire"))
    if code_id is None or not keypad_id:
        return None
    if as_int(accessory.get("type")) in (ACCESSORY_GATEWAY, ACCESSORY_REMOTE):
        return None
    return AccessCode(
        id=code_id,
        lock_id=lock_id,
        keypad_id=keypad_id,
        name=as_str(share.get("nom")),
        pin=as_str(share.get("code")),
        start_date=parse_date(share.get("date_debut")),
        end_date=parse_date(share.get("date_fin")),
        start_time=parse_time(share.get("heure_debut")),
        end_time=parse_time(share.get("heure_fin")),
        description=as_str(share.get("description")),
        active=as_bool(share.get("actif")),
        notify=as_bool(share.get("notification_enabled")),
    )


def _form(fields: CodeFields) -> dict[str, str]:
    """The full `partage_accessoire[...]` form. Checkboxes are omitted when off."""
    key = "partage_accessoire[{}]".format
    form = {
        key("nom"): fields.name,
        key("code"): fields.pin,
        key("description"): fields.description,
    }
    if fields.active:
        form[key("actif")] = "1"
    if fields.notify:
        form[key("notification_enabled")] = "1"
    if fields.start_date is not None:
        form[key("date_debut")] = fields.start_date.isoformat()
    if fields.end_date is not None:
        form[key("date_fin")] = fields.end_date.isoformat()
    for name, value in (("heure_debut", fields.start_time), ("heure_fin", fields.end_time)):
        if value is not None:
            form[f"partage_accessoire[{name}][hour]"] = str(value.hour)
            form[f"partage_accessoire[{name}][minute]"] = str(value.minute)
    return form
