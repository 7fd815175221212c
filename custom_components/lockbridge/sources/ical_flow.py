"""Adding and changing an iCal source: its feeds (each read live), then its units' keypads.

A feed is an export address, its platform and the unit its stays are in; several feeds may
name one unit (its Airbnb and its Booking.com calendars). After the feeds come the unit
forms every source shares (flow.py), then how many reads a reservation must be missing
before it counts as cancelled.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from yarl import URL

from ..api import ApiError, InvalidResponseError
from ..api.ical import IcalClient, parse_feed
from ..api.ical_rules import PatternError, Platform, compile_pattern, rules_for
from ..const import LOGGER
from ..forms import url_selector
from .flow import SourceFlow
from .ical_reading import DEFAULT_MISSES, KIND, MISSES_RANGE, FeedConfig, read_feed
from .push import CONF_WEBHOOK_ID, new_webhook_id

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

CONF_FEEDS: Final = "feeds"
#: A feed's export address: a secret (it carries the platform's token).
CONF_URL: Final = "feed_url"
CONF_PLATFORM: Final = "platform"
CONF_UNIT: Final = "unit"
CONF_PATTERNS: Final = "patterns"
CONF_RESERVATION_PATTERN: Final = "reservation_pattern"
CONF_BLOCK_PATTERN: Final = "block_pattern"
CONF_MISSES: Final = "missing_reads"
CONF_REMOVE: Final = "remove"
#: Feeds in one source, and the length of the address and unit name typed.
MAX_FEEDS = 100
MAX_URL = 2_000
MAX_UNIT_NAME = 60
#: Host names that only a local network resolves: plain http is allowed there, with a warning.
_LOCAL_SUFFIXES = (".local", ".lan", ".home", ".home.arpa", ".internal", ".localdomain")


def feed_id_of(url: str) -> str:
    """A feed's stable id, from its address, which it does not reveal."""
    return hashlib.sha256(url.strip().encode()).hexdigest()[:12]


def address_problem(url: str) -> str | None:
    """Why this feed address is refused (an error key), or None."""
    try:
        parsed = URL(url)
    except ValueError:
        return "bad_url"
    if len(url) > MAX_URL or parsed.scheme not in ("http", "https") or not parsed.host:
        return "bad_url"
    if parsed.scheme == "http" and not on_local_network(parsed.host):
        return "not_https_feed"
    return None


