"""Entities on the demo data set: snapshot, time passing, locks coming and going."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_LOCK, SERVICE_UNLOCK, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.lockbridge import PLATFORMS
from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import DAY, Demo, set_up, the_state


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    """Move the clock and let the scheduled refreshes run."""
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done(wait_background_tasks=True)


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 given in Paris wall time (UTC+1 then)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


async def test_every_stay_gets_one_code_and_foreign_codes_stay(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())

    tagged = sorted(
        (str(key), code.lock_id)
        for code in demo.thekeys.codes()
        if (key := parse_tag(code.description)) is not None
    )
    assert len(tagged) == 9  # 5 live Smoobu stays, 4 HotelRunner room lines
    assert len({key for key, _ in tagged}) == 9
    assert {code.name for code in demo.thekeys.codes()} >= {"Cleaner", "Emergency"}
    assert the_state(hass, "binary_sensor.lockbridge_sync_problem").state == "off"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert len([c for c in demo.thekeys.codes() if parse_tag(c.description)]) == 9


def main_device(hass: HomeAssistant, device_id: str | None) -> dr.DeviceEntry | None:
    """A device of ours (Home Assistant 2026.9 added child devices; we make none)."""
    found = dr.async_get(hass).async_get(device_id) if device_id else None
    assert found is None or isinstance(found, dr.DeviceEntry)
    return found


def entities_of(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, dict[str, Any]]:
    """What LockBridge registered and shows, entity by entity, with the device it is on.

    Our own view rather than the registries' serialised entries, whose format changes
    between Home Assistant releases: the same snapshot holds on every version we support.
    """
    entities = er.async_get(hass)

    def subentry(subentry_id: str | None) -> str | None:
        return entry.subentries[subentry_id].title if subentry_id else None

    def device(device_id: str | None) -> dict[str, Any] | None:
        found = main_device(hass, device_id)
        if found is None:
            return None
        via = main_device(hass, found.via_device_id)
        return {
            "name": found.name,
            "manufacturer": found.manufacturer,
            "model": found.model,
            "entry_type": found.entry_type,
            "subentry": subentry(found.config_subentry_id),
            "via": via.name if via else None,
        }

    view = {}
    for item in sorted(
        er.async_entries_for_config_entry(entities, entry.entry_id), key=lambda e: e.entity_id
    ):
        state = hass.states.get(item.entity_id)
        view[item.entity_id] = {
            "unique_id": item.unique_id,
            "translation_key": item.translation_key,
            "device_class": item.original_device_class,
            "entity_category": item.entity_category,
            "unit": item.unit_of_measurement,
            "disabled_by": item.disabled_by,
            "subentry": subentry(item.config_subentry_id),
            "device": device(item.device_id),
            "state": state.state if state else None,
            "attributes": dict(state.attributes) if state else None,
        }
    return view


@pytest.mark.parametrize("platform", list(PLATFORMS))
async def test_entities_snapshot(
    hass: HomeAssistant,
    demo: Demo,
    steady_pins: None,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    with patch("custom_components.lockbridge.PLATFORMS", [platform]):
        entry = await set_up(hass, demo.entry())

    assert entities_of(hass, entry) == snapshot


@pytest.mark.usefixtures("every_entity_enabled")
async def test_a_day_moves_guests_occupancy_and_codes(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry())

    def state(entity: str) -> str:
        return the_state(hass, f"sensor.{entity}").state

    # 10:00: Lars leaves at noon, Zoë comes at 15:00; Hiroshi is in the studio.
    assert state("seaside_loft_occupancy") == "turnover"
    assert state("seaside_loft_current_guest") == "Lars Johansson"
    assert state("seaside_loft_next_guest") == "Zoë Müller"
    assert state("seaside_loft_access_code") == "active"
    assert state("garden_studio_occupancy") == "occupied"
    assert state("old_town_flat_occupancy") == "vacant"
    assert state("lockbridge_arrivals_today") == "2"
    assert state("lockbridge_departures_today") == "1"
    assert the_state(hass, "sensor.seaside_loft_access_code").attributes["guest"] == (
        "Lars Johansson"
    )

    await later(hass, freezer, paris(23, 13))
    assert state("seaside_loft_current_guest") == "none"  # shown "No guest", not "Unknown"
    strings = await async_get_translations(hass, "fr", "entity", {DOMAIN})
    key = f"component.{DOMAIN}.entity.sensor.current_guest.state.none"
    assert strings[key] == "Aucun voyageur"
    assert state("seaside_loft_access_code") == "scheduled"
    code = the_state(hass, "sensor.seaside_loft_access_code").attributes
    assert code["guest"] == "Zoë Müller"
    assert code["valid_from"] == "2026-11-23T15:00:00+01:00"
    assert "pin" not in code  # every user reads states: PINs go to admins only
    assert state("seaside_loft_next_check_in") == "2026-11-23T14:00:00+00:00"

    await later(hass, freezer, paris(23, 16))
    assert state("seaside_loft_current_guest") == "Zoë Müller"
    assert state("seaside_loft_access_code") == "active"
    assert state("seaside_loft_next_check_out") == "2026-11-27T11:00:00+00:00"

    await later(hass, freezer, paris(24, 9))
    assert state("seaside_loft_occupancy") == "occupied"
    assert state("lockbridge_arrivals_today") == "0"
    # Lars' code ended yesterday noon; after the day's grace it is removed.
    await later(hass, freezer, paris(24, 13))
    names = {code.name for code in demo.thekeys.codes(3701)}
    assert "smoobu Lars Johansson" not in names
    assert {"smoobu Zoë Müller", "Cleaner"} <= names


@pytest.mark.usefixtures("every_entity_enabled")
async def test_the_next_guests_pin_is_at_hand_while_the_unit_is_still_occupied(
    hass: HomeAssistant, demo: Demo
) -> None:
    """10:00 on turnover day: Lars leaves at 12:00, Zoë arrives at 15:00 with her own code."""
    await set_up(hass, demo.entry())

    now = the_state(hass, "sensor.seaside_loft_access_code")
    upcoming = the_state(hass, "sensor.seaside_loft_upcoming_access_code")
    assert (now.state, now.attributes["guest"]) == ("active", "Lars Johansson")
    assert (upcoming.state, upcoming.attributes["guest"]) == ("scheduled", "Zoë Müller")
    [code] = [
        c
        for c in demo.thekeys.codes()
        if (key := parse_tag(c.description)) and str(key) == upcoming.attributes["booking_id"]
    ]
    assert upcoming.attributes["code_id"] == str(code.id)
    assert "pin" not in upcoming.attributes  # the host gets it from get_stays or the card
    assert upcoming.attributes["valid_from"].startswith(f"{DAY.isoformat()}T15:00")


@pytest.mark.usefixtures("every_entity_enabled")
async def test_buffers_widen_the_code_not_the_guests_check_in(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Early access 30 min: Zoë still checks in at 15:00; her code works from 14:30."""
    await set_up(hass, demo.entry(options={"buffer_before": 30, "buffer_after": 15}))

    assert the_state(hass, "sensor.seaside_loft_next_check_in").state == (
        "2026-11-23T14:00:00+00:00"  # 15:00 in Paris
    )
    assert the_state(hass, "sensor.seaside_loft_next_guest").attributes["check_in"] == (
        "2026-11-23T15:00:00+01:00"
    )
    arrivals = the_state(hass, "sensor.lockbridge_arrivals_today").attributes["guests"]
    assert {a["guest"]: a["check_in"] for a in arrivals}["Zoë Müller"] == (
        "2026-11-23T15:00:00+01:00"
    )
    code = the_state(hass, "sensor.seaside_loft_upcoming_access_code").attributes
    assert (code["valid_from"], code["valid_to"]) == (
        "2026-11-23T14:30:00+01:00",
        "2026-11-27T12:15:00+01:00",
    )
    response: Any = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            ATTR_ENTITY_ID: "calendar.seaside_loft",
            "start_date_time": "2026-11-23T00:00:00+01:00",
            "end_date_time": "2026-11-30T00:00:00+01:00",
        },
        blocking=True,
        return_response=True,
    )
    zoe = response["calendar.seaside_loft"]["events"][-1]
    assert (zoe["start"], zoe["end"]) == (
        "2026-11-23T15:00:00+01:00",
        "2026-11-27T12:00:00+01:00",
    )
    found: Any = await hass.services.async_call(
        DOMAIN, "get_stays", {"booking": code["booking_id"]}, blocking=True, return_response=True
    )
    [stay] = found["stays"]
    assert (stay["check_in"], stay["start"]) == (
        "2026-11-23T15:00:00+01:00",
        "2026-11-23T14:30:00+01:00",
    )


