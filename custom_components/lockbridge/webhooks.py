"""Push: a webhook per booking source, whose calls bring that source's changes in seconds.

Smoobu calls one URL per account on every change (Settings > API & Webhooks) and is not known
to sign its calls (push-and-messaging.md, U): the URL itself is the secret, a random id that is
never logged by us. A Smoobu call only asks the source to read its changes now, through the
cloud's own API: a forged or replayed call can make LockBridge read Smoobu, never change a code
by itself.

HotelRunner posts the reservation itself (a form field `data` holding JSON) with the property's
token and hr_id appended to the URL; those two, checked here, are its only proof. A pushed
reservation is applied when it is newer than the one known: that spends nothing of the
property's 250 requests a day, and a replay (or an older copy) changes nothing.

Polling stays as the safety net, slower while pushes arrive (coordinator.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
import hmac
from http import HTTPStatus
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.hdrs import METH_GET, METH_HEAD, METH_POST
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util

from .api import HotelRunnerReservation
from .api.hotelrunner import parse_reservation
from .const import CONF_HR_ID, CONF_TOKEN, DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .coordinator import HotelRunnerCoordinator, SmoobuCoordinator, SourceCoordinator

LOGGER = logging.getLogger(__name__)

#: Where a source keeps the id of its webhook (in the subentry's data).
CONF_WEBHOOK_ID = "webhook_id"
#: The Home Assistant Cloud address made for it, when the home has Cloud.
CONF_CLOUDHOOK_URL = "cloudhook_url"
#: Smoobu's calls about bookings; every other action (rates, messages...) is answered and
#: ignored (push-and-messaging.md, M).
BOOKING_ACTIONS = frozenset(
    {"newReservation", "updateReservation", "cancelReservation", "deleteReservation"}
)
#: A booking call is a few kB; anything much larger is not Smoobu's or HotelRunner's.
MAX_BODY = 256 * 1024
#: Seconds to receive a body: a sender trickling bytes (slow loris) is cut off, not waited for.
BODY_DEADLINE = 10.0
#: Reservations read from one HotelRunner call; the rest would be the poll's.
MAX_PUSHED = 50
#: Calls remembered to tell a replay (the same body again) from news.
REMEMBERED_CALLS = 64


def new_webhook_id() -> str:
    """An unguessable id: the only thing that tells the cloud's calls from anyone's."""
    return secrets.token_hex(32)


def webhook_url(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """The address to give the cloud: Cloud's, else the external one, else the path to add."""
    if cloudhook := data.get(CONF_CLOUDHOOK_URL):
        return str(cloudhook)
    webhook_id = str(data.get(CONF_WEBHOOK_ID) or "")
    try:
        return webhook.async_generate_url(hass, webhook_id, allow_internal=False)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)


async def cloudhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """A Home Assistant Cloud address for the webhook, when the home has Cloud."""
    if "cloud" not in hass.config.components:
        return None
    # Imported only once Cloud is loaded: it brings Alexa, Google Assistant and the camera.
    from homeassistant.components import cloud  # noqa: PLC0415

    if not cloud.async_active_subscription(hass):
        return None
    try:
        return await cloud.async_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:  # logged out or not connected: the local URL will do
        return None


async def delete_cloudhook(hass: HomeAssistant, data: Mapping[str, Any]) -> None:
    """Give back the Cloud address of a source being removed."""
    if data.get(CONF_CLOUDHOOK_URL) and "cloud" in hass.config.components:
        from homeassistant.components import cloud  # noqa: PLC0415 - loaded already

        try:
            await cloud.async_delete_cloudhook(hass, str(data[CONF_WEBHOOK_ID]))
        except (cloud.CloudNotAvailable, ValueError):
            LOGGER.debug("A Cloud webhook address could not be given back")


