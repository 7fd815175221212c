"""LockBridge's tools for Home Assistant's assistants, by the `llm` integration's platform.

The read tools join Assist. The write tools go where Home Assistant keeps its admin-only
tools ("Home Assistant", 2026.11+); before it, they join Assist too, and refuse anyone but
an administrator themselves (as they do everywhere).
"""

from __future__ import annotations

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm

from .assistant import PROMPT, tools

#: Home Assistant's admin-only API (2026.11+); None before.
ADMIN_API: str | None = getattr(llm, "LLM_API_HOME_ASSISTANT", None)


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: llm.LLMContext, api_id: str
) -> LLMTools | None:
    """The tools for this API: reads for Assist, writes for the admins' API where it exists."""
    if api_id == llm.LLM_API_ASSIST:
        return LLMTools(tools(hass, read=True, write=ADMIN_API is None, bounded=True), PROMPT)
    if ADMIN_API is not None and api_id == ADMIN_API:
        # Not bounded by exposure: this API is for administrators, on the whole house.
        return LLMTools(tools(hass, read=False, write=True, bounded=False), PROMPT)
    return None