async def test_calendar_lists_stays(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())

    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            ATTR_ENTITY_ID: "calendar.seaside_loft",
            "start_date_time": "2026-11-01T00:00:00+01:00",
            "end_date_time": "2026-12-01T00:00:00+01:00",
        },
        blocking=True,
        return_response=True,
    )
    events: Any = response["calendar.seaside_loft"]  # type: ignore[index]
    events = events["events"]

    assert [event["summary"] for event in events] == ["Lars Johansson", "Zoë Müller"]
    assert events[1]["start"] == "2026-11-23T15:00:00+01:00"
    assert events[0]["description"].endswith("\nAdults: 2\nChildren: 1")  # not "1 children"
    assert events[0]["description"].startswith("Booking: smoobu:")
    assert the_state(hass, "calendar.seaside_loft").attributes["message"] == "Lars Johansson"


async def test_a_french_home_reads_its_calendar_and_devices_in_french(
    hass: HomeAssistant, demo: Demo
) -> None:
    hass.config.language = "fr"
    await set_up(hass, demo.entry())

    lars = the_state(hass, "calendar.seaside_loft").attributes["description"]
    assert lars.startswith("Réservation: smoobu:")
    assert lars.endswith("\nAdultes: 2\nEnfants: 1")
    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    models = {d.model for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)}
    assert {"Compte The Keys", "Logement", "Type de chambre"} <= models


