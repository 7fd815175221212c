"""Sources over time: outages, HotelRunner's budget, repair issues, diagnostics."""

from __future__ import annotations

from datetime import date, timedelta
import json
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.sources.hotelrunner import (
    CONF_INTERVAL as CONF_HOTELRUNNER_INTERVAL,
)
from tests.conftest import assert_no_secret, issued_secrets
from tests.demo_stack import Demo, set_up, the_state

PROBLEM = "binary_sensor.lockbridge_sync_problem"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    """Let `minutes` pass, firing what falls due."""
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def no_wait(_: float) -> None:
    """Retry backoff without waiting (the test clock is frozen)."""


def ours(demo: Demo) -> set[str]:
    return {str(key) for c in demo.thekeys.codes() if (key := parse_tag(c.description))}


def issues(hass: HomeAssistant) -> set[str]:
    return {
        issue.translation_key or ""
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    }


async def test_source_outage_keeps_bookings_deletes_nothing_and_recovers(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry())
    before = ours(demo)
    demo.smoobu.faults.fail_next = 10_000

    await tick(hass, freezer, 5.1)
    assert the_state(hass, PROBLEM).state == "off"  # one failure is not a problem yet
    for _ in range(3):
        await tick(hass, freezer, 5.1)

    assert the_state(hass, PROBLEM).state == "on"
    assert the_state(hass, PROBLEM).attributes["stale_sources"] == ["Smoobu Demo Host"]
    guest = the_state(hass, "sensor.garden_studio_current_guest")
    assert (guest.state, guest.attributes["stale"]) == ("Hiroshi Tanaka", True)
    assert ours(demo) == before

    demo.smoobu.faults.fail_next = 0
    await tick(hass, freezer, 5.1)
    assert the_state(hass, PROBLEM).state == "off"
    assert the_state(hass, "sensor.garden_studio_current_guest").attributes["stale"] is False
    assert ours(demo) == before


async def test_hotelrunner_never_polled_beyond_budget(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False, options={CONF_HOTELRUNNER_INTERVAL: 6}))
    start = len(demo.hotelrunner.requests)

    for _ in range(24 * 30):  # a day in 2-minute steps
        await tick(hass, freezer, 2)

    sent = [request.time for request in demo.hotelrunner.requests]
    assert demo.hotelrunner.quota_rejections == 0
    assert all(sent[i + 5] - sent[i] >= 60 for i in range(len(sent) - 5))
    assert all(sent[i + 250] - sent[i] >= 86_400 for i in range(len(sent) - 250))
    # It still polls as often as the budget allows, less 50 a day kept for "Sync now".
    assert 170 <= len(sent) - start <= 200  # every 7.2 min, seen in 2-minute steps
    left = the_state(hass, "sensor.hotelrunner_requests_left_today")
    source = entry.runtime_data.coordinator.sources[next(iter(entry.subentries))]
    assert int(left.state) == source.budget.remaining_today >= 50


async def test_budget_survives_a_restart(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False))
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    an_hour_ago = time.time() - 3600
    source.budget.restore({"version": 1, "sent": [an_hour_ago] * 250, "hold_until": 0})
    entry.runtime_data.state.set_budget(source.subentry.subentry_id, source.budget.export())
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    assert source.budget.remaining_today == 0
    assert "hotelrunner_budget" in issues(hass)
    assert ours(demo)  # the codes it made before stay
    await tick(hass, freezer, 24 * 60 + 1)
    assert "hotelrunner_budget" not in issues(hass)


