"""The flow every booking source shares: credentials checked live, its unit map, its push.

A source's module subclasses `SourceFlow` with its credentials form, its check and its push
step's choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TimeSelector,
)
from homeassistant.util import dt as dt_util

from ..api import ApiError, AuthenticationError
from ..clients import thekeys_client
from ..const import (
    CONF_CHECK_IN,
    CONF_CHECK_OUT,
    CONF_DOORS,
    CONF_KEEP_CODES,
    CONF_KEYPAD,
    CONF_UNITS,
    DEFAULT_CHECK_IN,
    DEFAULT_CHECK_OUT,
    KEEP_UNTIL_CHECK_OUT,
    LOGGER,
    NOT_MANAGED,
    REMOVE_NOW,
)
from ..engine.bookings import BookingKey
from ..engine.plan import KeypadRef, in_use
from ..forms import (
    InsecureAddressError,
    refuse_insecure,
    server_section,
    server_suggestion,
    unfold_server,
)
from ..models import MAX_DOORS, keypad_named_after, keypad_options, keypad_value
from .push import CONF_CLOUDHOOK_URL, CONF_WEBHOOK_ID, cloudhook_url, new_webhook_id, webhook_url

if TYPE_CHECKING:
    # Home Assistant types its forms with probatio (2026.9+), which it also installs as
    # `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol

    from ..runtime import LockBridgeData
else:
    import voluptuous as vol


@dataclass(frozen=True, slots=True)
class InUse:
    """A guest's working code on a keypad their unit is leaving."""

    key: BookingKey
    guest: str
    unit: str
    until: datetime