async def test_lock_opens_and_closes_through_the_cloud(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())
    entity = "lock.seaside_loft_front_door"
    assert the_state(hass, entity).state == "locked"

    await hass.services.async_call("lock", SERVICE_UNLOCK, {ATTR_ENTITY_ID: entity}, blocking=True)
    await hass.async_block_till_done()

    assert demo.thekeys.lock_state(3701) == "open"
    assert the_state(hass, entity).state == "unlocked"
    await hass.services.async_call("lock", SERVICE_LOCK, {ATTR_ENTITY_ID: entity}, blocking=True)
    assert demo.thekeys.lock_state(3701) != "open"


async def test_lock_without_gateway_says_so(hass: HomeAssistant, demo: Demo) -> None:
    demo.thekeys.add_lock(3799, "Shed", gateway=False, keypads=[("KsZz99Yy", "Shed keypad")])
    await set_up(hass, demo.entry())

    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "lock", SERVICE_UNLOCK, {ATTR_ENTITY_ID: "lock.shed"}, blocking=True
        )
    assert info.value.translation_key == "no_gateway"


async def test_locks_appear_and_vanish_without_reload(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry())
    devices = dr.async_get(hass)

    demo.thekeys.add_lock(3799, "Shed", keypads=[("KsZz99Yy", "Shed keypad")])
    await later(hass, freezer, paris(23, 10, 6))
    assert hass.states.get("lock.shed") is not None
    shed = devices.async_get_device_by_identifier((DOMAIN, "3799"), entry.entry_id)
    assert shed is not None
    assert shed.via_device_id == entry.runtime_data.coordinator.account_device_id

    del demo.thekeys._locks[3799]  # the lock is sold
    await later(hass, freezer, paris(23, 10, 12))
    assert devices.async_get_device_by_identifier((DOMAIN, "3799"), entry.entry_id) is None


async def test_sync_now_reads_the_sources_and_syncs(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())
    demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")

    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: "button.lockbridge_sync_now"}, blocking=True
    )

    assert any(c.name == "smoobu Nina Petrova" for c in demo.thekeys.codes(3703))
    assert the_state(hass, "sensor.old_town_flat_next_guest").state == "Nina Petrova"


ACCOUNT_ENTITIES = (
    "binary_sensor.lockbridge_sync_problem",
    "sensor.lockbridge_arrivals_today",
    "sensor.lockbridge_departures_today",
    "sensor.lockbridge_last_sync",
    "button.lockbridge_sync_now",
)


