"""A push or an action syncs only the locks it touched; a quiet periodic cycle re-plans nothing."""

from __future__ import annotations

from datetime import date, timedelta
import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.sources.smoobu import CONF_INTERVAL as CONF_SMOOBU_INTERVAL
from tests.demo_stack import Demo, set_up
from tests.test_polling import booking_of

#: The demo's Old Town Flat (Smoobu apartment 103) has its keypad on this lock.
OLD_TOWN_LOCK = 3703
#: And the Villa's Deluxe Suite (HotelRunner room HR:2) on this one.
DELUXE_LOCK = 3705


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def listings(demo: Demo) -> list[str]:
    """The locks whose codes The Keys was asked for, in order."""
    return [r.path.rsplit("/", 1)[1] for r in demo.thekeys.requests if "/partage/all/" in r.path]


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """One periodic cycle (and the Smoobu poll that comes with it)."""
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def account_reads(demo: Demo) -> int:
    return demo.thekeys.count("/utilisateur/get/")


async def test_a_push_reads_and_fixes_only_its_lock(
    hass: HomeAssistant, demo: Demo, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    client = await hass_client_no_auth()
    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    demo.thekeys.clear_log()

    call = {"action": "newReservation", "user": demo.smoobu.user_id, "data": {"id": booking}}
    answer = await client.post(f"/api/webhook/{subentry.data['webhook_id']}", json=call)
    assert answer.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [c.name for c in demo.thekeys.codes(OLD_TOWN_LOCK) if "Nina" in c.name]
    assert listings(demo) == [str(OLD_TOWN_LOCK)]  # one listing, of its lock only
    assert account_reads(demo) == 0


async def test_a_hotelrunner_push_reads_and_fixes_only_its_lock(
    hass: HomeAssistant, demo: Demo, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False))
    [subentry] = entry.subentries.values()
    client = await hass_client_no_auth()
    hotel = demo.hotelrunner
    number = hotel.add_reservation(
        "Nina Petrova", [("HR:2", date(2026, 11, 25), date(2026, 11, 27))]
    )
    demo.thekeys.clear_log()
    requests = len(hotel.requests)

    answer = await client.post(
        f"/api/webhook/{subentry.data['webhook_id']}",
        params={"token": hotel.token, "hr_id": hotel.hr_id},
        data={"data": json.dumps({"reservations": [hotel.reservations[number]]})},
    )
    assert answer.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [c.name for c in demo.thekeys.codes(DELUXE_LOCK) if "Nina" in c.name]
    assert listings(demo) == [str(DELUXE_LOCK)]  # one listing, of the Deluxe Suite's lock
    assert account_reads(demo) == 0
    assert len(hotel.requests) == requests  # the push carried the reservation: no read


async def test_an_action_syncs_only_its_lock(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    amelie = booking_of(demo, "Amélie Laurent")
    demo.thekeys.clear_log()

    response = await hass.services.async_call(
        DOMAIN, "regenerate_code", {"booking": f"smoobu:{amelie}"}, blocking=True,
        return_response=True,
    )  # fmt: skip

    assert response is not None
    # The action's own read of the keypad, then the sync's: that lock only.
    assert set(listings(demo)) == {str(OLD_TOWN_LOCK)}
    assert account_reads(demo) == 0
    [code] = [c for c in demo.thekeys.codes(OLD_TOWN_LOCK) if f":{amelie}" in c.description]
    assert code.code == response["pin"]


async def test_a_quiet_cycle_plans_nothing_and_tells_only_last_sync(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    coordinator = entry.runtime_data.coordinator
    await tick(hass, freezer)  # the first sync made codes: the next one checks them again
    plan = coordinator.data.plan
    assert not plan.actions
    last_sync = hass.states.get("sensor.lockbridge_last_sync")
    assert last_sync is not None

    await tick(hass, freezer)  # the periodic sync, nothing changed

    assert coordinator.data.plan is plan  # not planned again
    now = hass.states.get("sensor.lockbridge_last_sync")
    assert now is not None
    assert now.state != last_sync.state  # but the sync happened, and says so

    # A booking changed at the source: the next cycle plans again.
    demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    await tick(hass, freezer)
    assert coordinator.data.plan is not plan
    assert [c for c in demo.thekeys.codes(OLD_TOWN_LOCK) if "Nina" in c.name]


async def test_a_check_in_moment_tells_the_entities_even_when_quiet(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    zoe = booking_of(demo, "Zoë Müller")
    # Her check-in at Seaside Loft moved to 15:30 (the demo's clock is at 10:00).
    await hass.services.async_call(
        DOMAIN,
        "set_stay_override",
        {"booking": f"smoobu:{zoe}", "check_in": "2026-11-23 15:30:00"},
        blocking=True,
    )
    guest = "sensor.seaside_loft_current_guest"
    while dt_util.now().strftime("%H:%M") < "15:30":
        assert hass.states.get(guest).state != "Zoë Müller"  # type: ignore[union-attr]
        await tick(hass, freezer)  # quiet cycles: nothing changes in between
    # The first cycle past her check-in tells the entities, not the next hour's.
    assert dt_util.now().strftime("%H:%M") < "15:36"
    assert hass.states.get(guest).state == "Zoë Müller"  # type: ignore[union-attr]