async def test_a_reload_held_by_the_minute_budget_shows_what_was_read(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """HotelRunner's 5 a minute spent by reloads: its rooms keep their guests, not
    "unavailable" nor "cannot be read", until the next slot reads it again."""
    entry = await set_up(hass, demo.entry(smoobu=False))
    guest = "sensor.standard_room_current_guest"
    before = the_state(hass, guest).state
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    source.budget.restore({"version": 1, "sent": [time.time()] * 5, "hold_until": 0})
    entry.runtime_data.state.set_budget(source.subentry.subentry_id, source.budget.export())
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    assert source.on_hold
    assert (the_state(hass, guest).state, source.stale) == (before, False)
    assert the_state(hass, guest).attributes["stale"] is False
    # Under a minute of our own pacing: nothing to tell, nothing unreadable.
    assert the_state(hass, PROBLEM).state == "off"
    assert "hotelrunner_budget" not in issues(hass)
    sent = len(demo.hotelrunner.requests)
    await tick(hass, freezer, 10)
    assert len(demo.hotelrunner.requests) > sent  # read again once a slot is free
    assert not source.on_hold
    assert the_state(hass, guest).state == before


@pytest.mark.usefixtures("every_entity_enabled")
async def test_repairs_are_raised_and_cleared(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    demo.smoobu_units["103"] = ("Old Town Flat", None)  # upcoming stay, no keypad
    demo.hotelrunner_units["HR:2"] = ("Deluxe Suite", "3705/Gone1234")
    entry = await set_up(hass, demo.entry(secret=False))

    # The demo's lock at 6 % raises its battery repair too.
    assert issues(hass) == {
        "smoobu_legacy_key",
        "unit_without_keypad",
        "keypad_missing",
        "battery_low",
    }

    entry.runtime_data.coordinator.sleep = no_wait  # retries back off in real seconds
    # Every attempt at Nina's new code fails.
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 100, "/partage/create/"
    demo.smoobu.add_booking(101, date(2026, 11, 28), date(2026, 11, 30), "Nina Petrova")
    await tick(hass, freezer, 5.1)
    await tick(hass, freezer, 0.5)  # the sync the new booking asked for, once debounced
    assert "code_failed" in issues(hass)
    assert the_state(hass, PROBLEM).state == "on"
    assert the_state(hass, "binary_sensor.seaside_loft_front_door_in_sync").state == "off"

    demo.thekeys.faults.fail_next = 0
    await tick(hass, freezer, 5.1)
    assert "code_failed" not in issues(hass)
    assert the_state(hass, PROBLEM).state == "off"
    assert any(c.name == "smoobu Nina Petrova" for c in demo.thekeys.codes(3701))

    demo.smoobu.api_key = "rotated"
    for _ in range(3):
        await tick(hass, freezer, 5.1)
    assert "source_auth" in issues(hass)

    await hass.config_entries.async_remove(entry.entry_id)
    assert issues(hass) == set()


async def test_diagnostics_hold_no_secret(
    hass: HomeAssistant, demo: Demo, hass_client, snapshot: SnapshotAssertion, steady_pins: None
) -> None:
    entry = await set_up(hass, demo.entry())

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    diagnostics = json.loads(json.dumps(diagnostics).replace(demo.base_url, "http://sim"))
    text = str(diagnostics)
    assert_no_secret(text, issued_secrets(demo.thekeys, demo.smoobu, demo.hotelrunner))
    for code in demo.thekeys.codes():
        assert f"'{code.code}'" not in text
    webhook_ids = [
        s.data["webhook_id"] for s in entry.subentries.values() if "webhook_id" in s.data
    ]
    assert webhook_ids  # given to the Smoobu source at setup
    assert_no_secret(text, webhook_ids)
    assert diagnostics["sources"] == snapshot(name="sources")
    assert diagnostics["entry"] == snapshot(name="entry")


async def test_a_broken_booking_is_logged_once_and_harms_nothing(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    demo.smoobu.add_booking(101, date(2026, 12, 3), date(2026, 12, 1), "Backwards Dates")
    await set_up(hass, demo.entry(hotelrunner=False))
    await tick(hass, freezer, 5.1)

    skipped = [r for r in caplog.records if "skipped (departure_not_after_arrival)" in r.message]
    assert len(skipped) == 1
    assert len(ours(demo)) == 5  # every other stay has its code


@pytest.mark.parametrize(
    ("retry_after", "quiet_minutes"),
    [
        ("1200", 20),  # Smoobu asks for 20 minutes: no poll before, one right after
        ("999999999", 60),  # a header that would stop polling for 31 years: an hour at most
    ],
)
async def test_smoobu_rate_limit_holds_polling_as_long_as_asked_within_bounds(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    retry_after: str,
    quiet_minutes: int,
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    demo.smoobu.faults.rate_limit_next, demo.smoobu.faults.retry_after = 1, retry_after
    await tick(hass, freezer, 5.1)  # the poll that meets the 429
    assert demo.smoobu.faults.rate_limit_next == 0
    demo.smoobu.clear_log()
    (problem,) = the_state(hass, PROBLEM).attributes["problems"]
    assert problem.startswith("Smoobu Demo Host: asked to wait until ")

    for _ in range(quiet_minutes // 5 - 1):
        await tick(hass, freezer, 5)
    assert demo.smoobu.count("/reservations") == 0  # the usual 5-minute poll waits

    await tick(hass, freezer, 5.5)
    assert demo.smoobu.count("/reservations") >= 1
    assert the_state(hass, PROBLEM).state == "off"  # polled again: the wait is over


async def test_the_keys_down_shows_as_a_sync_problem_not_as_unavailable(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    last_sync = the_state(hass, "sensor.lockbridge_last_sync").state
    demo.thekeys.faults.fail_next = 10_000

    for _ in range(3):
        await tick(hass, freezer, 5.1)

    problem = the_state(hass, PROBLEM)
    assert problem.state == "on"
    assert problem.attributes["problems"] == ["The Keys: 3 failed syncs in a row"]
    assert the_state(hass, "sensor.lockbridge_last_sync").state == last_sync  # still shown
    assert the_state(hass, "sensor.lockbridge_arrivals_today").state == "1"  # Zoë, at 15:00


OVERRIDDEN = "smoobu:58123401"


async def test_a_date_in_year_9999_skips_that_record_only_and_says_so(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    far = demo.smoobu.add_booking(103, date(2026, 11, 25), date(9999, 12, 31), "Far Future")
    # Left by an earlier version: an override reaching as far.
    entry = demo.entry()
    hass_storage[f"{DOMAIN}.{entry.entry_id}.state"] = {
        "version": 1,
        "data": {
            "overrides": {OVERRIDDEN: {"check_out": "9999-12-31T12:00:00+01:00"}},
            "bookings": {},
            "budgets": {},
        },
    }

    await set_up(hass, entry)

    assert len(ours(demo)) == 9  # every other stay has its code
    (overridden,) = [c for c in demo.thekeys.codes() if str(parse_tag(c.description)) == OVERRIDDEN]
    assert overridden.end.year == 2026  # the stored override was out of range: dropped
    problem = the_state(hass, PROBLEM)
    assert problem.state == "on"
    assert problem.attributes["problems"] == [f"Bookings skipped: smoobu:{far} (date_out_of_range)"]


async def test_no_free_pin_is_a_sync_problem(hass: HomeAssistant, demo: Demo) -> None:
    class OnlyWeakPins:
        @staticmethod
        def randbelow(_: int) -> int:
            return 1111  # never acceptable: as if every keypad were full

    with patch("custom_components.lockbridge.sync.coordinator.secrets", OnlyWeakPins):
        await set_up(hass, demo.entry(hotelrunner=False))

    problem = the_state(hass, PROBLEM)
    assert problem.state == "on"
    assert problem.attributes["problems"] == [
        "No free PIN on Garden Studio - Garden door, Old Town Flat - Landing door, "
        "Seaside Loft - Front door: 5 stays without code"
    ]
    assert ours(demo) == set()


@pytest.mark.usefixtures("every_entity_enabled")
async def test_active_codes_of_a_lock_that_cannot_be_listed_are_unknown_not_zero(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    active = "sensor.garden_studio_garden_door_active_codes"
    assert the_state(hass, active).state == "3"

    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 10_000, "/serrure/3702"
    await tick(hass, freezer, 5.1)

    assert the_state(hass, active).state == "unavailable"
    assert the_state(hass, "sensor.old_town_flat_landing_door_active_codes").state == "1"


async def test_our_log_lines_hold_no_phone_number(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_up(hass, demo.entry())
    await tick(hass, freezer, 5.1)

    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert any("Finished fetching" in line for line in ours)  # DEBUG lines were captured
    assert not any("33611223344" in line for line in ours)


async def test_no_entity_id_holds_the_phone_number(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())
    ids = [state.entity_id for state in hass.states.async_all()]
    assert "binary_sensor.lockbridge_sync_problem" in ids
    assert not any("33611223344" in entity_id for entity_id in ids)


async def test_a_unit_without_keypad_is_fixed_from_its_repair(
    hass: HomeAssistant, demo: Demo, hass_client: ClientSessionGenerator
) -> None:
    """The repair's Fix opens a keypad choice, the one named after the unit first."""
    demo.smoobu_units["103"] = ("Old Town Flat", None)  # upcoming stay, no keypad
    demo.hotelrunner_units["HR:2"] = ("Deluxe Suite", "3705/Gone1234")
    await async_setup_component(hass, "repairs", {})
    entry = await set_up(hass, demo.entry())
    assert not [c for c in demo.thekeys.codes(3703) if parse_tag(c.description)]
    registry = ir.async_get(hass)
    client = await hass_client()

    for unit, wanted, lock in (
        ("unit_without_keypad", "3703/Kt9Bn3Xe", 3703),
        ("keypad_missing", "3705/Kd5Jy1Mf", 3705),
    ):
        [issue] = [i for (d, _), i in registry.issues.items() if i.translation_key == unit]
        assert issue.is_fixable
        answer = await client.post(
            "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
        )
        form = await answer.json()
        assert form["step_id"] == "keypad", form
        [field] = form["data_schema"]
        assert field["default"] == wanted  # "Old Town Flat - Landing door" names the unit
        answer = await client.post(
            f"/api/repairs/issues/fix/{form['flow_id']}", json={"keypad": wanted}
        )
        assert (await answer.json())["type"] == "create_entry"
        await hass.async_block_till_done()  # the entry reloads and syncs
        assert unit not in issues(hass)
        assert [c for c in demo.thekeys.codes(lock) if parse_tag(c.description)]
    assert entry.state is ConfigEntryState.LOADED

    # A repair left from a past state says why it cannot be fixed, and changes nothing.
    subentry_id = next(iter(entry.subentries))
    for data, reason in (
        ({"entry_id": "gone", "subentry_id": subentry_id, "unit_id": "103"}, "not_loaded"),
        ({"entry_id": entry.entry_id, "subentry_id": subentry_id, "unit_id": "999"}, "unit_gone"),
    ):
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"unit_without_keypad_{reason}",
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="unit_without_keypad",
            translation_placeholders={"unit": "Nowhere"},
            data=data,
        )
        answer = await client.post(
            "/api/repairs/issues/fix",
            json={"handler": DOMAIN, "issue_id": f"unit_without_keypad_{reason}"},
        )
        result = await answer.json()
        assert (result["type"], result["reason"]) == ("abort", reason)


@pytest.mark.timeout(60)  # the loop this guards against never ends: fail, not hang
async def test_a_source_update_while_the_keys_is_down_tries_once_not_in_a_loop(
    hass: HomeAssistant, demo: Demo
) -> None:
    """A push or poll during a The Keys outage makes one sync attempt; the timer does the rest."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    coordinator = entry.runtime_data.coordinator
    demo.thekeys.faults.fail_next = 10_000
    demo.smoobu.add_booking(103, date(2026, 11, 28), date(2026, 11, 30), "New Guest")
    (source,) = coordinator.sources.values()
    await source.async_refresh()  # a new booking: the account's sync follows at once
    await hass.async_block_till_done(wait_background_tasks=True)
    assert 10_000 - demo.thekeys.faults.fail_next <= 10
    assert not coordinator.last_update_success


async def test_a_unit_and_its_lock_have_nine_enabled_entities_and_the_lock_says_the_rest(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant refuses an entry over 10,000 enabled entities: 1,000 locks must fit."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    ours = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    enabled = {e.entity_id for e in ours if e.disabled_by is None}
    for unit in ("garden_studio", "old_town_flat", "seaside_loft"):
        of_unit = {e for e in enabled if e.split(".")[1].startswith(unit)}
        assert len(of_unit) == 9, of_unit
    assert {e for e in enabled if e.split(".")[1].startswith("garden_studio")} == {
        "lock.garden_studio_garden_door",
        "sensor.garden_studio_garden_door_battery",
        "sensor.garden_studio_current_guest",
        "sensor.garden_studio_next_guest",
        "sensor.garden_studio_day",
        "sensor.garden_studio_access_code",
        "select.garden_studio_housekeeping",
        "button.garden_studio_mark_guest_checked_in",
        "calendar.garden_studio",
    }
    lock = "lock.garden_studio_garden_door"
    assert the_state(hass, lock).attributes["active_codes"] == 3
    assert the_state(hass, lock).attributes["in_sync"] is True
    assert {e.entity_id for e in ours if e.disabled_by} >= {
        "sensor.garden_studio_garden_door_active_codes",
        "binary_sensor.garden_studio_garden_door_in_sync",
        "sensor.garden_studio_next_check_in",
        "sensor.garden_studio_next_check_out",
        "sensor.garden_studio_upcoming_access_code",
        "sensor.garden_studio_occupancy",
        "sensor.garden_studio_garden_door_keypad_last_seen",
    }

    # A lock whose codes cannot be listed: no count (0 would be a lie), not in sync.
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 10_000, "/serrure/3702"
    await tick(hass, freezer, 5.1)
    assert the_state(hass, lock).attributes["active_codes"] is None
    assert the_state(hass, lock).attributes["in_sync"] is False
    assert the_state(hass, "lock.old_town_flat_landing_door").attributes["active_codes"] == 1
