"""Smoobu's push: its webhook makes the source read its changes now; forgeries change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lockbridge.const import CONF_SMOOBU_INTERVAL
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def nina_codes(demo: Demo) -> list[Any]:
    return [c for c in demo.thekeys.codes(3703) if c.name.endswith("Nina Petrova")]


async def test_a_smoobu_call_brings_the_code_without_waiting_for_the_poll(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    webhook_id = subentry.data["webhook_id"]
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    client = await hass_client_no_auth()  # Smoobu has no Home Assistant login
    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    call = {"action": "newReservation", "user": demo.smoobu.user_id, "data": {"id": booking}}

    answer = await client.post(f"/api/webhook/{webhook_id}", json=call)
    assert answer.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(nina_codes(demo)) == 1  # no poll came: the hour has not passed

    # Forgeries and noise: answered, counted, and nothing read or changed.
    requests = len(demo.smoobu.requests)
    for body, status in (
        (json.dumps({**call, "user": 999}), 403),  # another Smoobu account
        ("{not json", 400),
        (json.dumps(["newReservation"]), 400),
        (json.dumps({"action": "updateRates", "user": demo.smoobu.user_id}), 200),
        ("x" * (300 * 1024), 413),
    ):
        answer = await client.post(f"/api/webhook/{webhook_id}", data=body)
        assert answer.status == status

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: cut off while read
        for _ in range(5):
            yield b"x" * 100_000

    answer = await client.post(f"/api/webhook/{webhook_id}", data=chunked())
    assert answer.status == 413
    answer = await client.post("/api/webhook/" + "0" * 64, json=call)  # a guessed id
    assert answer.status == 200  # Home Assistant gives nothing away
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(demo.smoobu.requests) == requests
    assert source.pushes.as_dict() | {"last_accepted": None} == {
        "accepted": 1,
        "ignored": 1,
        "replayed": 0,
        "refused": 5,
        "last_accepted": None,
    }

    # A replay (the same call again) is counted and reads nothing: still one code.
    await client.post(f"/api/webhook/{webhook_id}", json=call)
    freezer.tick(11)  # past the debounce
    await client.post(f"/api/webhook/{webhook_id}", json=call)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (source.pushes.replayed, len(demo.smoobu.requests)) == (2, requests)
    assert len(nina_codes(demo)) == 1
    assert [str(parse_tag(c.description)) for c in nina_codes(demo)] == [f"smoobu:{booking}"]

    # Cancelled in Smoobu: the call brings the removal too.
    demo.smoobu.cancel_booking(booking)
    freezer.tick(11)
    await client.post(f"/api/webhook/{webhook_id}", json={**call, "action": "cancelReservation"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert nina_codes(demo) == []
    # The URL's secret is never logged by us (Home Assistant's webhook component logs the
    # path of each call at debug level, as it does for every integration's webhooks).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert ours
    assert not [line for line in ours if webhook_id in line]


async def test_the_simulated_smoobu_pushes_over_http_like_smoobu(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The simulator's push, as scripts/develop uses it: a real POST to the webhook."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    client = await hass_client_no_auth()
    demo.smoobu.webhook_url = str(client.make_url(f"/api/webhook/{subentry.data['webhook_id']}"))

    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    await demo.smoobu.push("newReservation", booking)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert demo.smoobu.webhook_answers == [200]
    assert len(nina_codes(demo)) == 1