class SourceFlow(ConfigSubentryFlow):
    """Add or change a booking source: credentials checked live, then its unit map."""

    credential_keys: tuple[str, ...] = ()
    url_key = ""
    default_url = ""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._unique_id = ""
        self._title = ""
        self._units: list[tuple[str, str]] = []
        self._map: dict[str, dict[str, Any]] = {}
        self._keypads: list[SelectOptionDict] = []
        self._answered: set[str] = set()
        #: Codes a keypad change would take from guests in the house or arriving soon.
        self._in_use: list[InUse] = []

    # -- per source ------------------------------------------------------------------------

    #: The credentials' fields, secrets all: never shown again, kept when left empty.
    secret_keys: tuple[str, ...] = ()
    #: What a reconfiguration keeps that the credentials form does not ask for.
    kept_keys: tuple[str, ...] = (CONF_WEBHOOK_ID, CONF_CLOUDHOOK_URL)

    def push_schema(self) -> vol.Schema:
        """The push step's choices (the webhook address is in its description)."""
        return vol.Schema({})

    def push_errors(self, answer: dict[str, Any]) -> dict[str, str]:
        """What is wrong in the push step's answer."""
        return {}

    def credentials_schema(self) -> vol.Schema:
        """The credentials form."""
        raise NotImplementedError

    async def check(self, data: dict[str, Any]) -> None:
        """Log in; set unique id, title and units (raises ApiError)."""
        raise NotImplementedError

    def runtime(self) -> LockBridgeData | None:
        """The loaded entry's data, None while it is not loaded."""
        return getattr(self._get_entry(), "runtime_data", None)

    # -- steps -------------------------------------------------------------------------

    def _schema(self, step_id: str) -> vol.Schema:
        fields = self.credentials_schema()
        if step_id == "reconfigure":
            # Every secret may be left empty: the saved one is kept.
            fields = vol.Schema(
                {vol.Optional(str(key)): value for key, value in fields.schema.items()}
            )
        return fields.extend(server_section(self.url_key, self.default_url))

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Credentials of a new source."""
        return await self._credentials("user", user_input, {})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """New credentials or a new unit map for a source."""
        current = dict(self._get_reconfigure_subentry().data)
        self._map = dict(current.get(CONF_UNITS) or {})
        return await self._credentials("reconfigure", user_input, current)

    async def _credentials(
        self, step_id: str, user_input: dict[str, Any] | None, current: dict[str, Any]
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            answer = unfold_server(user_input, self.url_key, self.default_url)
            data = {key: value for key, value in answer.items() if value not in ("", None)}
            data.update({key: current[key] for key in self.kept_keys if current.get(key)})
            for key in self.secret_keys:
                # Left empty when reconfiguring: the saved secret stays (a Smoobu source
                # re-entered with its key only must not lose its signing secret).
                if key not in data and current.get(key):
                    data[key] = current[key]
            try:
                refuse_insecure(data.get(self.url_key) or self.default_url)
                await self.check(data)
            except InsecureAddressError:
                errors["base"] = "not_https"
            except AuthenticationError:
                errors["base"] = "invalid_auth"
            except ApiError as err:
                LOGGER.debug("Booking source could not be reached: %s", err)
                errors["base"] = "cannot_connect"
            except Exception:
                LOGGER.exception("Unexpected error while checking a booking source")
                errors["base"] = "unknown"
            else:
                if result := self._check_unique(step_id):
                    return result
                if not self._units:
                    return self.async_abort(reason="no_units")
                data.setdefault(CONF_WEBHOOK_ID, new_webhook_id())
                self._data = data
                try:
                    self._keypads = await self._keypad_options()
                except ApiError:
                    return self.async_abort(reason="cannot_connect")
                return await self.async_step_unit()
        # Secrets are never sent back to the browser: left empty, the saved ones are kept.
        suggested = user_input or server_suggestion(current, self.url_key, self.default_url)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(self._schema(step_id), suggested),
            errors=errors,
        )

    def _check_unique(self, step_id: str) -> SubentryFlowResult | None:
        entry = self._get_entry()
        if step_id == "reconfigure":
            if self._get_reconfigure_subentry().unique_id != self._unique_id:
                return self.async_abort(reason="wrong_account")
            return None
        if any(sub.unique_id == self._unique_id for sub in entry.subentries.values()):
            return self.async_abort(reason="already_configured")
        return None

    async def _keypad_options(self) -> list[SelectOptionDict]:
        runtime = self.runtime()
        if runtime is not None and runtime.coordinator.data is not None:
            account = runtime.coordinator.data.account
        else:
            account = await thekeys_client(self.hass, self._get_entry().data).get_account()
        return keypad_options(account)

    async def async_step_unit(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """One form per unit: its keypad (or not managed) and its check-in/out times."""
        done = len(self._answered)
        if user_input is not None:
            unit_id, name = self._units[done]
            keypad = user_input[CONF_KEYPAD]
            doors = [door for door in user_input.get(CONF_DOORS, []) if door != keypad]
            self._map[unit_id] = {
                "name": name,
                CONF_KEYPAD: None if keypad == NOT_MANAGED else keypad,
                CONF_CHECK_IN: user_input[CONF_CHECK_IN],
                CONF_CHECK_OUT: user_input[CONF_CHECK_OUT],
            } | ({CONF_DOORS: doors[:MAX_DOORS]} if doors else {})
            self._answered.add(unit_id)
            done += 1
        if done == len(self._units):
            self._in_use = self._codes_in_use()
            if self._in_use:
                return await self.async_step_keep_codes()
            return await self.async_step_push()
        unit_id, name = self._units[done]
        previous = self._map.get(unit_id)
        keypad = (
            previous.get(CONF_KEYPAD)
            if previous is not None  # "not managed" chosen before stays chosen
            else keypad_named_after(name, self._keypads)
        )
        previous = previous or {}
        options = [SelectOptionDict(value=NOT_MANAGED, label=NOT_MANAGED), *self._keypads]
        if keypad and keypad not in {str(option["value"]) for option in self._keypads}:
            # Kept as chosen: the keypad may be back, and "not managed" would delete codes.
            options.append(SelectOptionDict(value=keypad, label=keypad))
        schema = vol.Schema(
            {
                vol.Required(CONF_KEYPAD, default=keypad or NOT_MANAGED): SelectSelector(
                    SelectSelectorConfig(
                        options=options,
                        translation_key=CONF_KEYPAD,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(
                    CONF_CHECK_IN, default=previous.get(CONF_CHECK_IN, DEFAULT_CHECK_IN)
                ): TimeSelector(),
                vol.Required(
                    CONF_CHECK_OUT, default=previous.get(CONF_CHECK_OUT, DEFAULT_CHECK_OUT)
                ): TimeSelector(),
                # A building door, a shared entrance: each stay's PIN opens them too.
                vol.Optional(CONF_DOORS, default=list(previous.get(CONF_DOORS) or [])): (
                    SelectSelector(
                        SelectSelectorConfig(
                            options=self._keypads,
                            multiple=True,
                            mode=SelectSelectorMode.DROPDOWN,
                        )
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="unit",
            data_schema=schema,
            description_placeholders={
                "unit": name,
                "position": str(done + 1),
                "total": str(len(self._units)),
            },
            last_step=done + 1 == len(self._units),
        )

    def _codes_in_use(self) -> list[InUse]:
        """Guests whose working code sits on a keypad their unit leaves (or arriving soon)."""
        if self.source != "reconfigure":
            return []
        runtime = self.runtime()
        if runtime is None or runtime.coordinator.data is None:
            return []
        coordinator = runtime.coordinator
        subentry_id = self._get_reconfigure_subentry().subentry_id
        now = dt_util.now()
        found = []
        for unit in coordinator.units:
            new = self._map.get(unit.key.unit_id, {}).get(CONF_KEYPAD)
            if unit.subentry_id != subentry_id or unit.keypad is None:
                continue
            if new is not None and keypad_value(unit.keypad) == new:
                continue  # same keypad: nothing moves
            zone = coordinator.zone_of(coordinator.lock(unit.keypad.lock_id))
            for stay in coordinator.unit_view(unit).stays:
                code = coordinator.code_for(stay.booking.key)
                if (
                    code is not None
                    and KeypadRef(code.lock_id, code.keypad_id) == unit.keypad
                    and in_use(code, zone, now)
                ):
                    found.append(
                        InUse(stay.booking.key, stay.booking.guest_name, unit.name, stay.end)
                    )
        return found

    async def async_step_keep_codes(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Guests in the house (or arriving within a day) would lose their code: ask."""
        if user_input is not None:
            if user_input[CONF_KEEP_CODES] == REMOVE_NOW:
                runtime: LockBridgeData = self._get_entry().runtime_data
                runtime.state.release({item.key: item.until for item in self._in_use})
            return await self.async_step_push()
        guests = "\n".join(
            f"- {item.guest} ({item.unit}), until {dt_util.as_local(item.until):%d %b %H:%M}"
            for item in self._in_use
        )
        return self.async_show_form(
            step_id="keep_codes",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_KEEP_CODES, default=KEEP_UNTIL_CHECK_OUT): SelectSelector(
                        SelectSelectorConfig(
                            options=[KEEP_UNTIL_CHECK_OUT, REMOVE_NOW],
                            translation_key=CONF_KEEP_CODES,
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
            description_placeholders={"guests": guests},
        )

    async def async_step_push(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Where the cloud should send its changes, and what LockBridge sends back."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self.push_errors(user_input)
            if not errors:
                self._data.update(user_input)
                return self._save()
        if CONF_CLOUDHOOK_URL not in self._data and (
            cloudhook := await cloudhook_url(self.hass, self._data[CONF_WEBHOOK_ID])
        ):
            self._data[CONF_CLOUDHOOK_URL] = cloudhook
        url = webhook_url(self.hass, self._data)
        return self.async_show_form(
            step_id="push",
            data_schema=self.add_suggested_values_to_schema(
                self.push_schema(), user_input or self._data
            ),
            errors=errors,
            description_placeholders={"webhook_url": url},
            last_step=True,
        )

    def _save(self) -> SubentryFlowResult:
        units = {unit_id: self._map[unit_id] for unit_id, _ in self._units}
        data = {**self._data, CONF_UNITS: units}
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), title=self._title, data=data
            )
        return self.async_create_entry(title=self._title, data=data, unique_id=self._unique_id)
