"""Config flow: one The Keys account per entry, validated by a real login."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from . import thekeys_client
from .api import Account, ApiError, AuthenticationError
from .api.thekeys import DEFAULT_BASE_URL as THEKEYS_URL
from .const import CONF_THEKEYS_URL, DOMAIN, LOGGER

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


def normalise_phone(value: str) -> str | None:
    """+33612345678 from '+33 6 12 34 56 78' or '0033…'; None if not international."""
    phone = re.sub(r"[\s.\-]", "", value).replace("(0)", "")  # +33 (0)6… is +336…
    phone = re.sub(r"[()]", "", phone)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    return phone if _PHONE.match(phone) else None


class LockBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a The Keys account."""

    VERSION = 1

    async def _validate(self, data: dict[str, Any]) -> tuple[Account | None, dict[str, str]]:
        """Log in for real; return the account or form errors."""
        try:
            account = await thekeys_client(self.hass, data).get_account()
        except AuthenticationError:
            return None, {"base": "invalid_auth"}
        except ApiError as err:
            LOGGER.debug("The Keys could not be reached: %s", err)
            return None, {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception("Unexpected error while checking The Keys account")
            return None, {"base": "unknown"}
        return account, {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account's phone number and password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**user_input}
            if (phone := normalise_phone(data[CONF_USERNAME])) is None:
                errors[CONF_USERNAME] = "invalid_phone"
            else:
                data[CONF_USERNAME] = phone
                account, errors = await self._validate(data)
                if account is not None:
                    unique = str(account.user_id) if account.user_id is not None else phone
                    await self.async_set_unique_id(unique)
                    self._abort_if_unique_id_configured()
                    return self.async_create_entry(title=phone, data=data)
        fields: dict[vol.Marker, Any] = {
            vol.Required(CONF_USERNAME): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="username")
            ),
            vol.Required(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
            ),
        }
        if self.show_advanced_options:
            fields[vol.Optional(CONF_THEKEYS_URL, default=THEKEYS_URL)] = TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL)
            )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(vol.Schema(fields), user_input),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The Keys refused the stored password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password and check it against the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
            account, errors = await self._validate(data)
            if account is not None:
                unique = (
                    str(account.user_id) if account.user_id is not None else data[CONF_USERNAME]
                )
                await self.async_set_unique_id(unique)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PASSWORD): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            description_placeholders={"username": entry.data[CONF_USERNAME]},
            errors=errors,
        )
