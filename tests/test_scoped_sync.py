"""A push or an action syncs only the locks it touched; a quiet periodic cycle re-plans nothing."""

from __future__ import annotations

from datetime import date, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.engine.plan import code_end
from custom_components.lockbridge.sources.smoobu import CONF_INTERVAL as CONF_SMOOBU_INTERVAL
from tests.demo_stack import Demo, set_up, the_state
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


async def no_wait(_: float) -> None:
    """Retry backoff without waiting (the test clock is frozen)."""


def problems(hass: HomeAssistant) -> list[str]:
    state = hass.states.get("binary_sensor.lockbridge_sync_problem")
    assert state is not None
    return list(state.attributes.get("problems", []))


def code_failed_issues(hass: HomeAssistant) -> set[str]:
    return {
        issue_id
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "code_failed"
    }


async def push(hass: HomeAssistant, demo: Demo, client: Any, hook: str, booking: int) -> None:
    call = {"action": "updateReservation", "user": demo.smoobu.user_id, "data": {"id": booking}}
    answer = await client.post(hook, json=call)
    assert answer.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_after_a_push_the_periodic_sync_and_sync_now_read_every_lock(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A scoped run must not pass its scope on to the timer it re-arms, nor to automations."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    client = await hass_client_no_auth()
    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    await push(hass, demo, client, f"/api/webhook/{subentry.data['webhook_id']}", booking)
    demo.thekeys.clear_log()

    await tick(hass, freezer)  # the periodic sync

    every = {str(lock.id) for lock in entry.runtime_data.coordinator.data.account.locks}
    assert len(every) == 5
    assert set(listings(demo)) == every
    assert account_reads(demo) == 1
    # A code deleted by hand on another lock is put back by it.
    [garden] = [c for c in demo.thekeys.codes(3702) if parse_tag(c.description)][:1]
    demo.thekeys.remove_code(garden.id)
    demo.thekeys.clear_log()
    await hass.services.async_call(DOMAIN, "sync", {}, blocking=True)
    assert set(listings(demo)) == every
    assert [c for c in demo.thekeys.codes(3702) if c.description == garden.description]


async def test_a_failed_change_elsewhere_stays_shown_and_is_retried_after_a_scoped_sync(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    coordinator = entry.runtime_data.coordinator
    coordinator.sleep = no_wait
    # Every attempt at a new code on the Garden Studio's lock fails.
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 100, "/partage/create/3702"
    demo.smoobu.add_booking(102, date(2026, 11, 28), date(2026, 11, 30), "Nina Petrova")
    await hass.services.async_call(DOMAIN, "sync", {}, blocking=True)
    assert "1 code changes failed" in problems(hass)
    [issue] = code_failed_issues(hass)
    demo.thekeys.faults.fail_next = 0

    # An action on another lock syncs that lock only, and has nothing to plan there...
    await hass.services.async_call(
        DOMAIN,
        "create_code",
        {
            "lock": "lock.old_town_flat_landing_door",
            "name": "Plumber",
            "start": "2026-11-24T09:00:00",
            "end": "2026-11-24T12:00:00",
        },
        blocking=True,
    )
    # ...and leaves the failure on the other lock shown, and its lock not in sync.
    assert "1 code changes failed" in problems(hass)
    assert code_failed_issues(hass) == {issue}
    assert the_state(hass, "lock.garden_studio_garden_door").attributes["in_sync"] is False

    await tick(hass, freezer)  # the next whole sync retries it

    assert [c for c in demo.thekeys.codes(3702) if "Nina" in c.name]
    assert code_failed_issues(hass) == set()


async def test_a_push_for_a_lock_that_cannot_be_listed_leaves_the_rest_available(
    hass: HomeAssistant, demo: Demo, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Its keypad offline: that lock is unreadable, as a whole sync says; not "cloud down"."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    coordinator = entry.runtime_data.coordinator
    client = await hass_client_no_auth()
    demo.thekeys.faults.fail_next = 10_000
    demo.thekeys.faults.fail_path = f"/serrure/{OLD_TOWN_LOCK}"
    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")

    await push(hass, demo, client, f"/api/webhook/{subentry.data['webhook_id']}", booking)

    assert coordinator.last_update_success
    assert coordinator.failures == 0
    assert OLD_TOWN_LOCK in coordinator.data.unreadable
    assert the_state(hass, "sensor.seaside_loft_current_guest").state != "unavailable"
    assert the_state(hass, "lock.old_town_flat_landing_door").attributes["in_sync"] is False


async def test_quiet_cycles_end_a_run_of_failures(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """Two failed syncs, hours of quiet good ones, then one failure: not "3 in a row"."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    coordinator = entry.runtime_data.coordinator
    await tick(hass, freezer)
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 10_000, ""
    await tick(hass, freezer)
    await tick(hass, freezer)
    assert coordinator.failures == 2
    demo.thekeys.faults.fail_next = 0
    await tick(hass, freezer)
    await tick(hass, freezer)
    assert coordinator.failures == 0

    demo.thekeys.faults.fail_next = 10_000
    await tick(hass, freezer)
    assert not [p for p in problems(hass) if "failed syncs in a row" in p]


async def test_a_quiet_cycle_wakes_when_a_code_is_due_or_over(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Times at which the plan changes with nothing else changing: a stay's start less the
    horizon (its code is made), its end plus the grace (its code goes), and a code's own end
    plus the grace (a code left over). Check-outs at 10:30, zones at +05:30: not on the hour."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    views = entry.runtime_data.coordinator.data.views
    assert views is not None
    stays = [stay for view in views.units.values() for stay in view.stays]
    assert stays
    for stay in stays:
        assert stay.start - timedelta(days=90) in views.moments
        assert stay.end + timedelta(hours=24) in views.moments
    coordinator = entry.runtime_data.coordinator
    [code] = [c for c in coordinator.data.codes[OLD_TOWN_LOCK] if parse_tag(c.description)][:1]
    end = code_end(code, coordinator.zone_of(coordinator.lock(OLD_TOWN_LOCK)))
    assert end is not None
    assert end + timedelta(hours=24) in views.moments


async def test_a_source_that_answers_again_is_synced_on_every_lock(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """While it failed, nothing of its codes could go; once it answers, any lock may need it."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    client = await hass_client_no_auth()
    hook = f"/api/webhook/{subentry.data['webhook_id']}"
    amelie = booking_of(demo, "Amélie Laurent")
    demo.smoobu.faults.fail_next = 10_000
    await push(hass, demo, client, hook, amelie)  # its read fails
    demo.smoobu.faults.fail_next = 0
    freezer.tick(timedelta(seconds=2))  # past the source's debouncer
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    demo.thekeys.clear_log()

    # Another call (the same one again is a replay): it answers, nothing changed.
    await push(hass, demo, client, hook, booking_of(demo, "Zoë Müller"))

    every = {str(lock.id) for lock in entry.runtime_data.coordinator.data.account.locks}
    assert set(listings(demo)) == every
