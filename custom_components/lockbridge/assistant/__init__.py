"""LockBridge's tools for Home Assistant's assistants (Assist, LLM agents, the MCP server).

One list of tool classes serves every Home Assistant version: the `llm.py` platform hands
them to Home Assistant's APIs, and where a version has no such platform they are a custom
API of their own (llm.async_register_api).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm

from .base import LockBridgeTool
from .read import LocksTool, StaysTool, StayTool, WhoIsInTool
from .write import (
    GrantAccessTool,
    RegenerateCodeTool,
    RemoveCodeTool,
    SendPinTool,
    SetStayTimesTool,
    staff_exists,
)

READ_TOOLS: tuple[type[LockBridgeTool], ...] = (StaysTool, StayTool, WhoIsInTool, LocksTool)
WRITE_TOOLS: tuple[type[LockBridgeTool], ...] = (
    SetStayTimesTool,
    GrantAccessTool,
    RegenerateCodeTool,
    RemoveCodeTool,
    SendPinTool,
)
PROMPT = (
    "LockBridge manages the door codes of holiday lets: its tools tell the stays (who "
    "arrives, who leaves, who is in) and the locks' health, and, for an administrator, "
    "change a stay's times or codes. Never say a PIN unless a LockBridge tool just gave it "
    "to an administrator."
)


def tools(hass: HomeAssistant, *, read: bool, write: bool, bounded: bool) -> list[llm.Tool]:
    """The tools asked for; the grant tool only where someone is on the staff.

    `bounded`: Assist's, which see only the units exposed to the assistant.
    """
    chosen = (*(READ_TOOLS if read else ()), *(WRITE_TOOLS if write else ()))
    return [
        tool(bounded=bounded)
        for tool in chosen
        if tool is not GrantAccessTool or staff_exists(hass)
    ]
