"""A guest's code goes only on positive evidence about its own booking (issue 12, items 1-4).

Each test holds a case an audit reproduced: the code of a guest in the house was deleted
because a record was missing from evidence that may be incomplete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers.instance_id import async_get as async_get_instance_id
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.lockbridge.const import CONF_UNITS, DOMAIN
from custom_components.lockbridge.engine.bookings import Booking, BookingKey, BookingStatus, to_dict
from custom_components.lockbridge.engine.ownership import parse_tag, short_id, tag
from custom_components.lockbridge.sources.hotelrunner_records import KIND as HOTELRUNNER
from custom_components.lockbridge.sources.smoobu import (
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_URL as CONF_SMOOBU_URL,
)
from tests.conftest import serve
from tests.demo_stack import Demo, set_up, unit_map
from tests.fakes import SmoobuSimulator


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def codes_of(demo: Demo, key: BookingKey) -> list[Any]:
    return [code for code in demo.thekeys.codes() if parse_tag(code.description) == key]


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_hotelrunner_cache_lost_keeps_the_in_house_guests_code(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """Arrived yesterday, booked 40 days ago: HotelRunner no longer lists the reservation."""
    hr_number = demo.hotelrunner.add_reservation(
        "Old Booker",
        [("HR:1", date(2026, 11, 22), date(2026, 11, 26))],
        completed_at=datetime(2026, 10, 14, 9, 0, tzinfo=UTC),
    )
    key = BookingKey(HOTELRUNNER, f"{hr_number}/HR:1")
    cached = Booking(
        key=key,
        unit_id="HR:1",
        status=BookingStatus.CONFIRMED,
        arrival=date(2026, 11, 22),
        departure=date(2026, 11, 26),
        guest_name="Old Booker",
    )
    entry = demo.entry(smoobu=False)
    (subentry_id,) = entry.subentries
    state_key = f"{DOMAIN}.{entry.entry_id}.state"
    hass_storage[state_key] = {
        "version": 1,
        "data": {"bookings": {subentry_id: [to_dict(cached)]}},
    }
    entry = await set_up(hass, entry)  # remembered from earlier polls: it gets its code
    (code,) = codes_of(demo, key)

    # The store is lost (Home Assistant renames a corrupt file and starts empty).
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass_storage.pop(state_key)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await later(hass, freezer, 11)

    assert codes_of(demo, key) == [code]  # Old Booker still gets in
    # Its own end is the evidence: a day after check-out (the grace), it goes.
    freezer.move_to(datetime(2026, 11, 27, 12, 30, tzinfo=UTC))
    await later(hass, freezer, 11)
    assert codes_of(demo, key) == []


@pytest.fixture
async def second_smoobu() -> AsyncIterator[tuple[SmoobuSimulator, str]]:
    """Another Smoobu account of the same host, with one apartment."""
    sim = SmoobuSimulator(api_key="smk-second-account", api_secret="sms-second", user_id=8)
    sim.add_apartment(201, "Lake House")
    server = await serve(sim.make_app())
    yield sim, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_removing_one_of_two_smoobu_sources_leaves_its_guests_codes(
    hass: HomeAssistant, demo: Demo, second_smoobu: tuple[SmoobuSimulator, str]
) -> None:
    sim, url = second_smoobu
    # Smoobu booking ids are unique across accounts; the simulators each count from one base.
    guest = sim.add_booking(
        201, date(2026, 11, 22), date(2026, 11, 26), "Lake Guest", booking_id=77000001
    )
    demo.thekeys.add_lock(3799, "Lake House", keypads=[("KlLk11Mn", "Lake keypad")])
    second = ConfigSubentryData(
        data={
            CONF_API_KEY: sim.api_key,
            CONF_API_SECRET: sim.api_secret,
            CONF_SMOOBU_URL: url,
            CONF_UNITS: unit_map({"201": ("Lake House", "3799/KlLk11Mn")}),
        },
        subentry_type="smoobu",
        title="Smoobu Second",
        unique_id="smoobu-8",
    )
    base = demo.entry(hotelrunner=False)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=base.unique_id,
        title=base.title,
        data=dict(base.data),
        subentries_data=[demo.smoobu_subentry(), second],
    )
    entry = await set_up(hass, entry)
    key = BookingKey("smoobu", str(guest))
    (code,) = codes_of(demo, key)
    others = {c.id for c in demo.thekeys.codes() if parse_tag(c.description)}

    removed = next(s for s in entry.subentries.values() if s.unique_id == "smoobu-8")
    assert hass.config_entries.async_remove_subentry(entry, removed.subentry_id)
    await hass.async_block_till_done()

    assert codes_of(demo, key) == [code]
    assert {c.id for c in demo.thekeys.codes() if parse_tag(c.description)} == others


async def test_another_installations_codes_are_foreign(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """The same account in a second Home Assistant (or another account's LockBridge)."""
    elsewhere = short_id("another Home Assistant", "42")
    zoe = BookingKey("smoobu", "58123401")
    theirs = [
        # For a booking of ours, for one that ended, for one nobody here knows.
        demo.thekeys.add_code(
            3701, "Kp7Lm2Qa", "smoobu Zoë Müller", "80426", date(2026, 11, 23),
            date(2026, 11, 27), description=tag(zoe, elsewhere, "1a2b3c4d"),
        ),
        demo.thekeys.add_code(
            3701, "Kp7Lm2Qa", "smoobu Past Guest", "80427", date(2026, 11, 1),
            date(2026, 11, 3), description=tag(BookingKey("smoobu", "1"), elsewhere),
        ),
        demo.thekeys.add_code(
            3701, "Kp7Lm2Qa", "smoobu Their Guest", "80428", date(2026, 11, 22),
            date(2026, 11, 30), description=tag(BookingKey("smoobu", "2"), elsewhere),
        ),
    ]  # fmt: skip
    await set_up(hass, demo.entry())
    await later(hass, freezer, 6)

    assert {c.id for c in demo.thekeys.codes(3701)} >= set(theirs)
    mine = [c for c in codes_of(demo, zoe) if c.id not in theirs]
    owner = short_id(await async_get_instance_id(hass), "42")
    assert [c.description.split(":")[1] for c in mine] == [owner]  # Zoë has ours too


async def test_a_first_style_tag_is_taken_for_a_known_booking_only(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Codes from before tags named their installation: re-tagged when the booking is ours."""
    zoe = demo.thekeys.add_code(
        3701, "Kp7Lm2Qa", "smoobu Zoë Müller", "80426", date(2026, 11, 23),
        date(2026, 11, 27), description="lockbridge:smoobu:58123401",
    )  # fmt: skip
    unknown = demo.thekeys.add_code(
        3701, "Kp7Lm2Qa", "smoobu Someone", "80427", date(2026, 11, 1),
        date(2026, 11, 3), description="lockbridge:smoobu:1",
    )  # fmt: skip

    await set_up(hass, demo.entry())

    by_id = {c.id: c for c in demo.thekeys.codes(3701)}
    assert by_id[zoe].code == "80426"  # the guest keeps the PIN she was sent
    assert by_id[zoe].description != "lockbridge:smoobu:58123401"
    assert by_id[unknown].description == "lockbridge:smoobu:1"  # not ours to judge
