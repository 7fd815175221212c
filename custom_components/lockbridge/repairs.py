"""Repair issues: what the host must fix, raised while it holds and cleared once it does not."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

# Issue ids are built from subentry ids, unit ids and booking keys: never from a secret.
SOURCE_AUTH = "source_auth"
SMOOBU_LEGACY_KEY = "smoobu_legacy_key"
HOTELRUNNER_BUDGET = "hotelrunner_budget"
UNIT_WITHOUT_KEYPAD = "unit_without_keypad"
KEYPAD_MISSING = "keypad_missing"
CODE_FAILED = "code_failed"


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
    ) -> None:
        """Create (or keep) an issue; the translation key is its kind."""
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(kind, self._entry_id, *parts),
            is_fixable=False,
            severity=severity,
            translation_key=kind,
            translation_placeholders=placeholders,
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
