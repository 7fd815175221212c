"""The sync action (and its dry run), and the plan as an answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv

from ..api import ApiError
from ..const import DOMAIN
from ..engine.plan import Plan
from ..sync.coordinator import SyncCoordinator
from .common import ATTR_DRY_RUN, ATTR_ENTRY, cloud_error, sync_target

if TYPE_CHECKING:
    # Home Assistant types its action schemas with probatio (2026.9+), which it also installs
    # as `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

SYNC_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_ENTRY): cv.string,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)


def plan_response(planned: Plan, *, dry_run: bool, failed: int) -> dict[str, Any]:
    """The plan as an action response (no PIN in it)."""
    return {
        "dry_run": dry_run,
        "actions": [
            {
                "kind": str(action.kind),
                "reason": str(action.reason),
                "booking_id": str(action.key),
                "lock_id": action.keypad.lock_id,
                "keypad_id": action.keypad.keypad_id,
                "code_id": str(action.code.id) if action.code else None,
                "name": (action.fields or action.code).name  # type: ignore[union-attr]
                if (action.fields or action.code)
                else None,
                "start": action.stay.start.isoformat() if action.stay else None,
                "end": action.stay.end.isoformat() if action.stay else None,
            }
            for action in planned.actions
        ],
        "unchanged": len(planned.unchanged),
        "guarded": {source: str(guard) for source, guard in planned.guarded.items()},
        "unreadable_locks": sorted(planned.unreadable_locks),
        "failed": failed,
    }


async def sync(call: ServiceCall) -> ServiceResponse:
    """Read every source and sync now, or plan without applying (dry run)."""
    entry = sync_target(call.hass, call.data.get(ATTR_ENTRY))
    coordinator: SyncCoordinator = entry.runtime_data.coordinator
    if call.data[ATTR_DRY_RUN]:
        try:
            data = await coordinator.run(dry_run=True)
        except ApiError as err:
            raise cloud_error(err) from err
        return plan_response(data.plan, dry_run=True, failed=0)
    await coordinator.sync_now()
    if not coordinator.last_update_success:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="sync_failed")
    applied = coordinator.data.applied
    return plan_response(
        coordinator.data.plan, dry_run=False, failed=len(applied.failed) if applied else 0
    )
