"""Push: a webhook per booking source, whose calls bring that source's changes in seconds.

What every source's webhook shares lives here: its id and address, the body read bounded in
size and time, probes answered quietly, replays told from news. What a call means is the
source's own (its module's `push_handler`). Polling stays as the safety net, slower while
pushes arrive (base.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
from http import HTTPStatus
import logging
import secrets
from typing import Any

from aiohttp import web
from aiohttp.hdrs import METH_GET, METH_HEAD, METH_POST
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util

from ..const import DOMAIN

LOGGER = logging.getLogger(__name__)

#: Where a source keeps the id of its webhook (in the subentry's data).
CONF_WEBHOOK_ID = "webhook_id"
#: The Home Assistant Cloud address made for it, when the home has Cloud.
CONF_CLOUDHOOK_URL = "cloudhook_url"
#: A booking call is a few kB; anything much larger is not a booking cloud's.
MAX_BODY = 256 * 1024
#: Seconds to receive a body: a sender trickling bytes (slow loris) is cut off, not waited for.
BODY_DEADLINE = 10.0
#: Calls remembered to tell a replay (the same body again) from news.
REMEMBERED_CALLS = 64

type Handler = Callable[[web.Request, bytes], Awaitable[web.Response]]


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

    def refuse(self, status: HTTPStatus) -> web.Response:
        """Refuse a call (counted; only the status is logged)."""
        self.refused += 1
        LOGGER.debug("A call to a booking source's webhook was refused: HTTP %s", int(status))
        return web.Response(status=status)


def register_webhook(
    hass: HomeAssistant,
    name: str,
    webhook_id: str,
    counts: PushCounts,
    handle_call: Handler,
) -> Callable[[], None]:
    """Listen on a source's webhook; returns what unregisters it."""
    if not webhook_id:
        return lambda: None

    async def handle(_: HomeAssistant, __: str, request: web.Request) -> web.Response:
        if request.method != METH_POST:
            # A probe (a browser, a link preview, a URL check): answered here, with nothing,
            # so that Home Assistant does not log a warning naming the webhook's id.
            return web.Response(status=HTTPStatus.OK)
        if (request.content_length or 0) > MAX_BODY:
            return counts.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        body = bytearray()
        try:
            async with asyncio.timeout(BODY_DEADLINE):
                # The whole body, bounded in size and in time.
                async for chunk in request.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BODY:
                        return counts.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        except TimeoutError:
            return counts.refuse(HTTPStatus.REQUEST_TIMEOUT)
        return await handle_call(request, bytes(body))

    webhook.async_register(
        hass,
        DOMAIN,
        f"LockBridge {name}",
        webhook_id,
        handle,
        local_only=False,  # the clouds call from the internet
        # GET and HEAD too: answered by us (above) rather than by Home Assistant's warning.
        allowed_methods=(METH_POST, METH_GET, METH_HEAD),
    )
    return lambda: webhook.async_unregister(hass, webhook_id)
