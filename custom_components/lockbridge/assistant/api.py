"""LockBridge's tools as an API of their own, for a Home Assistant without the `llm` platform.

Home Assistant gathers integrations' tools by the `llm.py` platform since 2026.8; before,
an integration offered them as a custom API (llm.async_register_api), which Assist's
agents and the MCP server list beside Assist. The same tool classes serve both.
"""

from __future__ import annotations

from typing import override

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.loader import IntegrationNotFound, async_get_integration

from ..const import DOMAIN
from . import PROMPT, tools


class LockBridgeAPI(llm.API):
    """Every LockBridge tool; the write tools still refuse anyone but an administrator."""

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__(hass=hass, id=DOMAIN, name="LockBridge")

    @override
    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        return llm.APIInstance(
            api=self,
            api_prompt=PROMPT,
            llm_context=llm_context,
            tools=tools(self.hass, read=True, write=True, bounded=False),
        )


async def has_platform(hass: HomeAssistant) -> bool:
    """Home Assistant gathers tools by the `llm` integration's platform (2026.8+)."""
    try:
        await async_get_integration(hass, "llm")
    except IntegrationNotFound:  # pragma: no cover - every version supported has it
        return False
    return True


async def async_register(hass: HomeAssistant) -> None:
    """The custom API, where the platform is missing (it would list every tool twice)."""
    if not await has_platform(hass):  # pragma: no cover - every version supported has it
        llm.async_register_api(hass, LockBridgeAPI(hass))
