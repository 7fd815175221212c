"""Config flow: a The Keys account per entry; its booking sources as subentries (sources/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    FlowType,
    OptionsFlow,
    SubentryFlowContext,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import Account, ApiError, AuthenticationError, WrongAddressError
from .api.thekeys import DEFAULT_BASE_URL as THEKEYS_URL
from .clients import thekeys_client
from .const import (
    CONF_BUFFER_AFTER,
    CONF_BUFFER_BEFORE,
    CONF_GRACE,
    CONF_HORIZON,
    CONF_LOCKS_INTERVAL,
    CONF_NAME_PREFIX,
    CONF_NOT_ARRIVED_AFTER,
    CONF_PIN_LENGTH,
    CONF_PIN_METHOD,
    CONF_SERVER,
    CONF_THEKEYS_URL,
    CONF_USE_BOOKING_TIMES,
    DEFAULTS,
    DOMAIN,
    LOGGER,
    SUBENTRY_STAFF,
)
from .engine.pins import MAX_LENGTH, MIN_LENGTH
from .forms import (
    insecure_address,
    normalise_phone,
    server_section,
    server_suggestion,
    unfold_server,
)
from .login_guard import LOGIN_GUARDS
from .sources.registry import SOURCES, flows, interval_options
from .staff_flow import StaffFlow

if TYPE_CHECKING:
    # Home Assistant types its forms with probatio (2026.9+), which it also installs as
    # `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["LockBridgeConfigFlow", "insecure_address", "normalise_phone"]


#: The options' whole numbers and their bounds. The form checks them itself: the selector's
#: own check says "Value 3.0 is too small", in English, without the bound.
RANGES: dict[str, tuple[int, int]] = {
    CONF_PIN_LENGTH: (MIN_LENGTH, MAX_LENGTH),
    CONF_BUFFER_BEFORE: (0, 720),
    CONF_BUFFER_AFTER: (0, 720),
    CONF_HORIZON: (1, 365),
    CONF_GRACE: (0, 720),
    CONF_LOCKS_INTERVAL: (1, 60),
    CONF_NOT_ARRIVED_AFTER: (0, 24),
    # Each source's polling interval, as its module bounds it.
    **{key: (low, high) for key, (_, low, high) in interval_options().items()},
}
_WHOLE_NUMBER = NumberSelector(NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX))


def _out_of_range(answer: Mapping[str, Any]) -> dict[str, str]:
    """Each option outside its bounds, or not whole, with its own translated message."""
    errors = {}
    for key, (low, high) in RANGES.items():
        value = answer.get(key)
        if not isinstance(value, int | float) or value != int(value) or not low <= value <= high:
            errors[key] = f"range_{key}"
    return errors


#: After the account: the booking source to add next (a menu), or none yet.
NEXT_STEPS = [*(f"add_{kind}" for kind in SOURCES), "add_later"]


class LockBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a The Keys account."""

    VERSION = 1
    _data: dict[str, Any]
    _title = ""
    _locks = 0
    _next_source: str | None = None

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Booking sources, and staff members."""
        return {**flows(), SUBENTRY_STAFF: StaffFlow}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Codes, times and polling."""
        return LockBridgeOptionsFlow()

    async def _validate(self, data: dict[str, Any]) -> tuple[Account | None, dict[str, str]]:
        """Log in for real; return the account or form errors."""
        try:
            account = await thekeys_client(self.hass, data).get_account()
        except AuthenticationError:
            return None, {"base": "invalid_auth"}
        except WrongAddressError:
            return None, {"base": "wrong_address"}
        except ApiError as err:
            LOGGER.debug("The Keys could not be reached: %s", err)
            return None, {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception("Unexpected error while checking The Keys account")
            return None, {"base": "unknown"}
        return account, {}

    def _schema(self, *, password_only: bool = False) -> vol.Schema:
        fields: dict[vol.Marker, Any] = {}
        if not password_only:
            fields[vol.Required(CONF_USERNAME)] = TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="username")
            )
        fields[vol.Required(CONF_PASSWORD)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        )
        if not password_only:
            fields.update(server_section(CONF_THEKEYS_URL, THEKEYS_URL))
        return vol.Schema(fields)

    async def _account_step(
        self, user_input: dict[str, Any] | None, base: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, Account | None, dict[str, str]]:
        """Check a phone and password; return the data, the account, the form's errors."""
        if user_input is None:
            return None, None, {}
        if CONF_SERVER in user_input:  # the form that shows the address decides it
            base = {key: value for key, value in base.items() if key != CONF_THEKEYS_URL}
        data = {**base, **unfold_server(user_input, CONF_THEKEYS_URL, THEKEYS_URL)}
        if insecure_address(data.get(CONF_THEKEYS_URL) or THEKEYS_URL):
            return None, None, {"base": "not_https"}
        if (phone := normalise_phone(data[CONF_USERNAME])) is None:
            return None, None, {CONF_USERNAME: "invalid_phone"}
        data[CONF_USERNAME] = phone
        account, errors = await self._validate(data)
        if account is None:
            return None, None, errors
        return data, account, {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account's phone number and password."""
        data, account, errors = await self._account_step(user_input, {})
        if data is not None and account is not None:
            # A setup left open (a closed tab) must not block this one until a restart; the
            # entry made first aborts the other flows of the same account.
            await self.async_set_unique_id(account.unique_id, raise_on_progress=False)
            self._abort_if_unique_id_configured()
            self._data, self._title, self._locks = data, account.title, len(account.locks)
            return await self.async_step_next()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(self._schema(), user_input),
            errors=errors,
        )

    async def async_step_next(self, _: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The account is good: which booking source comes next."""
        return self.async_show_menu(
            step_id="next",
            menu_options=NEXT_STEPS,
            description_placeholders={"name": self._title, "locks": str(self._locks)},
        )

    async def async_step_add_later(self, _: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The account alone; a source is added later from the integration's page."""
        return self._create(None)

    def _create(self, source: str | None) -> ConfigFlowResult:
        self._next_source = source
        return self.async_create_entry(title=self._title, data=self._data)

    async def async_on_create_entry(self, result: ConfigFlowResult) -> ConfigFlowResult:
        """Open the chosen source's form once the account exists (subentries need it)."""
        if self._next_source is not None:
            started = await self.hass.config_entries.subentries.async_init(
                (result["result"].entry_id, self._next_source),
                context=SubentryFlowContext(source=SOURCE_USER),
            )
            result["next_flow"] = (FlowType.CONFIG_SUBENTRIES_FLOW, started["flow_id"])
        return result

    def _finish(self, entry: ConfigEntry, data: dict[str, Any]) -> ConfigFlowResult:
        # The cloud took these credentials just now: past refusals no longer hold the login.
        self.hass.data.get(LOGIN_GUARDS, {}).pop(entry.entry_id, None)
        # A loaded entry reloads through its update listener; a failed one must be told.
        if entry.state is ConfigEntryState.LOADED:
            return self.async_update_and_abort(entry, data=data)
        return self.async_update_reload_and_abort(entry, data=data)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The Keys refused the stored password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password and check it against the same account."""
        entry = self._get_reauth_entry()
        data, account, errors = await self._account_step(user_input, entry.data)
        if data is not None and account is not None:
            await self.async_set_unique_id(account.unique_id)
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self._finish(entry, data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self._schema(password_only=True),
            description_placeholders={"username": entry.data[CONF_USERNAME]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the phone number, password or server of the same account."""
        entry = self._get_reconfigure_entry()
        data, account, errors = await self._account_step(user_input, entry.data)
        if data is not None and account is not None:
            await self.async_set_unique_id(account.unique_id)
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self._finish(entry, data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._schema(),
                user_input
                or {
                    **entry.data,
                    CONF_PASSWORD: "",
                    **server_suggestion(entry.data, CONF_THEKEYS_URL, THEKEYS_URL),
                },
            ),
            errors=errors,
        )


