"""The demo data set on the simulators, and a LockBridge entry configured for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant, State
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import CONF_THEKEYS_URL, CONF_UNITS, DOMAIN
from custom_components.lockbridge.models import anonymous_id
from custom_components.lockbridge.sources.hotelrunner import (
    CONF_HR_ID,
    CONF_TOKEN,
    CONF_URL as CONF_HOTELRUNNER_URL,
)
from custom_components.lockbridge.sources.ical_flow import (
    CONF_FEEDS,
    CONF_MISSES,
    CONF_PLATFORM,
    CONF_UNIT,
    CONF_URL as CONF_FEED_URL,
    feed_id_of,
)
from custom_components.lockbridge.sources.push import CONF_WEBHOOK_ID
from custom_components.lockbridge.sources.smoobu import (
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_URL as CONF_SMOOBU_URL,
)
from tests.fakes import HotelRunnerSimulator, IcalSimulator, SmoobuSimulator, TheKeysSimulator
from tests.fakes.demo import ICAL_TOKEN, ICAL_UNIT, add_ical_lock

DAY = date(2026, 11, 23)
#: 10:00 in Paris on the demo day: Lars leaves today, Zoë arrives, Hiroshi is in.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

SMOOBU_UNITS = {
    "101": ("Seaside Loft", "3701/Kp7Lm2Qa"),
    "102": ("Garden Studio", "3702/Kg4Rt8Ws"),
    "103": ("Old Town Flat", "3703/Kt9Bn3Xe"),
}
HOTELRUNNER_UNITS = {
    "HR:1": ("Standard Room", "3704/Kh2Vc6Pz"),
    "HR:2": ("Deluxe Suite", "3705/Kd5Jy1Mf"),
}
#: The iCal source's one unit, as its flow names it ("u1": the first unit typed).
ICAL_UNITS = {"u1": (ICAL_UNIT[0], f"{ICAL_UNIT[1]}/{ICAL_UNIT[3]}")}


def unit_map(units: dict[str, tuple[str, str | None]]) -> dict[str, dict[str, Any]]:
    """A subentry unit map with the default times."""
    return {
        unit_id: {"name": name, "keypad": keypad, "check_in": "15:00:00", "check_out": "12:00:00"}
        for unit_id, (name, keypad) in units.items()
    }


@dataclass
class Demo:
    """The simulators, seeded, behind one loopback server."""

    thekeys: TheKeysSimulator
    smoobu: SmoobuSimulator
    hotelrunner: HotelRunnerSimulator
    base_url: str
    smoobu_units: dict[str, tuple[str, str | None]] = field(
        default_factory=lambda: dict(SMOOBU_UNITS)
    )
    hotelrunner_units: dict[str, tuple[str, str | None]] = field(
        default_factory=lambda: dict(HOTELRUNNER_UNITS)
    )
    #: The iCal feeds (the conftest demo seeds the Harbour Cabin's Airbnb one).
    ical: IcalSimulator = field(default_factory=IcalSimulator)
    ical_units: dict[str, tuple[str, str | None]] = field(default_factory=lambda: dict(ICAL_UNITS))

    def smoobu_subentry(self, *, secret: bool = True, **extra: Any) -> ConfigSubentryData:
        """The Smoobu source as the flow stores it (with `extra` data)."""
        data: dict[str, Any] = {
            CONF_API_KEY: self.smoobu.api_key,
            CONF_SMOOBU_URL: f"{self.base_url}/smoobu",
            CONF_UNITS: unit_map(self.smoobu_units),
            **extra,
        }
        if secret:
            data[CONF_API_SECRET] = self.smoobu.api_secret
        return ConfigSubentryData(
            data=data,
            subentry_type="smoobu",
            title="Smoobu Demo Host",
            unique_id=f"smoobu-{self.smoobu.user_id}",
        )

    def hotelrunner_subentry(self, **extra: Any) -> ConfigSubentryData:
        """The HotelRunner source as the flow stores it (with `extra` data)."""
        return ConfigSubentryData(
            data={
                CONF_TOKEN: self.hotelrunner.token,
                CONF_HR_ID: self.hotelrunner.hr_id,
                CONF_HOTELRUNNER_URL: f"{self.base_url}/hotelrunner/api/v2/apps",
                CONF_UNITS: unit_map(self.hotelrunner_units),
                **extra,
            },
            subentry_type="hotelrunner",
            title="HotelRunner",
            unique_id=f"hotelrunner-{anonymous_id(self.hotelrunner.hr_id)}",
        )

    @property
    def ical_url(self) -> str:
        """The Harbour Cabin's Airbnb export address (loopback http: the flow warns)."""
        return f"{self.base_url}/ical/feeds/{ICAL_TOKEN}.ics"

    def ical_subentry(self, **extra: Any) -> ConfigSubentryData:
        """The iCal source as its flow stores it (with `extra` data).

        The Harbour Cabin's lock joins The Keys account here, when a test asks for the source,
        so that every other test's account keeps its five locks (keypad lists, listings).
        """
        add_ical_lock(self.thekeys)
        units = unit_map(self.ical_units)
        for unit in units.values():
            unit["check_out"] = "11:00:00"  # Airbnb's default
        return ConfigSubentryData(
            data={
                CONF_FEEDS: [
                    {CONF_FEED_URL: self.ical_url, CONF_PLATFORM: "airbnb", CONF_UNIT: unit_id}
                    for unit_id in self.ical_units
                ],
                CONF_UNITS: units,
                CONF_MISSES: 3,
                CONF_WEBHOOK_ID: "1c" * 32,
                **extra,
            },
            subentry_type="ical",
            title=f"Airbnb: {', '.join(name for name, _ in self.ical_units.values())}",
            unique_id=f"ical-{feed_id_of(self.ical_url)}",
        )

    def entry(
        self,
        *,
        options: dict[str, Any] | None = None,
        smoobu: bool = True,
        hotelrunner: bool = True,
        ical: bool = False,
        secret: bool = True,
        hotelrunner_data: dict[str, Any] | None = None,
        smoobu_data: dict[str, Any] | None = None,
        ical_data: dict[str, Any] | None = None,
    ) -> MockConfigEntry:
        """A config entry for the demo account with its sources (iCal only when asked)."""
        subentries = []
        if smoobu:
            subentries.append(self.smoobu_subentry(secret=secret, **(smoobu_data or {})))
        if hotelrunner:
            subentries.append(self.hotelrunner_subentry(**(hotelrunner_data or {})))
        if ical:
            subentries.append(self.ical_subentry(**(ical_data or {})))
        return MockConfigEntry(
            domain=DOMAIN,
            unique_id="42",
            title=self.thekeys.username,
            data={
                CONF_USERNAME: self.thekeys.username,
                CONF_PASSWORD: self.thekeys.password,
                CONF_THEKEYS_URL: f"{self.base_url}/thekeys",
            },
            options=options or {},
            subentries_data=subentries,
        )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add the entry in Paris time and set it up; it must load."""
    await hass.config.async_set_time_zone("Europe/Paris")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def the_state(hass: HomeAssistant, entity_id: str) -> State:
    """An entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state
