"""Repair issues: what the host must fix, raised while it holds and cleared once it does not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig, SelectSelectorMode

from .const import CONF_KEYPAD, CONF_UNITS, DOMAIN
from .models import keypad_named_after, keypad_options

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

# Issue ids are built from subentry ids, unit ids and booking keys: never from a secret.
SOURCE_AUTH = "source_auth"
# (A source's own issues are named in its module.)
UNIT_WITHOUT_KEYPAD = "unit_without_keypad"
KEYPAD_MISSING = "keypad_missing"
CODE_FAILED = "code_failed"
CLOUD_UNREADABLE = "cloud_unreadable"
LOW_BATTERY = "battery_low"
KEYPAD_UNSEEN = "keypad_unseen"


def issue_id(kind: str, *parts: str) -> str:
    """A stable issue id for one problem of one thing."""
    return "_".join((kind, *parts))


class Issues:
    """The issues of one config entry; each sync says which still hold."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._hass = hass
        self._entry_id = entry_id

    def raise_issue(
        self,
        kind: str,
        *parts: str,
        placeholders: dict[str, str] | None = None,
        severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
        fix: dict[str, str] | None = None,
    ) -> None:
        """Create (or keep) an issue; the translation key is its kind.

        With `fix`, the repair offers a fix flow (`async_create_fix_flow`) given that data.
        """
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(kind, self._entry_id, *parts),
            is_fixable=fix is not None,
            severity=severity,
            translation_key=kind,
            translation_placeholders=placeholders,
            data={**fix, "entry_id": self._entry_id} if fix is not None else None,
        )

    def clear(self, kind: str, *parts: str) -> None:
        """Delete an issue that no longer holds."""
        ir.async_delete_issue(self._hass, DOMAIN, issue_id(kind, self._entry_id, *parts))

    def clear_all_but(self, kind: str, keep: set[tuple[str, ...]]) -> None:
        """Delete every issue of `kind` whose parts are not in `keep` (from any past load)."""
        wanted = {issue_id(kind, self._entry_id, *parts) for parts in keep}
        prefix = issue_id(kind, self._entry_id) + "_"
        for domain, issue in list(ir.async_get(self._hass).issues):
            if domain == DOMAIN and issue.startswith(prefix) and issue not in wanted:
                ir.async_delete_issue(self._hass, DOMAIN, issue)

    def clear_everything(self) -> None:
        """Delete every issue of the entry (it is being removed)."""
        registry = ir.async_get(self._hass)
        prefix_parts = f"_{self._entry_id}"
        for domain, issue in list(registry.issues):
            if domain == DOMAIN and prefix_parts in issue:
                ir.async_delete_issue(self._hass, DOMAIN, issue)


#: Repairs whose fix is to choose the unit's keypad.
KEYPAD_FIXES = (UNIT_WITHOUT_KEYPAD, KEYPAD_MISSING)


class ChooseKeypadFlow(RepairsFlow):
    """Choose the keypad of a unit, right from the repair: its source's map is updated."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._entry_id = str(data.get("entry_id", ""))
        self._subentry_id = str(data.get("subentry_id", ""))
        self._unit_id = str(data.get("unit_id", ""))

    async def async_step_init(self, _: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start: the repair hands its own data here, not an answer."""
        return await self.async_step_keypad()

    async def async_step_keypad(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The account's keypads, the one named after the unit first in line."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        subentry = entry.subentries.get(self._subentry_id)
        units = dict(subentry.data.get(CONF_UNITS) or {}) if subentry else {}
        unit = units.get(self._unit_id)
        data = entry.runtime_data.coordinator.data
        if subentry is None or not isinstance(unit, dict) or data is None:
            return self.async_abort(reason="unit_gone")
        options = keypad_options(data.account)
        if not options:
            return self.async_abort(reason="no_keypads")
        name = str(unit.get("name") or self._unit_id)
        if user_input is not None:
            units[self._unit_id] = {**unit, CONF_KEYPAD: user_input[CONF_KEYPAD]}
            # The entry reloads through its update listener; the next sync makes the codes.
            self.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_UNITS: units}
            )
            return self.async_create_entry(data={})
        wanted = unit.get(CONF_KEYPAD)
        if wanted not in {option["value"] for option in options}:
            wanted = keypad_named_after(name, options) or options[0]["value"]
        schema = vol.Schema(
            {
                vol.Required(CONF_KEYPAD, default=wanted): SelectSelector(
                    SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                )
            }
        )
        return self.async_show_form(
            step_id="keypad", data_schema=schema, description_placeholders={"unit": name}
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable repair: choosing a unit's keypad."""
    if data is not None and issue_id.startswith(KEYPAD_FIXES):
        return ChooseKeypadFlow(dict(data))
    return ConfirmRepairFlow()
