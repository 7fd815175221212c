"""Smoobu's push: a webhook per Smoobu source, whose calls make that source read its changes.

Smoobu calls one URL per account on every change (Settings > API & Webhooks) and is not known
to sign its calls (push-and-messaging.md, U): the URL itself is the secret, a random id that is
never logged by us. A call only asks the source to read its changes now, through the cloud's
own API: a forged or replayed call can make LockBridge read Smoobu, never change a code by
itself. Polling stays as the safety net.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from http import HTTPStatus
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.hdrs import METH_POST
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .coordinator import SourceCoordinator

LOGGER = logging.getLogger(__name__)

#: Where a Smoobu source keeps the id of its webhook (in the subentry's data).
CONF_WEBHOOK_ID = "webhook_id"
#: Smoobu's calls about bookings; every other action (rates, messages...) is answered and
#: ignored (push-and-messaging.md, M).
BOOKING_ACTIONS = frozenset(
    {"newReservation", "updateReservation", "cancelReservation", "deleteReservation"}
)
#: A booking call is a few kB; anything much larger is not Smoobu's.
MAX_BODY = 256 * 1024


def new_webhook_id() -> str:
    """An unguessable id: the only thing that tells Smoobu's calls from anyone's."""
    return secrets.token_hex(32)


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """The address to paste in Smoobu: the external one if known, else the path to add."""
    try:
        return webhook.async_generate_url(hass, webhook_id, allow_internal=False)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)


@dataclass(slots=True)
class PushCounts:
    """What came in, for diagnostics (never the body, which holds guests' contacts)."""

    accepted: int = 0
    ignored: int = 0
    refused: int = 0
    last_accepted: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics."""
        found = asdict(self)
        found["last_accepted"] = self.last_accepted.isoformat() if self.last_accepted else None
        return found


def register_smoobu_webhook(
    hass: HomeAssistant, entry: ConfigEntry, source: SourceCoordinator, smoobu_user: str
) -> Callable[[], None]:
    """Listen on the source's webhook; returns what unregisters it."""
    webhook_id = str(source.subentry.data.get(CONF_WEBHOOK_ID) or "")
    if not webhook_id:
        return lambda: None
    counts = source.pushes

    async def handle(hass: HomeAssistant, _: str, request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            return _refused(counts, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        body = bytearray()
        async for chunk in request.content.iter_chunked(64 * 1024):  # the whole body, bounded
            body += chunk
            if len(body) > MAX_BODY:
                return _refused(counts, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
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
        counts.accepted += 1
        counts.last_accepted = dt_util.utcnow()
        # Answered at once; the read follows. Calls close together make one read (debounced).
        entry.async_create_background_task(
            hass, source.async_request_refresh(), f"{DOMAIN} push {source.source_id}"
        )
        return web.Response(status=HTTPStatus.OK)

    webhook.async_register(
        hass,
        DOMAIN,
        f"LockBridge {source.subentry.title}",
        webhook_id,
        handle,
        local_only=False,  # Smoobu calls from the internet
        allowed_methods=(METH_POST,),
    )
    return lambda: webhook.async_unregister(hass, webhook_id)


def _refused(counts: PushCounts, status: HTTPStatus) -> web.Response:
    counts.refused += 1
    LOGGER.debug("A call to a Smoobu webhook was refused: HTTP %s", int(status))
    return web.Response(status=status)
