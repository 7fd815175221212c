"""Config flow: a The Keys account per entry; Smoobu and HotelRunner sources as subentries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
import ipaddress
import re
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
    SubentryFlowResult,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)
from homeassistant.util import dt as dt_util
from yarl import URL

if TYPE_CHECKING:
    # Home Assistant types its forms with probatio (2026.9+), which it also installs as
    # `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

from .api import (
    Account,
    ApiError,
    AuthenticationError,
    RequestBudget,
    WrongAddressError,
)
from .api.hotelrunner import DEFAULT_BASE_URL as HOTELRUNNER_URL
from .api.smoobu import DEFAULT_BASE_URL as SMOOBU_URL
from .api.thekeys import DEFAULT_BASE_URL as THEKEYS_URL
from .clients import hotelrunner_client, smoobu_client, thekeys_client
from .const import (
    CONF_ACCESS_KEY,
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_BUFFER_AFTER,
    CONF_BUFFER_BEFORE,
    CONF_CHECK_IN,
    CONF_CHECK_OUT,
    CONF_DELIVERY_QUEUE,
    CONF_GRACE,
    CONF_HORIZON,
    CONF_HOTELRUNNER_INTERVAL,
    CONF_HOTELRUNNER_URL,
    CONF_HR_ID,
    CONF_KEEP_CODES,
    CONF_KEYPAD,
    CONF_LOCKS_INTERVAL,
    CONF_NAME_PREFIX,
    CONF_PIN_KEY,
    CONF_PIN_LENGTH,
    CONF_PIN_METHOD,
    CONF_PLACEHOLDERS,
    CONF_SERVER,
    CONF_SMOOBU_INTERVAL,
    CONF_SMOOBU_URL,
    CONF_THEKEYS_URL,
    CONF_TOKEN,
    CONF_UNITS,
    CONF_USE_BOOKING_TIMES,
    DEFAULT_ACCESS_KEY,
    DEFAULT_CHECK_IN,
    DEFAULT_CHECK_OUT,
    DEFAULT_PIN_KEY,
    DOMAIN,
    KEEP_UNTIL_CHECK_OUT,
    LOGGER,
    NOT_MANAGED,
    REMOVE_NOW,
    SUBENTRY_HOTELRUNNER,
    SUBENTRY_SMOOBU,
)
from .engine.bookings import BookingKey
from .engine.pins import MAX_LENGTH, MIN_LENGTH
from .engine.plan import KeypadRef, in_use
from .login_guard import LOGIN_GUARDS
from .models import anonymous_id, keypad_named_after, keypad_options, keypad_value, option
from .webhooks import (
    CONF_CLOUDHOOK_URL,
    CONF_WEBHOOK_ID,
    cloudhook_url,
    new_webhook_id,
    webhook_url,
)

if TYPE_CHECKING:
    from . import LockBridgeData

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
#: A Smoobu placeholder key as written in its templates, "[lockbridge_pin]".
PLACEHOLDER_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


def normalise_phone(value: str) -> str | None:
    """+33612345678 from '+33 6 12 34 56 78' or '0033…'; None if not international."""
    phone = re.sub(r"[\s.\-]", "", value).replace("(0)", "")  # +33 (0)6… is +336…
    phone = re.sub(r"[()]", "", phone)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    return phone if _PHONE.match(phone) else None


def _password() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _url() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def _server_section(url_key: str, default: str) -> dict[vol.Marker, Any]:
    """The cloud's address, folded away: only a test setup (the simulator) changes it."""
    fields = vol.Schema({vol.Required(url_key, default=default): _url()})
    return {vol.Required(CONF_SERVER): section(fields, {"collapsed": True})}


def _unfold_server(answer: Mapping[str, Any], url_key: str, default: str) -> dict[str, Any]:
    """A form's answer with the server section unfolded; the default address is not stored."""
    data = {key: value for key, value in answer.items() if key != CONF_SERVER}
    url = str((answer.get(CONF_SERVER) or {}).get(url_key) or "").strip()
    if url and url.rstrip("/") != default.rstrip("/"):
        data[url_key] = url
    return data


class InsecureAddressError(Exception):
    """A typed server address that is neither https nor loopback."""


