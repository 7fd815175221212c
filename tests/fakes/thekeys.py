"""Stateful simulator of The Keys cloud (api.the-keys.fr), see thekeys-api.md.

Lock activity: ``type_pin`` is a guest at a keypad, ``add_log``/``set_raw_logs`` odd entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import itertools
import random
import re
import secrets
import string
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from .common import Handler, SimulatorBase, json_response, monotonic_clock, parse_day
from .thekeys_activity import ActivityLog, code_window

GATEWAY = 1
KEYPAD = 2
HEURE_FORMATS = ("HH:MM", "HH:MM:SS", "iso", "object", "null")
_ALNUM = string.ascii_letters + string.digits
_PIN = re.compile(r"[0-9]{4,8}")
_FORM = "partage_accessoire"
# Symfony's stock constraint messages, which the real backend most likely uses.
_BLANK = "This value should not be blank."
_INVALID = "This value is not valid."
_BAD_DATE = "Please enter a valid date."
_BAD_TIME = "Please enter a valid time."
_PIN_TAKEN = "This code is already used on this keypad"

Time = tuple[int, int]
Form = Mapping[str, Any]


@dataclass
class SimCode:
    """A keypad code (``partage accessoire``); mutable so tests can edit it "in the app"."""

    id: int
    lock_id: int
    id_accessoire: str
    name: str
    code: str
    start: date
    end: date
    start_time: Time | None
    end_time: Time | None
    description: str
    active: bool
    notify: bool
    #: No dates at all (as jeedom reads one): it always opens; start/end are placeholders.
    permanent: bool = False


@dataclass
class _Accessory:
    link_id: int  # the outer "id" of serrures[].accessoires[]
    id: int
    id_accessoire: str
    name: str
    type: int
    ip: str | None

    def as_json(self) -> dict[str, Any]:
        """Render the accessory as embedded in share listings."""
        return {
            "id": self.id,
            "id_accessoire": self.id_accessoire,
            "nom": self.name,
            "type": self.type,
            "version": 30 if self.type == GATEWAY else 17,
            "type_version": 1,
            "configuration": [],
        }


@dataclass
class _GatewayShare:
    """The share holding a gateway's HMAC secret; listed among keypad codes in reality."""

    id: int
    lock_id: int
    name: str
    code: str


@dataclass
class _Lock:
    id: int
    id_serrure: str
    name: str
    timezone: str
    battery: int
    battery_date: datetime
    etat: str
    created_at: datetime
    secret: str  # seeds the opaque per-lock strings (code, qrcode, public_key)
    accessories: list[_Accessory] = field(default_factory=list)
    #: When a keypad opened it, the moment the latch closes again (None: it stays as it is).
    relatch_at: datetime | None = None

    @property
    def gateway(self) -> _Accessory | None:
        return next((acc for acc in self.accessories if acc.type == GATEWAY), None)

    def keypad(self, id_accessoire: str) -> _Accessory | None:
        return next(
            (
                acc
                for acc in self.accessories
                if acc.type == KEYPAD and acc.id_accessoire == id_accessoire
            ),
            None,
        )


@dataclass
class _CodeForm:
    """A validated ``partage_accessoire[...]`` submission."""

    name: str
    code: str
    start: date
    end: date
    start_time: Time | None
    end_time: Time | None
    description: str
    active: bool
    notify: bool
    permanent: bool = False