class LockBridgeOptionsFlow(OptionsFlow):
    """Codes, stay times and polling, for every source of the account."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form; every field explained in the UI."""
        errors = _out_of_range(user_input) if user_input is not None else {}
        if user_input is not None and not errors:
            whole = {key: int(user_input[key]) for key in RANGES}
            return self.async_create_entry(data={**user_input, **whole})
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(CONF_PIN_LENGTH): _WHOLE_NUMBER,
                vol.Required(CONF_PIN_METHOD): SelectSelector(
                    SelectSelectorConfig(
                        options=["random", "phone"],
                        translation_key=CONF_PIN_METHOD,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
                vol.Optional(CONF_NAME_PREFIX): TextSelector(),
                vol.Required(CONF_USE_BOOKING_TIMES): BooleanSelector(),
                vol.Required(CONF_BUFFER_BEFORE): _WHOLE_NUMBER,
                vol.Required(CONF_BUFFER_AFTER): _WHOLE_NUMBER,
                vol.Required(CONF_HORIZON): _WHOLE_NUMBER,
                vol.Required(CONF_GRACE): _WHOLE_NUMBER,
                vol.Required(CONF_LOCKS_INTERVAL): _WHOLE_NUMBER,
                vol.Required(CONF_NOT_ARRIVED_AFTER): _WHOLE_NUMBER,
                # Each source's polling interval, defaulting to its module's.
                **{
                    vol.Optional(key, default=default): _WHOLE_NUMBER
                    for key, (default, _, _) in interval_options().items()
                },
            }
        )
        defaults = {**DEFAULTS, **{key: d for key, (d, _, _) in interval_options().items()}}
        current = user_input or {
            str(key): options.get(str(key), defaults[str(key)]) for key in schema.schema
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
            description_placeholders={
                f"{key}_{end}": str(bound)
                for key, bounds in RANGES.items()
                for end, bound in zip(("min", "max"), bounds, strict=True)
            },
        )


def _add_source_step(kind: str) -> Callable[..., Awaitable[ConfigFlowResult]]:
    async def step(self: LockBridgeConfigFlow, _: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The account, then this source's form."""
        return self._create(kind)

    return step


# One menu step per source ("add_<kind>"), as the registry lists them.
for _kind in SOURCES:
    setattr(LockBridgeConfigFlow, f"async_step_add_{_kind}", _add_source_step(_kind))