@dataclass(slots=True)
class PushCounts:
    """What came in, for diagnostics (never the body, which holds guests' contacts)."""

    accepted: int = 0
    ignored: int = 0
    replayed: int = 0
    refused: int = 0
    last_accepted: datetime | None = None
    _recent: deque[bytes] = field(default_factory=lambda: deque(maxlen=REMEMBERED_CALLS))

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics."""
        return {
            "accepted": self.accepted,
            "ignored": self.ignored,
            "replayed": self.replayed,
            "refused": self.refused,
            "last_accepted": self.last_accepted.isoformat() if self.last_accepted else None,
        }

    def seen(self, body: bytes) -> bool:
        """True when the same call came in lately (remembered by digest, not content)."""
        digest = hashlib.sha256(body).digest()
        if digest in self._recent:
            self.replayed += 1
            return True
        self._recent.append(digest)
        return False

    def accept(self) -> None:
        """A call that brings news."""
        self.accepted += 1
        self.last_accepted = dt_util.utcnow()


type Handler = Callable[[web.Request, bytes], Awaitable[web.Response]]


def register_webhook(
    hass: HomeAssistant, entry: ConfigEntry, source: SourceCoordinator
) -> Callable[[], None]:
    """Listen on the source's webhook; returns what unregisters it."""
    from .coordinator import (  # noqa: PLC0415 - imports this module
        HotelRunnerCoordinator,
        SmoobuCoordinator,
    )

    webhook_id = str(source.subentry.data.get(CONF_WEBHOOK_ID) or "")
    if not webhook_id:
        return lambda: None
    handle_call: Handler
    if isinstance(source, HotelRunnerCoordinator):
        handle_call = _hotelrunner_handler(source)
    elif isinstance(source, SmoobuCoordinator):
        user = str(source.subentry.unique_id or "").removeprefix("smoobu-")
        handle_call = _smoobu_handler(hass, entry, source, user)
    else:
        return lambda: None
    counts = source.pushes

    async def handle(_: HomeAssistant, __: str, request: web.Request) -> web.Response:
        if request.method != METH_POST:
            # A probe (a browser, a link preview, a URL check): answered here, with nothing,
            # so that Home Assistant does not log a warning naming the webhook's id.
            return web.Response(status=HTTPStatus.OK)
        if (request.content_length or 0) > MAX_BODY:
            return _refused(counts, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        body = bytearray()
        try:
            async with asyncio.timeout(BODY_DEADLINE):
                # The whole body, bounded in size and in time.
                async for chunk in request.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BODY:
                        return _refused(counts, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        except TimeoutError:
            return _refused(counts, HTTPStatus.REQUEST_TIMEOUT)
        return await handle_call(request, bytes(body))

    webhook.async_register(
        hass,
        DOMAIN,
        f"LockBridge {source.subentry.title}",
        webhook_id,
        handle,
        local_only=False,  # the clouds call from the internet
        # GET and HEAD too: answered by us (above) rather than by Home Assistant's warning.
        allowed_methods=(METH_POST, METH_GET, METH_HEAD),
    )
    return lambda: webhook.async_unregister(hass, webhook_id)


def _smoobu_handler(
    hass: HomeAssistant, entry: ConfigEntry, source: SmoobuCoordinator, smoobu_user: str
) -> Handler:
    counts = source.pushes

    async def handle(_: web.Request, body: bytes) -> web.Response:
        try:
            call = json.loads(body)
        except (ValueError, RecursionError):
            return _refused(counts, HTTPStatus.BAD_REQUEST)
        action = call.get("action") if isinstance(call, dict) else None
        if not isinstance(action, str):
            return _refused(counts, HTTPStatus.BAD_REQUEST)
        # "user" is the Smoobu account the call is about; a call for another account is not
        # this source's (when Smoobu leaves it out, the URL alone vouches for it).
        user = call.get("user")
        if user is not None and str(user) != smoobu_user:
            return _refused(counts, HTTPStatus.FORBIDDEN)
        if action not in BOOKING_ACTIONS:
            counts.ignored += 1
            return web.Response(status=HTTPStatus.OK)
        if counts.seen(body):  # read already for this very call
            return web.Response(status=HTTPStatus.OK)
        # A push (polling slows) only for a call naming the account, once the read finds
        # its booking (coordinator.py): any call may ask for a read, not slow the polls.
        if user is not None and (booking_id := _booking_id(call.get("data"))) is not None:
            source.claimed.add(booking_id)
        # Answered at once; the read follows. Calls close together make one read (debounced).
        entry.async_create_background_task(
            hass, source.async_request_refresh(), f"{DOMAIN} push {source.source_id}"
        )
        return web.Response(status=HTTPStatus.OK)

    return handle


def _booking_id(data: Any) -> str | None:
    """The id of the booking a Smoobu call is about, when it names one."""
    found = data.get("id") if isinstance(data, dict) else None
    if isinstance(found, int) and not isinstance(found, bool):
        return str(found)
    return found if isinstance(found, str) and found.isdecimal() else None


def _hotelrunner_handler(source: HotelRunnerCoordinator) -> Handler:
    counts = source.pushes
    token = str(source.subentry.data.get(CONF_TOKEN) or "").encode()
    hr_id = str(source.subentry.data.get(CONF_HR_ID) or "").encode()

    async def handle(request: web.Request, body: bytes) -> web.Response:
        # Compared in constant time; neither value is ever logged (hr_id is a credential too).
        given_token = request.query.get("token", "").encode()
        given_hr_id = request.query.get("hr_id", "").encode()
        if not (
            token
            and hmac.compare_digest(given_token, token)
            and hmac.compare_digest(given_hr_id, hr_id)
        ):
            return _refused(counts, HTTPStatus.FORBIDDEN)
        reservations = _pushed_reservations(body)
        if reservations is None:
            return _refused(counts, HTTPStatus.BAD_REQUEST)
        if counts.seen(body):
            return _ok()
        if not source.apply_push(reservations):
            counts.replayed += 1  # another body, nothing newer than known: an old copy
        return _ok()

    return handle


def _pushed_reservations(body: bytes) -> tuple[HotelRunnerReservation, ...] | None:
    """The reservations of a HotelRunner call, or None when it is not one.

    The docs show two payloads (hotelrunner-api.md §8): `{"reservations": [...]}` and a single
    reservation with a `reason`. Both are read; a record without hr_number is skipped.
    """
    try:
        form = parse_qs(body.decode(), max_num_fields=16, strict_parsing=False)
        payload = json.loads(form["data"][0])
    except (UnicodeDecodeError, ValueError, KeyError, RecursionError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("reservations"), list):
        items: list[Any] = payload["reservations"][:MAX_PUSHED]
    elif isinstance(payload, dict) and "hr_number" in payload:
        items = [payload]
    else:
        return None
    return tuple(found for item in items if (found := parse_reservation(item)) is not None)


def _ok() -> web.Response:
    """HotelRunner's expected answer (hotelrunner-api.md §8)."""
    return web.json_response({"status": "ok"})


def _refused(counts: PushCounts, status: HTTPStatus) -> web.Response:
    counts.refused += 1
    LOGGER.debug("A call to a booking source's webhook was refused: HTTP %s", int(status))
    return web.Response(status=status)