def insecure_address(url: str) -> bool:
    """An address that would carry the credentials in clear: not https, nor loopback http.

    Loopback http is for the simulators; any other http address is refused before a
    credential is sent to it.
    """
    try:
        parsed = URL(url.strip())
    except ValueError:
        return True
    if parsed.scheme.lower() == "https":
        return False
    host = (parsed.host or "").lower()
    if parsed.scheme.lower() != "http" or not host:
        return True
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def refuse_insecure(url: str) -> None:
    """Raise InsecureAddressError for such an address (before any credential is sent)."""
    if insecure_address(url):
        raise InsecureAddressError


def _server_suggestion(data: Mapping[str, Any], url_key: str, default: str) -> dict[str, Any]:
    """The stored address as the section's suggested value."""
    return {CONF_SERVER: {url_key: data.get(url_key) or default}}


#: The options' whole numbers and their bounds. The form checks them itself: the selector's
#: own check says "Value 3.0 is too small", in English, without the bound.
RANGES: dict[str, tuple[int, int]] = {
    CONF_PIN_LENGTH: (MIN_LENGTH, MAX_LENGTH),
    CONF_BUFFER_BEFORE: (0, 720),
    CONF_BUFFER_AFTER: (0, 720),
    CONF_HORIZON: (1, 365),
    CONF_GRACE: (0, 720),
    CONF_LOCKS_INTERVAL: (1, 60),
    CONF_SMOOBU_INTERVAL: (1, 60),
    CONF_HOTELRUNNER_INTERVAL: (6, 240),
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
NEXT_STEPS = ["add_smoobu", "add_hotelrunner", "add_later"]


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
        """Booking sources."""
        return {SUBENTRY_SMOOBU: SmoobuFlow, SUBENTRY_HOTELRUNNER: HotelRunnerFlow}

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
            fields.update(_server_section(CONF_THEKEYS_URL, THEKEYS_URL))
        return vol.Schema(fields)

    async def _account_step(
        self, user_input: dict[str, Any] | None, base: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, Account | None, dict[str, str]]:
        """Check a phone and password; return the data, the account, the form's errors."""
        if user_input is None:
            return None, None, {}
        if CONF_SERVER in user_input:  # the form that shows the address decides it
            base = {key: value for key, value in base.items() if key != CONF_THEKEYS_URL}
        data = {**base, **_unfold_server(user_input, CONF_THEKEYS_URL, THEKEYS_URL)}
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

    async def async_step_add_smoobu(self, _: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The account, then the Smoobu source's form."""
        return self._create(SUBENTRY_SMOOBU)

    async def async_step_add_hotelrunner(self, _: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The account, then the HotelRunner source's form."""
        return self._create(SUBENTRY_HOTELRUNNER)

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
                    **_server_suggestion(entry.data, CONF_THEKEYS_URL, THEKEYS_URL),
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
                vol.Required(CONF_SMOOBU_INTERVAL): _WHOLE_NUMBER,
                vol.Required(CONF_HOTELRUNNER_INTERVAL): _WHOLE_NUMBER,
            }
        )
        current = user_input or {str(key): option(options, str(key)) for key in schema.schema}
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

    # -- steps -------------------------------------------------------------------------

    def _schema(self, step_id: str) -> vol.Schema:
        fields = self.credentials_schema()
        if step_id == "reconfigure":
            # Every secret may be left empty: the saved one is kept.
            fields = vol.Schema(
                {vol.Optional(str(key)): value for key, value in fields.schema.items()}
            )
        return fields.extend(_server_section(self.url_key, self.default_url))

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
            answer = _unfold_server(user_input, self.url_key, self.default_url)
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
        suggested = user_input or _server_suggestion(current, self.url_key, self.default_url)
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
        entry = self._get_entry()
        runtime: LockBridgeData | None = getattr(entry, "runtime_data", None)
        if runtime is not None and runtime.coordinator.data is not None:
            account = runtime.coordinator.data.account
        else:
            account = await thekeys_client(self.hass, entry.data).get_account()
        return keypad_options(account)

    async def async_step_unit(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """One form per unit: its keypad (or not managed) and its check-in/out times."""
        done = len(self._answered)
        if user_input is not None:
            unit_id, name = self._units[done]
            keypad = user_input[CONF_KEYPAD]
            self._map[unit_id] = {
                "name": name,
                CONF_KEYPAD: None if keypad == NOT_MANAGED else keypad,
                CONF_CHECK_IN: user_input[CONF_CHECK_IN],
                CONF_CHECK_OUT: user_input[CONF_CHECK_OUT],
            }
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
        runtime: LockBridgeData | None = getattr(self._get_entry(), "runtime_data", None)
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


class SmoobuFlow(SourceFlow):
    """A Smoobu account."""

    url_key = CONF_SMOOBU_URL
    default_url = SMOOBU_URL
    secret_keys = (CONF_API_KEY, CONF_API_SECRET)
    kept_keys = (*SourceFlow.kept_keys, CONF_PLACEHOLDERS, CONF_PIN_KEY, CONF_ACCESS_KEY)

    def push_schema(self) -> vol.Schema:
        """The PIN in Smoobu's messages: off by default, under keys the host may rename."""
        key = TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT))
        return vol.Schema(
            {
                vol.Required(CONF_PLACEHOLDERS, default=False): BooleanSelector(),
                vol.Required(CONF_PIN_KEY, default=DEFAULT_PIN_KEY): key,
                vol.Required(CONF_ACCESS_KEY, default=DEFAULT_ACCESS_KEY): key,
            }
        )

    def push_errors(self, answer: dict[str, Any]) -> dict[str, str]:
        """Keys as Smoobu's templates write them: letters, digits and _, two different ones."""
        errors = {
            key: "invalid_placeholder_key"
            for key in (CONF_PIN_KEY, CONF_ACCESS_KEY)
            if not PLACEHOLDER_KEY.fullmatch(str(answer.get(key, "")))
        }
        if not errors and answer[CONF_PIN_KEY] == answer[CONF_ACCESS_KEY]:
            errors[CONF_ACCESS_KEY] = "same_placeholder_key"
        return errors

    def credentials_schema(self) -> vol.Schema:
        """API key, and the secret that signs requests."""
        return vol.Schema(
            {vol.Required(CONF_API_KEY): _password(), vol.Optional(CONF_API_SECRET): _password()}
        )

    async def check(self, data: dict[str, Any]) -> None:
        """The account behind the key, and its apartments."""
        client = smoobu_client(self.hass, data)
        user = await client.get_me()
        apartments = await client.get_apartments()
        self._unique_id = f"smoobu-{user.id}"
        self._title = f"Smoobu {user.name}".strip()
        self._units = [(str(apartment.id), apartment.name) for apartment in apartments]