#: What a permanent code's dates hold here (never shown: the cloud sends null).
_PERMANENT_DAY = date(2000, 1, 1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _php_date(moment: datetime, tz: str) -> dict[str, Any]:
    """Render a datetime the way PHP's DateTime serialises to JSON."""
    local = moment.astimezone(_zone(tz))
    return {"date": local.strftime("%Y-%m-%d %H:%M:%S.%f"), "timezone_type": 3, "timezone": tz}


def _local_iso(moment: datetime, tz: str) -> str:
    """Render ``last_seen``: ISO local time in ``tz``, no offset (a naive one is local)."""
    local = moment.astimezone(_zone(tz)) if moment.tzinfo else moment
    return local.replace(tzinfo=None).isoformat(timespec="seconds")


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


class TheKeysSimulator(SimulatorBase):
    """One The Keys account: locks with gateways and keypads, keypad codes, tokens."""

    def __init__(
        self,
        username: str = "+33612345678",
        password: str = "tk-secret-password",  # noqa: S107 - fake credential
        *,
        user_id: int = 42,
        token_lifetime: int = 3600,
        clock: Callable[[], float] = monotonic_clock,
    ) -> None:
        super().__init__()
        self.username = username
        self.password = password
        self.user_id = user_id
        #: The holder's name as the account gives it ("" or None: none given).
        self.firstname: str | None = "Jean"
        self.lastname: str | None = "Dupont"
        self.token_lifetime = token_lifetime
        self.logins = 0
        self.heure_format = "HH:MM"
        self.status_as_string = False
        self.token_field = "both"
        self._clock = clock
        self._tokens: dict[str, float] = {}  # bearer token -> expiry on self._clock
        #: When set, each token is refused after this many uses (tokens that die early).
        self.token_uses: int | None = None
        self._uses: dict[str, int] = {}
        #: Every token and refresh token ever handed out, for leak checks in tests.
        self.issued_tokens: list[str] = []
        self._locks: dict[int, _Lock] = {}
        self._codes: dict[int, SimCode] = {}
        #: The same codes by lock (then id): a listing reads its lock's only, not the account's.
        self._codes_by_lock: dict[int, dict[int, SimCode]] = {}
        self._gateway_shares: dict[int, _GatewayShare] = {}
        self._gateway_shares_by_lock: dict[int, dict[int, _GatewayShare]] = {}
        self._created_at = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
        self._share_ids = itertools.count(684001)
        self._accessory_ids = itertools.count(4401)
        self._link_ids = itertools.count(11)
        # ---- lock activity (thekeys-api.md, "Lock activity, state and battery") ----
        self._activity = ActivityLog()
        #: serrure/get shows this many entries at most, the newest.
        self.max_logs = 50
        #: Their order is unknown: newest first unless this is set.
        self.logs_oldest_first = False
        #: Seconds from the keypad to the cloud: an entry shows that long after its action.
        self.log_delay = 0.0
        #: Whether a refused code (wrong PIN, or right PIN out of its window) is logged.
        self.log_refused = True
        #: The ``action`` of an entry for a code that opened the lock (real values unknown).
        self.open_action = "open"
        #: Seconds after a keypad opens the lock before the latch closes it (None: never).
        self.relatch_after: float | None = 1.0
        #: Keypads' ``info.last_seen`` set by tests (None: no info); others are seen now.
        self._keypad_seen: dict[str, datetime | None] = {}

    # ---- state set-up and inspection (used by tests and the demo) ----

    def add_lock(
        self,
        lock_id: int,
        name: str,
        *,
        timezone: str = "Europe/Paris",
        battery: int = 7235,
        etat: str = "closed",
        gateway: bool = True,
        keypads: Sequence[tuple[str, str]] = (("KpXy34Zt", "Keypad"),),
    ) -> None:
        """Add a lock, with an optional gateway (and its share) and keypads."""
        if lock_id in self._locks:
            raise ValueError(f"lock {lock_id} already exists")
        known = {acc.id_accessoire for lock in self._locks.values() for acc in lock.accessories}
        wanted = [kp_id for kp_id, _ in keypads]
        if len(set(wanted)) != len(wanted) or known.intersection(wanted):
            raise ValueError(f"keypad ids must be unique in the account: {wanted}")
        # Seeded per lock so that opaque ids stay stable from run to run.
        rng = random.Random(f"thekeys-lock-{lock_id}")
        now = datetime.now(UTC)
        lock = _Lock(
            id=lock_id,
            id_serrure=str(45_960_000 + lock_id),
            name=name,
            timezone=timezone,
            battery=battery,
            battery_date=now,
            etat=etat,
            created_at=self._created_at,
            secret="".join(rng.choices(_ALNUM, k=32)),
        )
        if gateway:
            gw = self._new_accessory(
                "".join(rng.choices(_ALNUM, k=8)),
                "TK Gateway",
                GATEWAY,
                f"192.168.1.{50 + lock_id % 200}",
            )
            lock.accessories.append(gw)
            share = _GatewayShare(
                id=next(self._share_ids),
                lock_id=lock_id,
                name="Passerelle",
                code="".join(rng.choices(_ALNUM, k=16)),
            )
            self._gateway_shares[share.id] = share
            self._gateway_shares_by_lock.setdefault(lock_id, {})[share.id] = share
        for kp_id, kp_name in keypads:
            lock.accessories.append(self._new_accessory(kp_id, kp_name, KEYPAD, None))
        self._locks[lock_id] = lock

    def add_code(
        self,
        lock_id: int,
        id_accessoire: str,
        name: str,
        code: str,
        start: date,
        end: date,
        *,
        start_time: Time | None = (15, 0),
        end_time: Time | None = (12, 0),
        description: str = "",
        active: bool = True,
        notify: bool = False,
        permanent: bool = False,
    ) -> int:
        """Add a code as if made in the app; no validation, so tests can seed odd states."""
        if self._locks[lock_id].keypad(id_accessoire) is None:
            raise KeyError(f"lock {lock_id} has no keypad {id_accessoire}")
        share_id = next(self._share_ids)
        self._codes[share_id] = self._codes_by_lock.setdefault(lock_id, {})[share_id] = SimCode(
            id=share_id,
            lock_id=lock_id,
            id_accessoire=id_accessoire,
            name=name,
            code=code,
            start=start,
            end=end,
            start_time=start_time,
            end_time=end_time,
            description=description,
            active=active,
            notify=notify,
            permanent=permanent,
        )
        return share_id

    def remove_code(self, code_id: int) -> None:
        """Delete a code as if removed in the app."""
        code = self._codes.pop(code_id)
        del self._codes_by_lock[code.lock_id][code_id]

    def codes(self, lock_id: int | None = None, id_accessoire: str | None = None) -> list[SimCode]:
        """Return the keypad codes (live objects), by id, optionally filtered."""
        found = self._codes if lock_id is None else self._codes_by_lock.get(lock_id, {})
        return [
            code
            for _, code in sorted(found.items())
            if id_accessoire is None or code.id_accessoire == id_accessoire
        ]

    def expire_tokens(self) -> None:
        """Invalidate every issued token (the next API call answers invalid_grant)."""
        self._tokens.clear()

    def set_lock_state(self, lock_id: int, etat: str) -> None:
        """Change the lock's reported ``etat`` (``open``/``closed``)."""
        lock = self._locks[lock_id]
        lock.etat, lock.relatch_at = etat, None

    def lock_state(self, lock_id: int) -> str:
        """Return the lock's current ``etat`` (changed by remote_open/remote_close, keypads)."""
        return self._etat(self._locks[lock_id])

    def has_lock(self, lock_id: int) -> bool:
        """Whether the account has a lock with that id."""
        return lock_id in self._locks

    def set_battery(self, lock_id: int, battery: int) -> None:
        """Change the lock's raw battery value (mV-like)."""
        lock = self._locks[lock_id]
        lock.battery = battery
        lock.battery_date = datetime.now(UTC)

    # ---- lock activity ----

    def keypad_lock_id(self, id_accessoire: str) -> int | None:
        """Return the id of the lock holding the keypad with that label id (None: no such)."""
        found = self._find_keypad(id_accessoire)
        return found[0].id if found else None

    def code_open_at(self, code: SimCode, at: datetime | None = None) -> bool:
        """Whether the code opens its keypad's lock at ``at`` (default now): active, in window.

        The window runs from ``start`` at ``start_time`` to ``end`` at ``end_time`` in the
        lock's time zone, a missing time meaning the whole day (see ``code_window``).
        """
        lock = self._locks[code.lock_id]
        moment = self._aware(at or datetime.now(UTC), lock)
        if code.permanent:
            return code.active
        window = code_window(
            code.start, code.end, code.start_time, code.end_time, _zone(lock.timezone)
        )
        return code.active and window is not None and window[0] <= moment < window[1]

    def type_pin(
        self, id_accessoire: str, pin: str, at: datetime | None = None
    ) -> dict[str, Any] | None:
        """Type ``pin`` at a keypad, as a guest does; return the entry recorded, or None.

        ``at`` defaults to now (a naive one is the lock's local time). A code of that keypad
        with that PIN, active and in its window, opens the lock and logs ``open_action``
        (status 1). Otherwise, when ``log_refused``, ``code_refused`` (status 0) is logged,
        naming the code when the PIN was one (out of its window, or inactive). KeyError for
        an unknown keypad.
        """
        found = self._find_keypad(id_accessoire)
        if found is None:
            raise KeyError(f"no keypad {id_accessoire} in the account")
        lock, keypad = found
        moment = self._aware(at or datetime.now(UTC), lock)
        matching = [code for code in self.codes(lock.id, id_accessoire) if code.code == pin]
        opening = next((code for code in matching if self.code_open_at(code, moment)), None)
        if opening is not None:
            self._unlatch(lock, moment)
            return self._log(lock, keypad, moment, opening, opened=True)
        if not self.log_refused:
            return None
        return self._log(lock, keypad, moment, next(iter(matching), None), opened=False)

    def add_log(self, lock_id: int, raw: Any) -> None:
        """Append ``raw`` to the lock's entries verbatim, visible at once (odd entries)."""
        if lock_id not in self._locks:
            raise KeyError(f"no lock {lock_id}")
        self._activity.append(lock_id, raw)

    def set_raw_logs(self, lock_id: int, raw: Any | None) -> None:
        """Make ``serrure/get`` answer exactly ``raw`` as ``logs``; None gives the entries back."""
        if lock_id not in self._locks:
            raise KeyError(f"no lock {lock_id}")
        self._activity.set_raw(lock_id, raw)

    def logs(self, lock_id: int) -> list[Any]:
        """Every entry of the lock, oldest first, including those not visible yet."""
        return self._activity.entries(lock_id)

    def set_keypad_seen(self, lock_id: int, id_accessoire: str, when: datetime | None) -> None:
        """Set a keypad's ``info.last_seen`` (a naive ``when`` is the lock's local time).

        ``None``: the cloud gives no info (``info: null``). Until set, a keypad is seen now.
        """
        if self._locks[lock_id].keypad(id_accessoire) is None:
            raise KeyError(f"lock {lock_id} has no keypad {id_accessoire}")
        self._keypad_seen[id_accessoire] = when

    def _find_keypad(self, id_accessoire: str) -> tuple[_Lock, _Accessory] | None:
        pairs = ((lock, lock.keypad(id_accessoire)) for lock in self._locks.values())
        return next(((lock, keypad) for lock, keypad in pairs if keypad is not None), None)

    def _log(
        self, lock: _Lock, keypad: _Accessory, at: datetime, code: SimCode | None, *, opened: bool
    ) -> dict[str, Any]:
        shown_at = at + timedelta(seconds=self.log_delay)
        entry: dict[str, Any] = {  # the cloud's table keeps whole seconds
            "id": self._activity.next_id(),
            "action_at": _php_date(at.replace(microsecond=0), lock.timezone),
            "created_at": _php_date(shown_at.replace(microsecond=0), lock.timezone),
            "action": self.open_action if opened else "code_refused",
            "data": {"ts": int(at.timestamp())},
            "status": 1 if opened else 0,
            "share_id": None,
            "accessory_share_id": code.id if code else None,
            "utilisateur": code.name if code else None,
            "utilisateur_id": None,
            "accessoire_id": keypad.id,
        }
        self._activity.append(lock.id, entry, shown_at)
        return entry

    def _unlatch(self, lock: _Lock, moment: datetime) -> None:
        if lock.etat == "open" and lock.relatch_at is None:
            return  # left open from the app: the keypad changes nothing
        lock.etat = "open"
        delay = self.relatch_after
        lock.relatch_at = None if delay is None else moment + timedelta(seconds=delay)

    @staticmethod
    def _etat(lock: _Lock) -> str:
        if lock.relatch_at is not None and datetime.now(UTC) >= lock.relatch_at:
            lock.etat, lock.relatch_at = "closed", None
        return lock.etat

    @staticmethod
    def _aware(moment: datetime, lock: _Lock) -> datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=_zone(lock.timezone))

    def _new_accessory(
        self, id_accessoire: str, name: str, kind: int, ip: str | None
    ) -> _Accessory:
        return _Accessory(
            link_id=next(self._link_ids),
            id=next(self._accessory_ids),
            id_accessoire=id_accessoire,
            name=name,
            type=kind,
            ip=ip,
        )

    # ---- HTTP ----

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the cloud's routes (login + ``/fr/api/v2``)."""
        router.add_post("/api/login_check", self._login)
        api = "/fr/api/v2"
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/utilisateur/get/{username}", self._get_user),
            ("GET", "/serrure/get/{lock_id}", self._get_lock),
            ("GET", "/accessoire/get/{acc_id}", self._get_accessory),
            ("GET", "/partage/all/serrure/{lock_id}", self._list_shares),
            ("POST", "/partage/create/{lock_id}/accessoire/{id_accessoire}", self._create_code),
            ("POST", "/partage/accessoire/update/{code_id}", self._update_code),
            ("POST", "/partage/accessoire/delete/{code_id}", self._delete_code),
            ("POST", "/serrure/remote_open/{lock_id}", self._remote_open),
            ("POST", "/serrure/remote_close/{lock_id}", self._remote_close),
        ]
        for method, path, handler in routes:
            router.add_route(method, api + path, self._authed(handler))

    def _envelope(
        self,
        data: Any,
        status: int = 200,
        *,
        http_status: int | None = None,
        errors: Sequence[str] = (),
        form: dict[str, list[str]] | None = None,
    ) -> web.Response:
        body = {
            "status": str(status) if self.status_as_string else status,
            "data": data,
            # PHP serialises an empty associative array as [], a filled one as {}.
            "message": {"global": list(errors), "form": form or []},
        }
        return json_response(body, status=http_status or status)

    def _not_found(self) -> web.Response:
        return self._envelope(None, 404, errors=["Not found"])

    def _authed(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            token = token.strip()
            expiry = self._tokens.get(token)
            used = self._uses[token] = self._uses.get(token, 0) + 1
            worn = self.token_uses is not None and used > self.token_uses
            if scheme.lower() != "bearer" or expiry is None or self._clock() >= expiry or worn:
                detail = "The access token provided has expired."
                return json_response(
                    {"error": "invalid_grant", "error_description": detail},
                    status=401,
                    headers={
                        "WWW-Authenticate": (
                            f'Bearer realm="Service", error="invalid_grant", '
                            f'error_description="{detail}"'
                        )
                    },
                )
            return await handler(request)

        return wrapped

    async def _login(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("_username") != self.username or form.get("_password") != self.password:
            return json_response({"code": 401, "message": "Bad credentials"}, status=401)
        self.logins += 1
        expiry = self._clock() + self.token_lifetime
        body: dict[str, Any] = {}
        # Distinct values, both usable: the reference cannot tell whether they are equal.
        if self.token_field in {"both", "access_token"}:
            body["access_token"] = secrets.token_urlsafe(32)
        body |= {
            "expires_in": self.token_lifetime,
            "token_type": "bearer",
            "scope": "actions",
            "refresh_token": secrets.token_urlsafe(32),
        }
        if self.token_field in {"both", "token"}:
            body["token"] = secrets.token_urlsafe(32)
        for key in ("access_token", "token"):
            if key in body:
                self._tokens[body[key]] = expiry
        self.issued_tokens.extend(
            str(value) for key, value in body.items() if "token" in key and key != "token_type"
        )
        return json_response(body)

    async def _get_user(self, request: web.Request) -> web.Response:
        # jeedom sends %2B33..., keyspy a raw +33...: both must work.
        if unquote(request.match_info["username"]) != self.username:
            return self._not_found()
        created = _php_date(self._created_at, "Europe/Paris")
        return self._envelope(
            {
                "id": self.user_id,
                "type": "user_utilisateur",
                "roles": ["ROLE_UTILISATEUR"],
                "firstname": self.firstname,
                "lastname": self.lastname,
                "locale": "fr",
                "username": self.username,
                "email": "jean.dupont@example.com",
                "tel": self.username,
                "created_at": created,
                "updated_at": created,
                "notification_token": "",
                "notification_enabled": True,
                "serrures": [self._lock_json(lock) for lock in self._locks.values()],
            }
        )

    async def _get_lock(self, request: web.Request) -> web.Response:
        lock = self._lock_of(request)
        if lock is None:
            return self._not_found()
        data = self._lock_json(lock, detailed=True)
        logs = self._activity.shown(
            lock.id,
            datetime.now(UTC),
            max_logs=self.max_logs,
            oldest_first=self.logs_oldest_first,
        )
        data |= {
            "compte": {"id": self.user_id, "nom": "Jean Dupont"},
            "created_at": _php_date(lock.created_at, lock.timezone),
            "updated_at": _php_date(lock.battery_date, lock.timezone),
            "logs": logs,
            "door": 1,
        }
        return self._envelope(data)

    async def _get_accessory(self, request: web.Request) -> web.Response:
        acc_id = _int(request.match_info["acc_id"])
        for lock in self._locks.values():
            for acc in lock.accessories:
                if acc.id == acc_id:
                    data = acc.as_json() | {
                        "description": None,
                        "created_at": _php_date(lock.created_at, lock.timezone),
                        "updated_at": _php_date(lock.created_at, lock.timezone),
                        "public_key": f"pk-{acc.id_accessoire}",
                        "info": self._info(acc, lock),
                        "cfg": None,
                    }
                    return self._envelope(data)
        return self._not_found()

    async def _list_shares(self, request: web.Request) -> web.Response:
        lock = self._lock_of(request)
        if lock is None:
            return self._not_found()
        shares: list[tuple[int, dict[str, Any]]] = [
            (share.id, self._gateway_share_json(share, lock))
            for share in self._gateway_shares_by_lock.get(lock.id, {}).values()
        ]
        shares += [(code.id, self._code_json(code, lock)) for code in self.codes(lock.id)]
        return self._envelope(
            {
                "partages_utilisateur": [],
                "partages_demande": [],
                "partages_accessoire": [item for _, item in sorted(shares, key=lambda s: s[0])],
            }
        )

    async def _create_code(self, request: web.Request) -> web.Response:
        lock = self._lock_of(request)
        keypad = lock.keypad(request.match_info["id_accessoire"]) if lock else None
        if lock is None or keypad is None:
            return self._not_found()
        parsed, errors = self._validate(await request.post(), lock.id, keypad.id_accessoire)
        if parsed is None:
            return self._envelope(None, 400, form=errors)
        code_id = self.add_code(
            lock.id,
            keypad.id_accessoire,
            parsed.name,
            parsed.code,
            parsed.start,
            parsed.end,
            start_time=parsed.start_time,
            end_time=parsed.end_time,
            description=parsed.description,
            active=parsed.active,
            notify=parsed.notify,
            permanent=parsed.permanent,
        )
        return self._envelope({"id": code_id, "code": parsed.code})

    async def _update_code(self, request: web.Request) -> web.Response:
        code = self._code_of(request)
        if code is None:
            return self._not_found()
        parsed, errors = self._validate(
            await request.post(), code.lock_id, code.id_accessoire, exclude=code.id
        )
        if parsed is None:
            return self._envelope(None, 400, form=errors)
        # Symfony full-form semantics: every field comes from this submission.
        code.name, code.code = parsed.name, parsed.code
        code.start, code.end, code.permanent = parsed.start, parsed.end, parsed.permanent
        code.start_time, code.end_time = parsed.start_time, parsed.end_time
        code.description, code.active, code.notify = (
            parsed.description,
            parsed.active,
            parsed.notify,
        )
        return self._envelope(None)

    async def _delete_code(self, request: web.Request) -> web.Response:
        code_id = _int(request.match_info["code_id"])
        if code_id in self._codes:
            self.remove_code(code_id)
        elif code_id in self._gateway_shares:
            # The cloud would allow it too.
            share = self._gateway_shares.pop(code_id)
            del self._gateway_shares_by_lock[share.lock_id][code_id]
        else:
            return self._not_found()
        return self._envelope(None)

    async def _remote_open(self, request: web.Request) -> web.Response:
        return self._remote(request, "open")

    async def _remote_close(self, request: web.Request) -> web.Response:
        return self._remote(request, "closed")

    def _remote(self, request: web.Request, etat: str) -> web.Response:
        lock = self._lock_of(request)
        if lock is None:
            return self._not_found()
        if lock.gateway is None:
            return self._envelope(None, 400, http_status=200, errors=["No gateway available"])
        lock.etat, lock.relatch_at = etat, None
        return self._envelope(None)

    # ---- helpers ----

    def _lock_of(self, request: web.Request) -> _Lock | None:
        lock_id = _int(request.match_info["lock_id"])
        return self._locks.get(lock_id) if lock_id is not None else None

    def _code_of(self, request: web.Request) -> SimCode | None:
        code_id = _int(request.match_info["code_id"])
        return self._codes.get(code_id) if code_id is not None else None

    def _info(self, acc: _Accessory, lock: _Lock) -> dict[str, Any] | None:
        """Gateways report last_seen (naive local time) and their IP; keypads no IP.

        A keypad is seen now unless ``set_keypad_seen`` said otherwise; None there gives
        ``info: null``, as thekeys-api.md section 6 shows a keypad in an account listing.
        """
        if acc.type != GATEWAY:
            if acc.id_accessoire not in self._keypad_seen:
                return {"last_seen": self._last_seen(lock)}
            when = self._keypad_seen[acc.id_accessoire]
            return None if when is None else {"last_seen": _local_iso(when, lock.timezone)}
        info: dict[str, Any] = {"last_seen": self._last_seen(lock)}
        if acc.ip is not None:
            info["ip"] = acc.ip
        return info

    @staticmethod
    def _last_seen(lock: _Lock) -> str:
        return _local_iso(datetime.now(UTC), lock.timezone)

    def _lock_json(self, lock: _Lock, *, detailed: bool = False) -> dict[str, Any]:
        accessories = []
        for acc in lock.accessories:
            inner = acc.as_json()
            if not detailed:  # utilisateur/get embeds a shorter accessory object
                inner = {
                    k: inner[k] for k in ("id", "id_accessoire", "nom", "type", "configuration")
                }
            info = self._info(acc, lock)
            if detailed:
                inner["info"] = info
            accessories.append({"id": acc.link_id, "accessoire": inner, "info": info})
        return {
            "id": lock.id,
            "id_serrure": lock.id_serrure,
            "nom": lock.name,
            "etat": self._etat(lock),
            "battery": lock.battery,
            "battery_date": _php_date(lock.battery_date, lock.timezone),
            "timezone": lock.timezone,
            "code": lock.secret[:12],
            "code_serrure": lock.secret[12:20],
            "couleur": None,
            "qrcode": lock.secret[20:],
            "serrure_droite": True,
            "main_libre": False,
            "longitude": 0,
            "latitude": 0,
            "radius": 100,
            "maxSpeed": 80,
            "latchDelay": 1000,
            "assistedActions": False,
            "unlockOnly": False,
            "logSequence": self._activity.sequence(lock.id, datetime.now(UTC)),
            "description": None,
            "public_key": f"pk-{lock.secret}",
            "message": "",
            "version": 81,
            "version_cible": 81,
            "beta": 0,
            "utilisateur": {"username": self.username, "firstname": "Jean", "lastname": "Dupont"},
            "produit": {"id": 1, "nom": "TK 1.5.1", "version": 81, "versionBeta": 82},
            "accessoires": accessories,
        }

    def _render_time(self, value: Time | None, lock: _Lock) -> Any:
        if value is None or self.heure_format == "null":
            return None
        hour, minute = value
        match self.heure_format:
            case "HH:MM:SS":
                return f"{hour:02d}:{minute:02d}:00"
            case "iso":  # a PHP time column serialised as a DateTime on 1970-01-01
                return datetime(1970, 1, 1, hour, minute, tzinfo=_zone(lock.timezone)).isoformat()
            case "object":
                return {"hour": hour, "minute": minute}
            case _:
                return f"{hour:02d}:{minute:02d}"

    def _code_json(self, code: SimCode, lock: _Lock) -> dict[str, Any]:
        keypad = lock.keypad(code.id_accessoire)
        return {
            "id": code.id,
            "iddesc": None,
            "nom": code.name,
            "actif": code.active,
            "code": code.code,
            "date_debut": None if code.permanent else code.start.isoformat(),
            "date_fin": None if code.permanent else code.end.isoformat(),
            "heure_debut": self._render_time(code.start_time, lock),
            "heure_fin": self._render_time(code.end_time, lock),
            "description": code.description,
            "notification_enabled": code.notify,
            "horaires": [],
            "accessoire": keypad.as_json() if keypad else None,
        }

    @staticmethod
    def _gateway_share_json(share: _GatewayShare, lock: _Lock) -> dict[str, Any]:
        gateway = lock.gateway
        return {
            "id": share.id,
            "iddesc": "remote",
            "nom": share.name,
            "actif": True,
            "code": share.code,
            "date_debut": None,
            "date_fin": None,
            "heure_debut": None,
            "heure_fin": None,
            "description": None,
            "notification_enabled": False,
            "horaires": [],
            "accessoire": gateway.as_json() if gateway else None,
        }

    def _validate(
        self, form: Form, lock_id: int, id_accessoire: str, *, exclude: int | None = None
    ) -> tuple[_CodeForm | None, dict[str, list[str]]]:
        """Validate a create/update submission like the Symfony form would."""
        errors: dict[str, list[str]] = {}

        def text(*path: str) -> str | None:
            value = form.get(_FORM + "".join(f"[{part}]" for part in path))
            return value if isinstance(value, str) else None

        name = (text("nom") or "").strip()
        if not name:
            errors["nom"] = [_BLANK]
        elif len(name) > 255:
            errors["nom"] = ["This value is too long. It should have 255 characters or less."]

        pin = (text("code") or "").strip()
        if not pin:
            errors["code"] = [_BLANK]
        elif not _PIN.fullmatch(pin):
            errors["code"] = [_INVALID]
        elif any(
            other.code == pin and other.id != exclude
            for other in self.codes(lock_id, id_accessoire)
        ):
            errors["code"] = [_PIN_TAKEN]

        days: dict[str, date] = {}
        # No dates and no times at all: a permanent code.
        permanent = not any(
            text(key) or text(key, "hour")
            for key in ("date_debut", "date_fin", "heure_debut", "heure_fin")
        )
        for key in ("date_debut", "date_fin"):
            raw = text(key)
            day = parse_day(raw.strip()) if raw else None
            if permanent:
                days[key] = _PERMANENT_DAY
            elif day is None:
                errors[key] = [_BAD_DATE if raw else _BLANK]
            else:
                days[key] = day
        if len(days) == 2 and days["date_fin"] < days["date_debut"]:
            errors["date_fin"] = ["The end date must be on or after the start date."]

        times: dict[str, Time | None] = {}
        for key in ("heure_debut", "heure_fin"):
            hour, minute = text(key, "hour"), text(key, "minute")
            if not hour and not minute:
                times[key] = None  # an empty time widget submits null
                continue
            parsed = _parse_time(hour, minute)
            if parsed is None:
                errors[key] = [_BAD_TIME]
            times[key] = parsed

        if errors:
            return None, errors
        return _CodeForm(
            name=name,
            code=pin,
            start=days["date_debut"],
            end=days["date_fin"],
            permanent=permanent,
            start_time=times["heure_debut"],
            end_time=times["heure_fin"],
            description=text("description") or "",
            # Symfony checkboxes: present (any value, even "0") = checked, absent = unchecked.
            active=text("actif") is not None,
            notify=text("notification_enabled") is not None,
        ), {}


def _parse_time(hour: str | None, minute: str | None) -> Time | None:
    """Read the hour/minute pair of a Symfony time widget; None when invalid."""
    if hour is None or minute is None:
        return None
    hour, minute = hour.strip(), minute.strip()
    if not (hour.isdigit() and minute.isdigit()):
        return None
    value = (int(hour), int(minute))
    return value if 0 <= value[0] <= 23 and 0 <= value[1] <= 59 else None
