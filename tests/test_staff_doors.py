"""A unit with two doors (its keypad and a building's entrance): every stay's PIN, and the
cleaner's, opens both; the second door taken off the map takes only its own codes away."""

from __future__ import annotations

from datetime import date

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import CONF_DOORS, CONF_UNITS, DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up
from tests.test_privacy import no_wait
from tests.test_staff import MARIE_PIN, SEASIDE_KEYPAD, SEASIDE_LOCK, marie

ENTRANCE_LOCK, ENTRANCE_KEYPAD = 3799, "Kb4Ent9Q"
OLD_TOWN_LOCK = 3703
LARS, AMELIE = "smoobu:58123401", "smoobu:58123405"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def two_doors(demo: Demo) -> MockConfigEntry:
    """The demo (Smoobu only, and Marie) with the building's entrance on two units' maps."""
    demo.thekeys.add_lock(
        ENTRANCE_LOCK, "Building - Entrance", keypads=[(ENTRANCE_KEYPAD, "Digicode")]
    )
    smoobu = demo.smoobu_subentry()
    for unit_id in ("101", "103"):
        smoobu["data"][CONF_UNITS][unit_id][CONF_DOORS] = [f"{ENTRANCE_LOCK}/{ENTRANCE_KEYPAD}"]
    base = demo.entry(hotelrunner=False)
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=base.unique_id,
        title=base.title,
        data=dict(base.data),
        subentries_data=[smoobu, marie()],
    )


def pins_by_booking(demo: Demo, lock_id: int) -> dict[str, str]:
    """Our codes on a lock: booking (or staff rule) -> PIN."""
    return {
        str(key): c.code for c in demo.thekeys.codes(lock_id) if (key := parse_tag(c.description))
    }


async def without_entrance(hass: HomeAssistant, entry: MockConfigEntry, unit_id: str) -> None:
    """The entrance taken off a unit's map (the entry reloads and syncs)."""
    smoobu = next(s for s in entry.subentries.values() if s.subentry_type == "smoobu")
    units = {key: dict(item) for key, item in smoobu.data[CONF_UNITS].items()}
    units[unit_id].pop(CONF_DOORS)
    hass.config_entries.async_update_subentry(
        entry, smoobu, data={**smoobu.data, CONF_UNITS: units}
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_every_stay_and_the_cleaner_get_one_pin_on_both_doors(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, two_doors(demo))

    loft, flat = pins_by_booking(demo, SEASIDE_LOCK), pins_by_booking(demo, OLD_TOWN_LOCK)
    entrance = pins_by_booking(demo, ENTRANCE_LOCK)
    assert len(loft) == 3  # Lars (leaving at 12:00), Zoë (arriving at 15:00), Marie's turnover
    assert list(flat) == [AMELIE]  # arriving on the 28th
    assert entrance == loft | flat
    assert {c.id_accessoire for c in demo.thekeys.codes(ENTRANCE_LOCK)} == {ENTRANCE_KEYPAD}
    assert MARIE_PIN in entrance.values()
    # A second sync finds every door as it should be.
    plan = await hass.services.async_call(
        DOMAIN, "sync", {"dry_run": True}, blocking=True, return_response=True
    )
    assert plan is not None
    assert plan["actions"] == []

    # Off the Old Town Flat's map: Amélie's code at the entrance goes, and only that one.
    await without_entrance(hass, entry, "103")
    assert pins_by_booking(demo, ENTRANCE_LOCK) == loft
    assert pins_by_booking(demo, OLD_TOWN_LOCK) == flat
    assert pins_by_booking(demo, SEASIDE_LOCK) == loft

    # Off the Seaside Loft's while Lars is in the house (and Zoë due within the day): their
    # codes there stay, as a unit-map change spares a guest's way in; the loft keeps its own.
    await without_entrance(hass, entry, "101")
    assert pins_by_booking(demo, SEASIDE_LOCK) == loft
    assert LARS in pins_by_booking(demo, ENTRANCE_LOCK)
    assert all(c.id_accessoire == SEASIDE_KEYPAD for c in demo.thekeys.codes(SEASIDE_LOCK))


async def test_a_door_that_fails_is_shown_for_that_door_and_retried(
    hass: HomeAssistant, demo: Demo
) -> None:
    """The entrance refuses a new guest's code: the loft's keypad gets it, the entrance's lock
    says it is not in sync; once it answers, its code comes with the same PIN."""
    entry = await set_up(hass, two_doors(demo))
    coordinator = entry.runtime_data.coordinator
    coordinator.sleep = no_wait  # the retries of the failing create
    demo.thekeys.faults.fail_next = 100
    demo.thekeys.faults.fail_path = f"/partage/create/{ENTRANCE_LOCK}/"
    nina = demo.smoobu.add_booking(101, date(2026, 11, 28), date(2026, 11, 30), "Nina Petrova")
    await hass.services.async_call(DOMAIN, "sync", {}, blocking=True, return_response=True)

    key = f"smoobu:{nina}"
    assert key in pins_by_booking(demo, SEASIDE_LOCK)
    assert key not in pins_by_booking(demo, ENTRANCE_LOCK)
    assert coordinator.data.failing_locks == {ENTRANCE_LOCK}
    in_sync = {
        state.name: state.attributes.get("in_sync") for state in hass.states.async_all("lock")
    }
    assert [name for name, ok in in_sync.items() if not ok] == ["Building - Entrance"]

    demo.thekeys.faults.fail_next = 0
    await hass.services.async_call(DOMAIN, "sync", {}, blocking=True, return_response=True)
    assert pins_by_booking(demo, ENTRANCE_LOCK)[key] == pins_by_booking(demo, SEASIDE_LOCK)[key]
    assert coordinator.data.failing_locks == frozenset()
