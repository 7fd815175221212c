"""A unit with two doors (its keypad and a building's entrance): every stay's PIN, and the
cleaner's, opens both; the second door taken off the map takes only its own codes away."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import CONF_DOORS, CONF_UNITS, DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up
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
