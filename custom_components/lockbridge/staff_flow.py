"""The "Staff member" subentry: who (name, role, language), which doors, and by which rules.

One form, for a new member and to change one. The units and doors offered are the account's
own; a PIN, when given, is checked here (digits a keypad takes, not guessable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    LanguageSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)

from .const import (
    CONF_DOORS,
    CONF_LANGUAGE,
    CONF_NAME,
    CONF_PERMANENT,
    CONF_PIN,
    CONF_ROLE,
    CONF_TURNOVER,
    CONF_TURNOVER_END,
    CONF_TURNOVER_START,
    CONF_UNIT_IDS,
)
from .engine.pins import is_weak
from .engine.staff import Role
from .members import NAME_MAX, valid_pin
from .models import keypad_options

if TYPE_CHECKING:
    import probatio as vol

    from .runtime import LockBridgeData
else:
    import voluptuous as vol


class StaffFlow(ConfigSubentryFlow):
    """Add or change a staff member."""

    def _runtime(self) -> LockBridgeData | None:
        return getattr(self._get_entry(), "runtime_data", None)

    def _schema(self) -> vol.Schema:
        runtime = self._runtime()
        units: list[SelectOptionDict] = []
        doors: list[SelectOptionDict] = []
        if runtime is not None:
            units = [
                SelectOptionDict(value=unit.unique_id, label=unit.name)
                for unit in runtime.coordinator.units
                if unit.keypad is not None
            ]
            if runtime.coordinator.data is not None:
                doors = keypad_options(runtime.coordinator.data.account)

        def pick(options: list[SelectOptionDict]) -> SelectSelector:
            return SelectSelector(
                SelectSelectorConfig(
                    options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN
                )
            )

        return vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_ROLE, default=str(Role.CLEANER)): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(role) for role in Role],
                        translation_key=CONF_ROLE,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional(CONF_UNIT_IDS, default=[]): pick(units),
                vol.Optional(CONF_DOORS, default=[]): pick(doors),
                vol.Required(CONF_TURNOVER, default=False): BooleanSelector(),
                vol.Optional(CONF_TURNOVER_START): TimeSelector(),
                vol.Optional(CONF_TURNOVER_END): TimeSelector(),
                vol.Required(CONF_PERMANENT, default=False): BooleanSelector(),
                vol.Optional(CONF_PIN): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
                vol.Optional(CONF_LANGUAGE): LanguageSelector(),
            }
        )

    @staticmethod
    def _errors(answer: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        name = str(answer.get(CONF_NAME) or "").strip()
        if not name or len(name) > NAME_MAX:
            errors[CONF_NAME] = "bad_name"
        if (pin := answer.get(CONF_PIN)) and (valid_pin(pin) is None or is_weak(str(pin))):
            errors[CONF_PIN] = "bad_pin"
        start, end = answer.get(CONF_TURNOVER_START), answer.get(CONF_TURNOVER_END)
        if (start is None) != (end is None) or (start and str(start) >= str(end)):
            errors["base"] = "turnover_window"
        if answer.get(CONF_TURNOVER) and not answer.get(CONF_UNIT_IDS):
            errors[CONF_UNIT_IDS] = "turnover_needs_units"
        if answer.get(CONF_PERMANENT) and not (answer.get(CONF_UNIT_IDS) or answer.get(CONF_DOORS)):
            errors[CONF_DOORS] = "permanent_needs_doors"
        return errors

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new staff member."""
        return self._form("user", user_input, {})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a staff member (a PIN left empty keeps the saved one)."""
        return self._form("reconfigure", user_input, dict(self._get_reconfigure_subentry().data))

    def _form(
        self, step_id: str, user_input: dict[str, Any] | None, current: dict[str, Any]
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        if self._runtime() is None:
            return self.async_abort(reason="entry_not_loaded")
        if user_input is not None:
            answer = dict(user_input)
            if not answer.get(CONF_PIN) and current.get(CONF_PIN):
                answer[CONF_PIN] = current[CONF_PIN]
            errors = self._errors(answer)
            if not errors:
                data = {key: value for key, value in answer.items() if value not in ("", None)}
                data[CONF_NAME] = str(data[CONF_NAME]).strip()
                title = data[CONF_NAME]
                if step_id == "reconfigure":
                    return self.async_update_and_abort(
                        self._get_entry(), self._get_reconfigure_subentry(), title=title, data=data
                    )
                return self.async_create_entry(title=title, data=data)
        # The PIN is never sent back to the browser.
        suggested = {k: v for k, v in (user_input or current).items() if k != CONF_PIN}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(self._schema(), suggested),
            errors=errors,
        )
