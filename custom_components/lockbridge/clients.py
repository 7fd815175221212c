"""The Keys client on Home Assistant's shared session (each source makes its own)."""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import TheKeysClient
from .api.thekeys import DEFAULT_BASE_URL as THEKEYS_URL
from .const import CONF_THEKEYS_URL


def login_digest(data: Mapping[str, Any]) -> str:
    """Which login a kept token belongs to: the user and server, hashed (not kept in clear)."""
    text = f"{data[CONF_USERNAME]}\n{data.get(CONF_THEKEYS_URL) or THEKEYS_URL}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def thekeys_client(hass: HomeAssistant, data: Mapping[str, Any]) -> TheKeysClient:
    """The Keys, from the account's data."""
    return TheKeysClient(
        async_get_clientsession(hass),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        base_url=data.get(CONF_THEKEYS_URL) or THEKEYS_URL,
        # Large answers (the account at hundreds of locks) are parsed off the event loop.
        offload=hass.async_add_executor_job,
    )
