"""A restart picks up where it left off: Smoobu's bookings kept, only its changes read again."""

from __future__ import annotations

from datetime import date, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lockbridge.const import CONF_HORIZON, DOMAIN
from tests.conftest import assert_no_secret
from tests.demo_stack import Demo, set_up
from tests.test_polling import booking_of


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def listings(demo: Demo) -> list[dict[str, str]]:
    """The queries of Smoobu's booking listings, page by page."""
    return [r.query for r in demo.smoobu.requests if r.path.endswith("/reservations")]


def codes(demo: Demo) -> set[tuple[str, str]]:
    return {(c.code, c.description) for c in demo.thekeys.codes()}


async def test_a_restart_reads_only_the_changes(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    before = codes(demo)
    amelie = booking_of(demo, "Amélie Laurent")
    assert any(f":{amelie}" in description for _, description in before)
    assert await hass.config_entries.async_unload(entry.entry_id)
    demo.smoobu.cancel_booking(amelie)  # cancelled while Home Assistant was down
    demo.smoobu.clear_log()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    # One page of what changed since the last poll, not every booking again...
    [query] = listings(demo)
    assert "modifiedFrom" in query
    assert "departureFrom" not in query
    # ...and the cancellation it brings removes that stay's code; the others stay as they were.
    after = codes(demo)
    assert {item for item in before if f":{amelie}" not in item[1]} == after


async def test_after_hours_away_everything_is_read_again(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    assert await hass.config_entries.async_unload(entry.entry_id)
    demo.smoobu.clear_log()
    freezer.tick(timedelta(hours=3))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert all("departureFrom" in query for query in listings(demo))


@pytest.mark.parametrize(
    "marks",
    [
        {"full_at": "2099-01-01T00:00:00+00:00", "polled_at": "2099-01-01T00:00:00+00:00"},
        {"full_at": "yesterday", "polled_at": None},
        {"full_at": "2026-11-23T09:00:00+00:00"},
        "garbage",
    ],
)
async def test_a_bad_saved_read_means_a_whole_read(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any], marks: Any
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    assert await hass.config_entries.async_unload(entry.entry_id)
    saved = hass_storage[f"{DOMAIN}.{entry.entry_id}.state"]["data"]
    [subentry_id] = saved["reads"]
    saved["reads"][subentry_id] = marks  # a clock that went back, a corrupt file
    before = codes(demo)
    demo.smoobu.clear_log()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert listings(demo)
    assert all("departureFrom" in query for query in listings(demo))
    assert codes(demo) == before


async def test_a_restart_goes_on_with_the_token_it_had(
    hass: HomeAssistant,
    demo: Demo,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    logins, before = demo.thekeys.logins, codes(demo)
    assert logins == 1
    assert await hass.config_entries.async_unload(entry.entry_id)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert demo.thekeys.logins == logins  # no new login: the kept token was taken
    assert codes(demo) == before
    # The token is a secret: it never reaches diagnostics.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert_no_secret(json.dumps(diagnostics), demo.thekeys.issued_tokens)


async def test_a_kept_token_the_cloud_refuses_means_one_login(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    before = codes(demo)
    assert await hass.config_entries.async_unload(entry.entry_id)
    demo.thekeys.expire_tokens()  # revoked while Home Assistant was down

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert demo.thekeys.logins == 2
    assert codes(demo) == before


@pytest.mark.parametrize(
    "session",
    [
        {"login": "another account", "token": None, "expires_at": "2099-01-01T00:00:00+00:00"},
        {"token": None, "expires_at": "2000-01-01T00:00:00+00:00"},  # expired
        {"token": None, "expires_at": "tomorrow"},
        {"token": 42},
    ],
)
async def test_a_kept_token_of_another_login_or_out_of_date_is_not_used(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any], session: dict[str, Any]
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    assert await hass.config_entries.async_unload(entry.entry_id)
    saved = hass_storage[f"{DOMAIN}.{entry.entry_id}.state"]["data"]["session"]
    kept = {**saved, **{k: v if v is not None else saved["token"] for k, v in session.items()}}
    hass_storage[f"{DOMAIN}.{entry.entry_id}.state"]["data"]["session"] = kept

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert demo.thekeys.logins == 2


async def test_a_poll_with_no_news_writes_nothing(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """Each poll moves its stamp; the file is written only when something else changed."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    key = f"{DOMAIN}.{entry.entry_id}.state"

    async def later(minutes: float) -> None:
        freezer.tick(timedelta(minutes=minutes))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    await later(1)  # the setup's writes are done
    written = json.dumps(hass_storage[key]["data"])
    for _ in range(3):
        await later(5.1)  # a poll that finds nothing new
    assert json.dumps(hass_storage[key]["data"]) == written

    demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    await later(5.1)
    await later(1)
    assert json.dumps(hass_storage[key]["data"]) != written
    assert "Nina" in json.dumps(hass_storage[key]["data"]["bookings"])


async def test_a_changed_horizon_means_a_whole_read_after_the_reload(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Bookings kept for 90 days ahead do not tell what the next 180 hold."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_HORIZON: 180})
    demo.smoobu.clear_log()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert listings(demo)
    assert all("departureFrom" in query for query in listings(demo))