def on_local_network(host: str) -> bool:
    """A host of this network (a NAS, a PMS in the office): where plain http may do."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host.strip("[]"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


class IcalFlow(SourceFlow):
    """An iCal source: feeds first, then the shared unit forms."""

    secret_keys = (CONF_URL,)

    def __init__(self) -> None:
        super().__init__()
        self._feeds: list[dict[str, Any]] = []
        #: Names of the units typed in this flow (the unit map holds the others').
        self._names: dict[str, str] = {}
        #: What each feed held when it was added, for the feeds menu.
        self._found: dict[str, str] = {}

    # -- steps -----------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new source starts with its first feed."""
        return await self.async_step_feed(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the feeds, then review the units."""
        subentry = self._get_reconfigure_subentry()
        current = dict(subentry.data)
        self._map = {
            str(key): dict(value)
            for key, value in (current.pop("units", None) or {}).items()
            if isinstance(value, dict)
        }
        self._feeds = [
            dict(feed) for feed in current.pop(CONF_FEEDS, None) or [] if isinstance(feed, dict)
        ]
        self._data = current
        self._unique_id = subentry.unique_id or ""
        return await self.async_step_feeds()

    async def async_step_feed(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """One feed: its address, platform and unit; read at once to check it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = str(user_input.get(CONF_URL) or "").strip()
            unit = " ".join(str(user_input.get(CONF_UNIT) or "").split())[:MAX_UNIT_NAME]
            patterns = dict(user_input.get(CONF_PATTERNS) or {})
            platform = Platform(user_input[CONF_PLATFORM])
            errors = self._feed_errors(url, unit, patterns)
            if not errors:
                try:
                    found = await self._read(url, platform, patterns)
                except InvalidResponseError:
                    errors["base"] = "not_calendar"
                except ApiError as err:
                    LOGGER.debug("iCal feed could not be read: %s", err)
                    errors["base"] = "cannot_connect"
            if not errors:
                feed_id = feed_id_of(url)
                self._feeds.append(
                    {
                        CONF_URL: url,
                        CONF_PLATFORM: str(platform),
                        CONF_UNIT: self._unit_for(unit),
                    }
                    | {key: value for key, value in patterns.items() if value}
                )
                self._found[feed_id] = found
                if URL(url).scheme == "http":
                    return await self.async_step_http_warning()
                return await self.async_step_feeds()
        return self.async_show_form(
            step_id="feed",
            data_schema=self.add_suggested_values_to_schema(self._feed_schema(), user_input or {}),
            errors=errors,
        )

    async def async_step_http_warning(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A feed read over plain http: anyone on the network sees the guests' stays."""
        if user_input is not None:
            return await self.async_step_feeds()
        return self.async_show_form(step_id="http_warning", data_schema=vol.Schema({}))

    async def async_step_feeds(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The feeds so far: add one, remove one, or go on to the units."""
        options = ["feed", "done"] if len(self._feeds) < MAX_FEEDS else ["done"]
        if len(self._feeds) > 1:
            options.append("remove_feed")
        return self.async_show_menu(
            step_id="feeds",
            menu_options=options,
            description_placeholders={"feeds": "\n".join(self._lines()) or "-"},
        )

    async def async_step_remove_feed(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Take a feed away (its stays' codes stay until they are over: no evidence)."""
        if user_input is not None:
            gone = str(user_input[CONF_REMOVE])
            self._feeds = [feed for feed in self._feeds if feed_id_of(feed[CONF_URL]) != gone]
            return await self.async_step_feeds()
        options = [
            SelectOptionDict(value=feed_id_of(feed[CONF_URL]), label=line)
            for feed, line in zip(self._feeds, self._lines(), strict=True)
        ]
        return self.async_show_form(
            step_id="remove_feed",
            data_schema=vol.Schema(
                {vol.Required(CONF_REMOVE): SelectSelector(SelectSelectorConfig(options=options))}
            ),
        )

    async def async_step_done(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """The feeds are set: on to each unit's keypad and times."""
        units = dict.fromkeys(str(feed[CONF_UNIT]) for feed in self._feeds)
        self._units = [(unit_id, self._name(unit_id)) for unit_id in units]
        if not self._unique_id:
            self._unique_id = self._free_unique_id()
        labels = {Platform(feed[CONF_PLATFORM]).label for feed in self._feeds}
        label = labels.pop() if len(labels) == 1 else Platform.OTHER.label
        self._title = f"{label}: {', '.join(name for _, name in self._units)}"[:80]
        self._data[CONF_FEEDS] = self._feeds
        self._data.setdefault(CONF_WEBHOOK_ID, new_webhook_id())
        try:
            self._keypads = await self._keypad_options()
        except ApiError:
            return self.async_abort(reason="cannot_connect")
        return await self.async_step_unit()

    async def async_step_push(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A feed has no push: the last step says when a dropped reservation is cancelled."""
        return await self.async_step_cancellations()

    async def async_step_cancellations(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Reads in a row a reservation must be missing from its feed to count as cancelled."""
        if user_input is not None:
            self._data[CONF_MISSES] = int(user_input[CONF_MISSES])
            return self._save()
        low, high = MISSES_RANGE
        return self.async_show_form(
            step_id="cancellations",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_MISSES, default=int(self._data.get(CONF_MISSES) or DEFAULT_MISSES)
                    ): NumberSelector(
                        NumberSelectorConfig(min=low, max=high, step=1, mode=NumberSelectorMode.BOX)
                    )
                }
            ),
            last_step=True,
        )

    # -- helpers -----------------------------------------------------------------------

    def _feed_schema(self) -> vol.Schema:
        names = list(
            dict.fromkeys([*self._names.values(), *(self._name(uid) for uid in self._map)])
        )
        return vol.Schema(
            {
                vol.Required(CONF_URL): url_selector(),
                vol.Required(CONF_PLATFORM, default=str(Platform.AIRBNB)): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(platform) for platform in Platform],
                        translation_key=CONF_PLATFORM,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(CONF_UNIT): SelectSelector(
                    SelectSelectorConfig(
                        options=names, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                ),
                vol.Required(CONF_PATTERNS): section(
                    vol.Schema(
                        {
                            vol.Optional(CONF_RESERVATION_PATTERN): TextSelector(),
                            vol.Optional(CONF_BLOCK_PATTERN): TextSelector(),
                        }
                    ),
                    {"collapsed": True},
                ),
            }
        )

    def _feed_errors(self, url: str, unit: str, patterns: dict[str, Any]) -> dict[str, str]:
        if problem := address_problem(url):
            return {CONF_URL: problem}
        feed_id = feed_id_of(url)
        mine = {feed_id_of(feed[CONF_URL]) for feed in self._feeds}
        theirs = {
            feed_id_of(str(feed.get(CONF_URL) or ""))
            for subentry in self._get_entry().subentries.values()
            if subentry.subentry_type == KIND
            and (self.source != "reconfigure" or subentry is not self._get_reconfigure_subentry())
            for feed in subentry.data.get(CONF_FEEDS) or []
            if isinstance(feed, dict)
        }
        if feed_id in mine | theirs:
            return {CONF_URL: "feed_in_use"}
        if not unit:
            return {CONF_UNIT: "unit_name_missing"}
        for key in (CONF_RESERVATION_PATTERN, CONF_BLOCK_PATTERN):
            try:
                if patterns.get(key):
                    compile_pattern(str(patterns[key]))
            except PatternError:
                return {"base": "bad_pattern"}
        return {}

    async def _read(self, url: str, platform: Platform, patterns: dict[str, Any]) -> str:
        """Read the feed once: what it holds, as the feeds menu shows it."""
        answer = await IcalClient(async_get_clientsession(self.hass), url).fetch()
        rules = rules_for(
            platform,
            str(patterns.get(CONF_RESERVATION_PATTERN) or ""),
            str(patterns.get(CONF_BLOCK_PATTERN) or ""),
        )
        config = FeedConfig(feed_id_of(url), "check", rules)
        feed = await self.hass.async_add_executor_job(
            parse_feed, answer.body or b"", str(self.hass.config.time_zone)
        )
        read = await self.hass.async_add_executor_job(
            read_feed, feed, config, "check", platform.label
        )
        counts = read.counts
        return (
            f"{counts.get('reservation', 0)} reservations, "
            f"{counts.get('block', 0)} blocks and {counts.get('noise', 0)} other events left out"
        )

    def _free_unique_id(self) -> str:
        """The id of its first feed no other source holds: stable when a source is added again.

        A source keeps the id its first feed gave it, even once that feed is gone.
        """
        taken = {sub.unique_id for sub in self._get_entry().subentries.values()}
        for feed in self._feeds:
            if (candidate := f"{KIND}-{feed_id_of(feed[CONF_URL])}") not in taken:
                return candidate
        return f"{KIND}-{secrets.token_hex(6)}"

    def _unit_for(self, name: str) -> str:
        """The unit of that name (typed before, or in the unit map), else a new one."""
        wanted = name.casefold()
        for unit_id in [*self._names, *self._map]:
            if self._name(unit_id).casefold() == wanted:
                return unit_id
        taken = {*self._names, *self._map}
        number = 1
        while f"u{number}" in taken:
            number += 1
        self._names[f"u{number}"] = name
        return f"u{number}"

    def _name(self, unit_id: str) -> str:
        if unit_id in self._names:
            return self._names[unit_id]
        return str(self._map.get(unit_id, {}).get("name") or unit_id)

    def _lines(self) -> list[str]:
        """Each feed as the host knows it (never its address: it is a secret)."""
        lines = []
        for feed in self._feeds:
            platform = Platform(feed[CONF_PLATFORM]).label
            found = self._found.get(feed_id_of(feed[CONF_URL]))
            host = URL(feed[CONF_URL]).host or ""
            lines.append(
                f"- {self._name(feed[CONF_UNIT])}: {platform} ({host})"
                + (f", {found}" if found else "")
            )
        return lines
