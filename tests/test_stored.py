"""What LockBridge leaves on disk: PINs only until a keypad holds them, contacts only for stays
that are current or coming. Read from the stored JSON itself (Home Assistant's `.storage`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import NOW, Demo, set_up


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def no_wait(_: float) -> None:
    """Retry backoff without waiting (the clock is frozen)."""


def stored(hass_storage: dict[str, Any], entry_id: str, part: str) -> dict[str, Any]:
    """A LockBridge store file's data, as written."""
    data = hass_storage[f"{DOMAIN}.{entry_id}.{part}"]["data"]
    assert isinstance(data, dict)
    return data


def keypad_pins(demo: Demo) -> dict[str, str]:
    """Booking -> PIN of our codes on the demo keypads."""
    return {
        str(key): code.code for code in demo.thekeys.codes() if (key := parse_tag(code.description))
    }


async def sync(hass: HomeAssistant) -> None:
    await hass.services.async_call(DOMAIN, "sync", {}, blocking=True)


async def test_pins_leave_the_journal_once_the_keypads_hold_them(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, demo.entry())
    assert len(keypad_pins(demo)) == 9

    assert stored(hass_storage, entry.entry_id, "journal")["pins"] == {}


async def test_a_pending_codes_pin_is_kept_until_the_keypad_has_it(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, demo.entry())
    entry.runtime_data.coordinator.sleep = no_wait
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 100, "/partage/create/"
    nina = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    await sync(hass)

    held = stored(hass_storage, entry.entry_id, "journal")["pins"]
    assert list(held) == [f"smoobu:{nina}"]  # her PIN only: the others are on keypads
    assert held[f"smoobu:{nina}"] not in keypad_pins(demo).values()

    demo.thekeys.faults.fail_next = 0
    await sync(hass)
    assert keypad_pins(demo)[f"smoobu:{nina}"] == held[f"smoobu:{nina}"]  # the PIN planned
    assert stored(hass_storage, entry.entry_id, "journal")["pins"] == {}


async def test_a_restart_keeps_every_bookings_pin_from_the_keypads(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    """After a restart the PINs come back from the keypads' listings, date change or move."""
    entry = await set_up(hass, demo.entry())
    before = keypad_pins(demo)
    assert stored(hass_storage, entry.entry_id, "journal")["pins"] == {}
    assert await hass.config_entries.async_unload(entry.entry_id)

    # Meanwhile Zoë stays one more night, and Amélie moves to the Garden Studio.
    [zoe] = [k for k, b in demo.smoobu.bookings.items() if b["guest-name"] == "Zoë Müller"]
    [amelie] = [k for k, b in demo.smoobu.bookings.items() if b["guest-name"] == "Amélie Laurent"]
    demo.smoobu.move_booking(zoe, departure=date(2026, 11, 28))
    demo.smoobu.move_booking(amelie, apartment_id=102)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert keypad_pins(demo) == before
    moved = [c for c in demo.thekeys.codes(3702) if c.name == "smoobu Amélie Laurent"]
    assert [c.code for c in moved] == [before[f"smoobu:{amelie}"]]
    assert stored(hass_storage, entry.entry_id, "journal")["pins"] == {}


async def test_an_old_journal_full_of_pins_is_pruned(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    entry = demo.entry()
    old = {f"smoobu:{n}": f"{4000 + n}" for n in range(50)}
    hass_storage[f"{DOMAIN}.{entry.entry_id}.journal"] = {
        "version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.journal",
        "data": {"version": 1, "pins": old, "pending": {}},
    }
    await set_up(hass, entry)

    assert stored(hass_storage, entry.entry_id, "journal")["pins"] == {}


def hotelrunner_cache(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The HotelRunner source's cached bookings (Smoobu's are kept too, for restarts)."""
    [items] = [
        items
        for items in state["bookings"].values()
        if items and items[0]["source"] == "hotelrunner"
    ]
    return cast(list[dict[str, Any]], items)


def cached(hass_storage: dict[str, Any], entry_id: str) -> dict[str, dict[str, Any]]:
    """HotelRunner's cached bookings by guest and arrival."""
    items = hotelrunner_cache(stored(hass_storage, entry_id, "state"))
    return {f"{item['guest_name']} {item['arrival']}": item for item in items}


async def test_contacts_are_kept_for_coming_stays_only(
    hass: HomeAssistant,
    demo: Demo,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await set_up(hass, demo.entry())
    assert await hass.config_entries.async_unload(entry.entry_id)  # writes the state store
    first = cached(hass_storage, entry.entry_id)
    assert first["Ayşe Yılmaz 2026-11-23"]["phone"]  # in the unit today
    assert first["Olivia Smith 2026-11-26"]["email"]  # coming
    cancelled = first["Jonas Becker 2026-11-30"]
    assert (cancelled["status"], cancelled["phone"], cancelled["email"]) == (
        "cancelled",
        None,
        None,
    )

    # Three days on, Ayşe has left (25 Nov): her cached reservation loses her contacts.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    later = NOW + timedelta(days=3)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)

    after = cached(hass_storage, entry.entry_id)
    ayse = after["Ayşe Yılmaz 2026-11-23"]
    assert (ayse["guest_name"], ayse["phone"], ayse["email"]) == ("Ayşe Yılmaz", None, None)
    assert after["Olivia Smith 2026-11-26"]["phone"] == "+1 415 555 0134"  # in the unit now
    assert after["Sophie Dubois 2026-12-15"]["email"]


async def test_a_saved_past_stays_contacts_are_dropped_at_load(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, demo.entry())
    assert await hass.config_entries.async_unload(entry.entry_id)
    state = stored(hass_storage, entry.entry_id, "state")
    items = hotelrunner_cache(state)
    items.append(
        items[0]
        | {"id": "R1/HR:1", "arrival": "2026-11-20", "departure": "2026-11-22"}
        | {"phone": "+90 532 000 1122", "email": "old.guest@example.com"}
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)

    old = next(i for i in cached(hass_storage, entry.entry_id).values() if i["id"] == "R1/HR:1")
    assert (old["phone"], old["email"]) == (None, None)