def assert_account_entities_shown(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Every account entity has a state and sits on the account device, in no subentry."""
    entities, devices = er.async_get(hass), dr.async_get(hass)
    account = entry.runtime_data.coordinator.account_device_id
    device = devices.async_get(account)
    assert device is not None
    assert device.config_subentry_id is None
    for entity_id in ACCOUNT_ENTITIES:
        state = the_state(hass, entity_id)
        # A button has no state until it is pressed; the rest show what the sync found.
        unset = {"unavailable"} if entity_id.startswith("button.") else {"unavailable", "unknown"}
        assert state.state not in unset, entity_id
        item = entities.async_get(entity_id)
        assert item is not None
        assert (item.device_id, item.config_subentry_id) == (account, None), entity_id


async def test_account_entities_stay_on_the_account_device_with_both_sources(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())
    assert {sub.subentry_type for sub in entry.subentries.values()} == {"smoobu", "hotelrunner"}

    assert_account_entities_shown(hass, entry)
    assert the_state(hass, "sensor.lockbridge_arrivals_today").state == "2"
    # The HotelRunner budget is on its source's own device, which goes through the account.
    left = er.async_get(hass).async_get("sensor.hotelrunner_requests_left_today")
    assert left is not None
    source = main_device(hass, left.device_id)
    assert source is not None
    assert source.config_subentry_id == left.config_subentry_id is not None
    assert source.via_device_id == entry.runtime_data.coordinator.account_device_id

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert_account_entities_shown(hass, entry)


async def test_an_account_device_left_in_a_subentry_is_taken_back(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Before 2026.8 the account device was in the HotelRunner subentry too; kept there only."""
    entry = demo.entry()
    entry.add_to_hass(hass)
    hotelrunner = next(
        sub.subentry_id for sub in entry.subentries.values() if sub.subentry_type == "hotelrunner"
    )
    devices = dr.async_get(hass)
    old = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=hotelrunner,
        identifiers={(DOMAIN, "42")},
        name=entry.title,
    )

    entry = await set_up(hass, entry)

    assert entry.runtime_data.coordinator.account_device_id == old.id  # same device, history kept
    assert_account_entities_shown(hass, entry)


async def test_removing_a_source_removes_its_devices_and_leaves_the_account(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())
    hotelrunner = next(
        sub.subentry_id for sub in entry.subentries.values() if sub.subentry_type == "hotelrunner"
    )
    devices = dr.async_get(hass)
    in_source = {
        device.id
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
        if device.config_subentry_id == hotelrunner
    }
    # The source's own device and its two room types.
    assert {device.name for d in in_source if (device := main_device(hass, d))} == {
        "HotelRunner",
        "Standard Room",
        "Deluxe Suite",
    }

    assert hass.config_entries.async_remove_subentry(entry, hotelrunner)
    await hass.async_block_till_done()

    assert not any(devices.async_get(device_id) for device_id in in_source)
    assert hass.states.get("sensor.hotelrunner_requests_left_today") is None
    assert_account_entities_shown(hass, entry)


@pytest.mark.usefixtures("every_entity_enabled")
@pytest.mark.parametrize(("language", "other"), [("fr", "en"), ("en", "fr")])
async def test_a_home_reads_names_models_and_states_in_its_own_language_only(
    hass: HomeAssistant, demo: Demo, language: str, other: str
) -> None:
    """No English left in a French home, and no French in an English one."""
    hass.config.language = language
    entry = await set_up(hass, demo.entry())
    mine = {
        **await async_get_translations(hass, language, "entity", {DOMAIN}),
        **await async_get_translations(hass, language, "device", {DOMAIN}),
    }
    theirs = {
        **await async_get_translations(hass, other, "entity", {DOMAIN}),
        **await async_get_translations(hass, other, "device", {DOMAIN}),
    }
    devices = dr.async_get(hass)
    prefix = f"component.{DOMAIN}"
    checked = 0
    for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if item.translation_key is None or item.original_name is None:
            continue
        key = f"{prefix}.entity.{item.domain}.{item.translation_key}"
        assert item.original_name == mine[f"{key}.name"], item.entity_id
        if mine[f"{key}.name"] != theirs[f"{key}.name"]:
            assert item.original_name != theirs[f"{key}.name"]
        state = the_state(hass, item.entity_id)
        # Every state an enum sensor can show has its own text in this language.
        for option in state.attributes.get("options", []):
            assert f"{key}.state.{option}" in mine, (item.entity_id, option)
        device = devices.async_get(item.device_id) if item.device_id else None
        assert isinstance(device, dr.DeviceEntry)
        model = device.model
        if model is not None and not model.startswith("TK "):  # the lock's own, from the cloud
            assert model in {
                text for path, text in mine.items() if path.startswith(f"{prefix}.device.")
            }, model
            assert model not in {
                text for path, text in theirs.items() if path.startswith(f"{prefix}.device.")
            }
        checked += 1
    assert checked > 40
