"""HotelRunner: pushes, listings and the delivery queue never undo or lose a change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.lockbridge.engine.bookings import BookingKey
from custom_components.lockbridge.sources.hotelrunner import HotelRunnerCoordinator
from tests.demo_stack import Demo, set_up, the_state
from tests.test_push import guest_codes
from tests.test_sources import PROBLEM, tick

STAY = (date(2026, 11, 25), date(2026, 11, 27))
MOVED = (date(2026, 11, 26), date(2026, 11, 27))
QUEUE = {"delivery_queue": True}
CONFIRM = "reservations/~"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def source_of(entry: MockConfigEntry) -> HotelRunnerCoordinator:
    [source] = entry.runtime_data.coordinator.sources.values()
    assert isinstance(source, HotelRunnerCoordinator)
    return source


async def pushing(
    hass: HomeAssistant, demo: Demo, client: ClientSessionGenerator, **data: Any
) -> MockConfigEntry:
    """A HotelRunner-only entry whose simulator pushes to its webhook."""
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner_data=data or None))
    [subentry] = entry.subentries.values()
    http = await client()
    demo.hotelrunner.push_url = str(http.make_url(f"/api/webhook/{subentry.data['webhook_id']}"))
    return entry


def starts(demo: Demo, guest: str, lock_id: int = 3704) -> list[date]:
    return [code.start for code in guest_codes(demo, lock_id, guest)]


def problems(hass: HomeAssistant) -> list[str]:
    return list(the_state(hass, PROBLEM).attributes.get("problems", []))


async def until(check: Callable[[], bool]) -> None:
    """Turns of the loop until `check` holds (the clock is frozen: no time passes)."""
    for _ in range(10_000):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_a_push_during_a_poll_is_not_undone_by_the_polls_older_copy(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await pushing(hass, demo, hass_client_no_auth)
    source, hotel = source_of(entry), demo.hotelrunner
    number = hotel.add_reservation("Nina Petrova", [("HR:1", *STAY)])
    await tick(hass, freezer, 10.1)  # polled
    assert starts(demo, "Nina Petrova") == [STAY[0]]

    # A poll whose listing is made now but travels slowly (the clock stands still: a
    # request's deadline runs on it)...
    freezer.tick(60)
    listings = hotel.count("/reservations", "GET")
    hotel.faults.gate, hotel.faults.gate_path = (held := asyncio.Event()), "/reservations"
    hotel.faults.gate_answer = True
    polling = hass.async_create_task(source.async_refresh())
    await until(lambda: hotel.count("/reservations", "GET") > listings)
    for _ in range(100):  # the listing is made: the handler has no wait of its own
        await asyncio.sleep(0)
    # ...and the reservation moved meanwhile, pushed while the listing is on its way.
    hotel.modify_reservation(number, stays=[("HR:1", *MOVED)])
    await hotel.push(number)
    await until(lambda: source.pushes.accepted == 1)
    held.set()
    await polling
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hotel.push_answers == [200]
    assert starts(demo, "Nina Petrova") == [MOVED[0]]  # the poll's older copy lost
    assert source.data is not None
    [booking] = [b for b in source.data.bookings if b.guest_name == "Nina Petrova"]
    assert booking.arrival == MOVED[0]
    # Codes follow the push at the next poll too, and a listing of the same copy changes nothing.
    hotel.faults.reset()
    await tick(hass, freezer, 61)
    assert starts(demo, "Nina Petrova") == [MOVED[0]]


async def test_a_confirmed_change_survives_a_hard_stop(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant stops dead the moment HotelRunner records the confirmation.

    The reservation was made 40 days ago: no listing shows it, only the queue did, and a
    confirmed message leaves the queue. What was on disk then is all a new start has.
    """
    hotel = demo.hotelrunner
    old = hotel.add_reservation(
        "Old Booker",
        [("HR:2", date(2026, 12, 20), date(2026, 12, 23))],
        completed_at=datetime(2026, 10, 14, 9, tzinfo=UTC),
    )
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner_data=QUEUE))
    for _ in range(10):  # the polls after the full read read the queue, a few confirmed each
        await tick(hass, freezer, 40)
        if all(hotel.is_delivered(number) for number in hotel.reservations):
            break
    [code] = guest_codes(demo, 3705, "Old Booker")
    assert code.start == date(2026, 12, 20)
    disk: dict[str, Any] = {}

    def hard_stop(hr_number: str) -> None:
        if hr_number == old and not disk:
            disk.update(copy.deepcopy(hass_storage))

    hotel.on_confirm = hard_stop
    hotel.modify_reservation(old, stays=[("HR:2", date(2026, 12, 21), date(2026, 12, 23))])
    for _ in range(4):  # no push: only the queue brings it
        await tick(hass, freezer, 40)
        if disk:
            break
    assert disk, "the queue's change was not confirmed"
    assert hotel.is_delivered(old)
    await hass.config_entries.async_unload(entry.entry_id)
    hass_storage.clear()
    hass_storage.update(disk)

    async with async_test_home_assistant(config_dir=hass.config.config_dir) as fresh:
        fresh.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        again = MockConfigEntry(
            domain=DOMAIN,
            entry_id=entry.entry_id,
            unique_id=entry.unique_id,
            title=entry.title,
            data=dict(entry.data),
            options=dict(entry.options),
            subentries_data=[
                ConfigSubentryDataWithId(
                    data=dict(sub.data),
                    subentry_id=sub.subentry_id,
                    subentry_type=sub.subentry_type,
                    title=sub.title,
                    unique_id=sub.unique_id,
                )
                for sub in entry.subentries.values()
            ],
        )
        try:
            await set_up(fresh, again)
            source = source_of(again)
            assert source.data is not None
            booking = BookingKey("hotelrunner", f"{old}/HR:2")
            known = {item.key: item for item in source.data.bookings}
            assert known[booking].arrival == date(2026, 12, 21)
            [code] = guest_codes(demo, 3705, "Old Booker")
            assert code.start == date(2026, 12, 21)
            kept = again.runtime_data.coordinator.code_for(booking)
            assert kept is not None
            assert (kept.id, kept.pin) == (code.id, code.code)
        finally:
            await fresh.config_entries.async_unload(again.entry_id)
            await fresh.async_stop(force=True)


