"""What every LockBridge tool for Home Assistant's assistants shares.

A tool answers from what the entities show (read tools) or calls LockBridge's own action
(write tools), so an assistant changes a door code by the same plan, journal, tags and
PIN policy as the dashboard. Read answers carry no PIN and no guest contact: they go to
the conversation's model provider, and any user may ask. A write tool runs only for an
administrator; a PIN comes back only from the write tool that made it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, override

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm

from ..const import DOMAIN
from .scope import Scope, ToolError

if TYPE_CHECKING:
    # Home Assistant types its tools' parameters with probatio (2026.9+); at run time the
    # import below is probatio there and voluptuous on 2026.8 (as for the actions).
    from homeassistant.helpers.llm import ToolAnnotations, ToolResult
    import probatio as vol
else:
    import voluptuous as vol

    try:  # 2026.9+: results and annotations; 2026.8 takes a plain dict and knows neither
        from homeassistant.helpers.llm import ToolAnnotations, ToolResult
    except ImportError:  # pragma: no cover - the minimum version's leg

        class ToolAnnotations:
            """Kept on the tool for newer versions; 2026.8 reads none of it."""

            def __init__(self, **kwargs: bool) -> None:
                self.__dict__.update(kwargs)


#: Read tools: they change nothing, and ask no cloud (the views of the last sync).
READ = ToolAnnotations(read_only=True, destructive=False, idempotent=True, open_world=False)
#: Write tools: they change who can open a door, through a cloud.
WRITE = ToolAnnotations(read_only=False, destructive=True, idempotent=False, open_world=True)

#: Bounds of what a model may send: a unit's or a person's name, a booking id, a moment.
NAME_FIELD = vol.All(str, vol.Length(min=1, max=100))
MOMENT_FIELD = vol.All(str, vol.Length(min=4, max=40))
STAY_CHOICES = ["current", "next"]
STAY_TEXT = "The unit's guest in now (current) or the next one; default: in now, else next"


def result(data: dict[str, Any], *, error: bool = False) -> Any:
    """The tool's answer: a ToolResult where Home Assistant has it (2026.9+), else the dict."""
    if getattr(llm, "ToolResult", None) is None:  # pragma: no cover - the minimum version's leg
        return data
    return ToolResult(data=data, error=error)


class LockBridgeTool(llm.Tool):
    """A LockBridge tool: prefixed, tagged with the integration, arguments checked."""

    integration = DOMAIN
    annotations = READ
    #: The arguments, as a voluptuous (probatio) mapping; each one described for the model.
    schema: ClassVar[Mapping[Any, Any]] = {}

    def __init__(self, *, bounded: bool) -> None:
        #: Assist's tools see only what is exposed to the assistant (Scope).
        self.bounded = bounded
        self.parameters = vol.Schema(dict(self.schema))

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> Any:
        """Check the arguments, then answer; a refusal is an answer the model can read."""
        try:
            args = self.parameters(tool_input.tool_args)
        except vol.Invalid as err:
            return result({"error": f"Invalid arguments: {err}"}, error=True)
        try:
            scope = Scope(hass, llm_context.assistant if self.bounded else None)
            return result(await self.answer(scope, args, llm_context))
        except ToolError as err:
            return result({"error": str(err)}, error=True)
        except HomeAssistantError as err:
            # The actions' own messages (translated, never a PIN or a credential in them).
            return result({"error": str(err) or type(err).__name__}, error=True)

    @abstractmethod
    async def answer(
        self, scope: Scope, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> dict[str, Any]:
        """The tool's answer to valid arguments, from what is in scope."""


ADMIN_ONLY = (
    "Only a Home Assistant administrator can change door codes or stays. This conversation "
    "is not an administrator's, so nothing was changed."
)


async def require_admin(hass: HomeAssistant, llm_context: llm.LLMContext) -> Context:
    """The conversation's context, if its user is an administrator.

    Stricter than an action called by an automation: a conversation without a user (a voice
    satellite, an unknown caller) is refused too.
    """
    context = llm_context.context
    user = (
        await hass.auth.async_get_user(context.user_id)
        if context is not None and context.user_id
        else None
    )
    if context is None or user is None or not user.is_admin:
        raise ToolError(ADMIN_ONLY)
    return context
