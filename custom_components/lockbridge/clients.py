"""The three cloud clients on Home Assistant's shared session, from entry or flow data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import HotelRunnerClient, RequestBudget, SmoobuClient, TheKeysClient
from .api.hotelrunner import DEFAULT_BASE_URL as HOTELRUNNER_URL
from .api.smoobu import DEFAULT_BASE_URL as SMOOBU_URL
from .api.thekeys import DEFAULT_BASE_URL as THEKEYS_URL
from .const import (
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_HOTELRUNNER_URL,
    CONF_HR_ID,
    CONF_SMOOBU_URL,
    CONF_THEKEYS_URL,
    CONF_TOKEN,
)


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


def smoobu_client(hass: HomeAssistant, data: Mapping[str, Any]) -> SmoobuClient:
    """Smoobu, from a source's data (signed when it has a secret)."""
    return SmoobuClient(
        async_get_clientsession(hass),
        data[CONF_API_KEY],
        data.get(CONF_API_SECRET) or None,
        base_url=data.get(CONF_SMOOBU_URL) or SMOOBU_URL,
    )


def hotelrunner_client(
    hass: HomeAssistant, data: Mapping[str, Any], budget: RequestBudget
) -> HotelRunnerClient:
    """HotelRunner, from a source's data, spending `budget`."""
    return HotelRunnerClient(
        async_get_clientsession(hass),
        data[CONF_TOKEN],
        data[CONF_HR_ID],
        base_url=data.get(CONF_HOTELRUNNER_URL) or HOTELRUNNER_URL,
        budget=budget,
    )
