"""LockBridge: door codes on The Keys keypads, kept in line with Smoobu and HotelRunner bookings."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import Account, ApiError, AuthenticationError, TheKeysClient
from .api.thekeys import DEFAULT_BASE_URL as THEKEYS_URL
from .const import CONF_THEKEYS_URL, DOMAIN

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass(slots=True)
class LockBridgeData:
    """What a loaded entry keeps at hand."""

    thekeys: TheKeysClient
    account: Account


type LockBridgeConfigEntry = ConfigEntry[LockBridgeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (actions are registered here in a later step)."""
    return True


def thekeys_client(hass: HomeAssistant, data: dict[str, str]) -> TheKeysClient:
    """A The Keys client on Home Assistant's shared session, from entry or flow data."""
    return TheKeysClient(
        async_get_clientsession(hass),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        base_url=data.get(CONF_THEKEYS_URL) or THEKEYS_URL,
    )


async def async_setup_entry(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> bool:
    """Log in to The Keys and read the account; retry later when the cloud is away."""
    client = thekeys_client(hass, dict(entry.data))
    try:
        account = await client.get_account()
    except AuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except ApiError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    entry.runtime_data = LockBridgeData(client, account)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: LockBridgeConfigEntry) -> bool:
    """Unload an entry (no platforms yet)."""
    return True
