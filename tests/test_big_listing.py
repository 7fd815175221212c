"""A Smoobu listing cut short by a bound is used, but no code is deleted on its word."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.lockbridge.api import smoobu as smoobu_api
from custom_components.lockbridge.sources.smoobu import FULL_READ_EVERY
from tests.demo_stack import Demo, set_up
from tests.test_polling import booking_of, code_dates


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def codes_of(demo: Demo, booking_id: int) -> list[str]:
    return [c.code for c in demo.thekeys.codes() if f":{booking_id}" in c.description]


async def test_a_listing_cut_short_makes_codes_and_deletes_none(
    hass: HomeAssistant,
    demo: Demo,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    amelie = booking_of(demo, "Amélie Laurent")
    carlos = booking_of(demo, "Carlos García")
    assert codes_of(demo, amelie)
    start, end = code_dates(demo, carlos)
    await hass.config_entries.async_unload(entry.entry_id)
    # Meanwhile: one booking cancelled, one moved, one added (listed last, by id).
    demo.smoobu.cancel_booking(amelie)
    demo.smoobu.move_booking(carlos, departure=end + timedelta(days=1))
    late = demo.smoobu.add_booking(
        101, start + timedelta(days=60), end + timedelta(days=62), "Late"
    )
    # The bookings bound lets all but the last one in: the listing is cut short.
    monkeypatch.setattr(smoobu_api, "DEFAULT_MAX_BOOKINGS", len(demo.smoobu.bookings) - 1)
    # Back hours later: a whole read is due (a quick restart reads only what changed).
    freezer.tick(FULL_READ_EVERY)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert codes_of(demo, amelie)  # cancelled, but said by a listing cut short: kept
    assert code_dates(demo, carlos) == (start, end + timedelta(days=1))  # read: followed
    assert not codes_of(demo, late)  # not read: nothing known of it yet
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    assert source.cut_short is not None
    assert not source.answered
    assert source.last_error == "ListingIncompleteError"
    assert "cut short" in caplog.text
    problem = hass.states.get("binary_sensor.lockbridge_sync_problem")
    assert problem is not None
    assert problem.state == "on"
    assert any("only partly read" in text for text in problem.attributes["problems"])
