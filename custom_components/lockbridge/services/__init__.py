"""Actions: codes, PINs, stays' times, the sync, guest messages, the door, staff access.

One module per what they act on: codes, stays, messages, the sync, the door.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.helpers.service import async_register_admin_service

from ..const import (
    DOMAIN,
    SERVICE_CREATE_CODE,
    SERVICE_GET_ACCESS,
    SERVICE_GET_STAYS,
    SERVICE_GRANT_ACCESS,
    SERVICE_MARK_CHECKED_IN,
    SERVICE_READ_ACTIVITY,
    SERVICE_REGENERATE_CODE,
    SERVICE_REMOVE_CODE,
    SERVICE_REVOKE_ACCESS,
    SERVICE_SEND_GUEST_MESSAGE,
    SERVICE_SET_HOUSEKEEPING,
    SERVICE_SET_STAY_OVERRIDE,
    SERVICE_SYNC,
)
from ..engine.messages import TEMPLATE_FIELDS
from ..engine.pins import MAX_LENGTH, MIN_LENGTH
from .access import (
    GET_ACCESS_SCHEMA,
    GRANT_SCHEMA,
    REVOKE_SCHEMA,
    get_access,
    grant_access,
    revoke_access,
)
from .codes import (
    CREATE_SCHEMA,
    REGENERATE_SCHEMA,
    REMOVE_SCHEMA,
    create_code,
    regenerate_code,
    remove_code,
)
from .doors import (
    HOUSEKEEPING_SCHEMA,
    MARK_SCHEMA,
    READ_SCHEMA,
    mark_checked_in,
    read_activity,
    set_housekeeping,
)
from .messages import SEND_MESSAGE_SCHEMA, send_guest_message
from .stays import GET_STAYS_SCHEMA, OVERRIDE_SCHEMA, get_stays, set_stay_override
from .sync import SYNC_SCHEMA, plan_response, sync

__all__ = ["async_setup_services", "plan_response"]


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions, for administrators only.

    Each one reads or changes who can open a door (a PIN comes back in the response), so a
    user without admin rights gets `Unauthorized`, as with Home Assistant's own settings.
    """
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_CREATE_CODE,
        create_code,
        CREATE_SCHEMA,
        SupportsResponse.OPTIONAL,
        # The form's text says the PIN policy's own bounds, in every language.
        description_placeholders={"min_length": str(MIN_LENGTH), "max_length": str(MAX_LENGTH)},
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_REMOVE_CODE, remove_code, REMOVE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_REGENERATE_CODE,
        regenerate_code,
        REGENERATE_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SET_STAY_OVERRIDE, set_stay_override, OVERRIDE_SCHEMA
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SYNC, sync, SYNC_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_GET_STAYS, get_stays, GET_STAYS_SCHEMA, SupportsResponse.ONLY
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_SEND_GUEST_MESSAGE,
        send_guest_message,
        SEND_MESSAGE_SCHEMA,
        SupportsResponse.OPTIONAL,
        # The frontend reads every {name} of the form as a placeholder (ICU); the template
        # fields are shown as they are typed. Quoting ('{guest}') is refused by hassfest.
        description_placeholders={field: f"{{{field}}}" for field in TEMPLATE_FIELDS},
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_MARK_CHECKED_IN,
        mark_checked_in,
        MARK_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SET_HOUSEKEEPING, set_housekeeping, HOUSEKEEPING_SCHEMA
    )
    async_register_admin_service(hass, DOMAIN, SERVICE_READ_ACTIVITY, read_activity, READ_SCHEMA)
    async_register_admin_service(
        hass, DOMAIN, SERVICE_GRANT_ACCESS, grant_access, GRANT_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_REVOKE_ACCESS, revoke_access, REVOKE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_GET_ACCESS, get_access, GET_ACCESS_SCHEMA, SupportsResponse.ONLY
    )
