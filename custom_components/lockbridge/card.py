"""The Guests card: its ES module served by the integration and loaded by the frontend."""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

FOLDER = Path(__file__).parent / "frontend"
URL_BASE = f"/{DOMAIN}_static"
CARD_FILE = "lockbridge-guests-card.js"
CARD_URL = f"{URL_BASE}/{CARD_FILE}"
_REGISTERED: HassKey[str] = HassKey(f"{DOMAIN}_card")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card's folder and have every dashboard load the card (once per start)."""
    if _REGISTERED in hass.data:
        return
    integration = await async_get_integration(hass, DOMAIN)
    # The version changes with the file: browsers never keep an old card after an update.
    digest = await hass.async_add_executor_job(_digest, FOLDER / CARD_FILE)
    url = f"{CARD_URL}?v={integration.version}-{digest}"
    hass.data[_REGISTERED] = url
    await hass.http.async_register_static_paths(
        [StaticPathConfig(URL_BASE, str(FOLDER), cache_headers=True)]
    )
    # The frontend is an after-dependency: set up first when there is one (a setup with no
    # user interface, or a test, has none and needs no card).
    if "frontend" in hass.config.components:
        add_extra_js_url(hass, url)