class HotelRunnerFlow(SourceFlow):
    """A HotelRunner property."""

    url_key = CONF_HOTELRUNNER_URL
    default_url = HOTELRUNNER_URL
    secret_keys = (CONF_TOKEN, CONF_HR_ID)
    kept_keys = (*SourceFlow.kept_keys, CONF_DELIVERY_QUEUE)

    def push_schema(self) -> vol.Schema:
        """The delivery queue: only where HotelRunner turned confirmations on."""
        return vol.Schema({vol.Required(CONF_DELIVERY_QUEUE, default=False): BooleanSelector()})

    def credentials_schema(self) -> vol.Schema:
        """Token and property id."""
        return vol.Schema(
            {vol.Required(CONF_TOKEN): _password(), vol.Required(CONF_HR_ID): _password()}
        )

    async def check(self, data: dict[str, Any]) -> None:
        """The property's room types (one request of its daily budget)."""
        budget = self._budget(data[CONF_HR_ID])
        client = hotelrunner_client(self.hass, data, budget)
        rooms = await client.get_rooms()
        hidden = await self.hass.async_add_executor_job(anonymous_id, data[CONF_HR_ID])
        self._unique_id = f"hotelrunner-{hidden}"
        self._title = "HotelRunner"
        names: dict[str, str] = {}
        for room in rooms:
            if not room.is_master and (
                room.rate_code == room.inv_code or room.inv_code not in names
            ):
                names[room.inv_code] = room.name
        self._units = list(names.items())

    def _budget(self, hr_id: str) -> RequestBudget:
        """The running source's budget for this property, so that checks count too."""
        entry = self._get_entry()
        runtime: LockBridgeData | None = getattr(entry, "runtime_data", None)
        if runtime is not None:
            for source in runtime.coordinator.sources.values():
                budget = getattr(source, "budget", None)
                if (
                    isinstance(budget, RequestBudget)
                    and source.subentry.data.get(CONF_HR_ID) == hr_id
                ):
                    return budget
        return RequestBudget()