@pytest.mark.parametrize("fault", ["error", "timeout"])
async def test_failing_confirmations_still_give_the_new_reservation_its_code(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory, fault: str
) -> None:
    hotel = demo.hotelrunner
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner_data=QUEUE))
    source = source_of(entry)
    gate = asyncio.Event()
    if fault == "error":
        hotel.faults.fail_next, hotel.faults.fail_path = 10**6, CONFIRM  # HTTP 500
    else:
        hotel.faults.gate, hotel.faults.gate_path = gate, CONFIRM  # never answered
    number = hotel.add_reservation("Nina Petrova", [("HR:1", *STAY)])

    async def poll() -> None:
        if fault == "error":
            await tick(hass, freezer, 15)
            return
        confirming = hotel.count(CONFIRM)
        freezer.tick(timedelta(minutes=15))
        async_fire_time_changed(hass)
        await until(lambda: hotel.count(CONFIRM) > confirming)
        # The request's 30 s deadline passes (the loop's timers run on the test clock).
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
        await hass.async_block_till_done(wait_background_tasks=True)

    try:
        for _ in range(3):  # three queue polls, every confirmation failing
            await poll()
            assert starts(demo, "Nina Petrova") == [STAY[0]]
            assert source.last_update_success
        assert not hotel.is_delivered(number)
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        [confirmations] = [s["confirmations"] for s in diagnostics["sources"]]
        error = "CommunicationError" if fault == "error" else "ApiTimeoutError"
        assert (confirmations["failed"], confirmations["last_error"]) == (3, error)
        assert [p for p in problems(hass) if "delivery confirmations" in p] == [
            f"HotelRunner: delivery confirmations failing ({error})"
        ]
    finally:
        gate.set()
    hotel.faults.reset()

    for _ in range(10):  # retried: the queue still holds them, a few are confirmed per poll
        await tick(hass, freezer, 90)
        if hotel.is_delivered(number):
            break
    assert hotel.is_delivered(number)
    assert not [p for p in problems(hass) if "delivery confirmations" in p]
    assert starts(demo, "Nina Petrova") == [STAY[0]]


async def test_a_push_during_a_rate_limit_hold_is_applied(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await pushing(hass, demo, hass_client_no_auth)
    source, hotel = source_of(entry), demo.hotelrunner
    hotel.faults.rate_limit_next, hotel.faults.retry_after = 1, "3600"
    await tick(hass, freezer, 10.1)
    # A hold is pacing, not an outage: what is known stays shown as read.
    assert source.on_hold
    assert source.last_update_success
    assert source.held_until is not None
    assert source.budget.wait_time() > 3000
    requests = len(hotel.requests)

    number = hotel.add_reservation("Nina Petrova", [("HR:1", *STAY)])
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert starts(demo, "Nina Petrova") == [STAY[0]]

    freezer.tick(60)
    hotel.cancel_reservation(number)
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert starts(demo, "Nina Petrova") == []  # a pushed cancellation is evidence too

    assert hotel.push_answers == [200, 200]
    assert len(hotel.requests) == requests  # nothing spent: the hold is kept
    assert any("asked to wait until" in p for p in problems(hass))


async def test_a_push_stamped_in_the_future_does_not_hide_later_pushes(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await pushing(hass, demo, hass_client_no_auth)
    hotel = demo.hotelrunner
    number = hotel.add_reservation("Nina Petrova", [("HR:1", *STAY)])
    hotel.reservations[number]["updated_at"] = "2027-11-23T12:00:00.000+03:00"  # a bad clock
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert starts(demo, "Nina Petrova") == [STAY[0]]

    freezer.tick(60)
    hotel.modify_reservation(number, stays=[("HR:1", *MOVED)])  # stamped now
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert starts(demo, "Nina Petrova") == [MOVED[0]]

    await tick(hass, freezer, 61)  # and the listings take it as it is
    assert starts(demo, "Nina Petrova") == [MOVED[0]]


async def test_a_pushed_reservation_that_cannot_be_read_shows_as_skipped(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await pushing(hass, demo, hass_client_no_auth)
    hotel = demo.hotelrunner
    backwards = hotel.add_reservation("Back Wards", [("HR:1", STAY[1], STAY[0])])
    roomless = hotel.add_reservation("No Rooms", [("HR:2", *STAY)])
    hotel.reservations[roomless]["rooms"] = []
    await hotel.push(backwards)
    await hotel.push(roomless)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hotel.push_answers == [200, 200]
    assert source_of(entry).pushes.accepted == 2
    assert problems(hass) == [
        f"Bookings skipped: hotelrunner:{backwards}/HR:1 (departure_not_after_arrival), "
        f"hotelrunner:{roomless} (no_rooms)"
    ]
    assert f"booking hotelrunner:{roomless} skipped (no_rooms)" in caplog.text
    assert guest_codes(demo, 3704, "Back Wards") == []

    # Corrected at the source and pushed again: taken in, and no longer skipped.
    freezer.tick(60)
    hotel.modify_reservation(backwards, stays=[("HR:1", *STAY)])
    await hotel.push(backwards)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert starts(demo, "Back Wards") == [STAY[0]]
    assert problems(hass) == [f"Bookings skipped: hotelrunner:{roomless} (no_rooms)"]
