"""Smoobu's push: its webhook makes the source read its changes now; forgeries change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.sources import push as webhooks
from custom_components.lockbridge.sources.hotelrunner import (
    CONF_INTERVAL as CONF_HOTELRUNNER_INTERVAL,
)
from custom_components.lockbridge.sources.smoobu import CONF_INTERVAL as CONF_SMOOBU_INTERVAL
from tests.demo_stack import Demo, set_up
from tests.test_sources import tick


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


def guest_codes(demo: Demo, lock_id: int, guest: str) -> list[Any]:
    return [c for c in demo.thekeys.codes(lock_id) if c.name.endswith(guest)]


async def test_a_hotelrunner_push_brings_the_change_without_a_request(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Made, moved, cancelled: each push is applied at once, none spends the 250 a day."""
    caplog.set_level(logging.DEBUG)
    entry = await set_up(hass, demo.entry(smoobu=False))
    [subentry] = entry.subentries.values()
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    client = await hass_client_no_auth()
    hotel = demo.hotelrunner
    hotel.push_url = str(client.make_url(f"/api/webhook/{subentry.data['webhook_id']}"))
    requests = len(hotel.requests)
    stay = (date(2026, 11, 25), date(2026, 11, 27))

    number = hotel.add_reservation("Nina Petrova", [("HR:1", *stay)])
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    [code] = guest_codes(demo, 3704, "Nina Petrova")
    assert code.start == stay[0]

    freezer.tick(60)
    hotel.modify_reservation(number, stays=[("HR:1", stay[0] + timedelta(days=1), stay[1])])
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    [code] = guest_codes(demo, 3704, "Nina Petrova")
    assert code.start == stay[0] + timedelta(days=1)

    freezer.tick(60)
    hotel.cancel_reservation(number)
    await hotel.push(number)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert guest_codes(demo, 3704, "Nina Petrova") == []

    assert hotel.push_answers == [200, 200, 200]
    assert len(hotel.requests) == requests  # nothing of the day's budget
    assert source.pushes.accepted == 3
    # While pushes arrive, the poll is the safety net only: hourly...
    assert source.update_interval == timedelta(hours=1)
    # ...until they stop: then as often as the budget and the options allow again.
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(hotel.requests) > requests
    assert source.update_interval == timedelta(minutes=10)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    for secret in (hotel.token, hotel.hr_id, subentry.data["webhook_id"]):
        assert not [line for line in ours if secret in line]


async def test_forged_hotelrunner_pushes_change_nothing_and_are_counted(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = await set_up(hass, demo.entry(smoobu=False))
    [subentry] = entry.subentries.values()
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    client = await hass_client_no_auth()
    hotel = demo.hotelrunner
    path = f"/api/webhook/{subentry.data['webhook_id']}"
    number = hotel.add_reservation(
        "Nina Petrova", [("HR:1", date(2026, 11, 25), date(2026, 11, 27))]
    )
    listed = hotel.reservations[number]
    before = [(c.id, c.code, c.start) for c in demo.thekeys.codes()]
    good = {"token": hotel.token, "hr_id": hotel.hr_id}

    def form(payload: Any) -> dict[str, str]:
        return {"data": payload if isinstance(payload, str) else json.dumps(payload)}

    for query, body, status in (
        ({**good, "token": "guess"}, form({"reservations": [listed]}), 403),
        ({**good, "hr_id": "1"}, form({"reservations": [listed]}), 403),
        ({}, form({"reservations": [listed]}), 403),
        (good, form("{not json"), 400),
        (good, {"other": "field"}, 400),
        (good, form({"rates": []}), 400),
        (good, form(["R1"]), 400),
        (good, "data=" + "x" * (10 * 1024 * 1024), 413),  # 10 MB
    ):
        answer = await client.post(path, params=query, data=body)
        assert answer.status == status
    assert [(c.id, c.code, c.start) for c in demo.thekeys.codes()] == before
    assert source.pushes.as_dict()["refused"] == 8

    # The genuine call, in the older single-reservation shape (with a "reason").
    answer = await client.post(path, params=good, data=form({**listed, "reason": "confirm"}))
    assert (answer.status, await answer.json()) == (200, {"status": "ok"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(guest_codes(demo, 3704, "Nina Petrova")) == 1

    # Replayed, or an older copy after a newer one: nothing changes.
    old = dict(listed)
    freezer.tick(60)
    hotel.modify_reservation(number, stays=[("HR:1", date(2026, 11, 26), date(2026, 11, 27))])
    await client.post(path, params=good, data=form({**listed, "reason": "confirm"}))  # replay
    answer = await client.post(path, params=good, data=form({"reservations": [listed]}))  # news
    await client.post(path, params=good, data=form({"reservations": [old]}))  # late, older
    await hass.async_block_till_done(wait_background_tasks=True)
    [code] = guest_codes(demo, 3704, "Nina Petrova")
    assert code.start == date(2026, 11, 26)
    counts = source.pushes.as_dict()
    assert (counts["accepted"], counts["replayed"], counts["refused"]) == (2, 2, 8)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    [pushes] = [s["pushes"] for s in diagnostics["sources"]]
    assert pushes["replayed"] == 2
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    for secret in (hotel.token, hotel.hr_id, subentry.data["webhook_id"]):
        assert not [line for line in ours if secret in line]


async def test_a_day_of_pushes_queue_and_polls_stays_within_the_budget(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushes every half hour, the delivery queue and the polls: never past 250 a day.

    The queue also brings a change to a reservation made 40 days ago, which no listing
    shows any more, and every change read is confirmed.
    """
    hotel = demo.hotelrunner
    old = hotel.add_reservation(
        "Old Booker",
        [("HR:2", date(2026, 12, 20), date(2026, 12, 23))],
        completed_at=datetime(2026, 10, 14, 9, tzinfo=UTC),
    )
    entry = await set_up(
        hass,
        demo.entry(
            smoobu=False,
            options={CONF_HOTELRUNNER_INTERVAL: 6},
            hotelrunner_data={"delivery_queue": True},
        ),
    )
    [subentry] = entry.subentries.values()
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    client = await hass_client_no_auth()
    hotel.push_url = str(client.make_url(f"/api/webhook/{subentry.data['webhook_id']}"))
    start = len(hotel.requests)
    assert guest_codes(demo, 3705, "Old Booker") == []  # not in the 30-day listing

    made: list[str] = []
    for step in range(24 * 30):  # a day in 2-minute steps
        if step % 15 == 0:  # a change every half hour, pushed
            stay = date(2026, 11, 26) + timedelta(days=step // 15)  # one night each
            number = hotel.add_reservation(
                f"Guest {step}", [("HR:1", stay, stay + timedelta(days=1))]
            )
            made.append(number)
            await hotel.push(number)
        if step == 300:  # the old reservation moves: HotelRunner pushes nothing (lost)
            hotel.modify_reservation(old, stays=[("HR:2", date(2026, 12, 21), date(2026, 12, 23))])
        await tick(hass, freezer, 2)

    sent = [request.time for request in hotel.requests[start:]]
    assert hotel.quota_rejections == 0
    assert all(sent[i + 5] - sent[i] >= 60 for i in range(len(sent) - 5))
    assert len(sent) <= 250 - 50  # and 50 kept for "Sync now" and the actions
    assert hotel.push_answers == [200] * len(made)
    # The queue brought the old reservation and its move, and everything read is confirmed.
    [code] = guest_codes(demo, 3705, "Old Booker")
    assert code.start == date(2026, 12, 21)
    # (those of the last hour wait for the next poll)
    assert all(hotel.is_delivered(number) for number in (old, *made[:-2]))
    assert [r for r in hotel.requests[start:] if r.method == "PUT"]
    assert source.queue


async def test_a_property_without_delivery_confirmation_falls_back_to_listing(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    demo.hotelrunner.confirmations_enabled = False
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner_data={"delivery_queue": True}))
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    await tick(hass, freezer, 15)  # the first poll after the full read reads the queue

    assert not source.queue
    [issue] = [
        i
        for i in ir.async_get(hass).issues.values()
        if i.domain == DOMAIN and i.translation_key != "battery_low"  # the demo's 6 % lock
    ]
    assert issue.translation_key == "hotelrunner_queue"
    demo.hotelrunner.clear_log()
    await tick(hass, freezer, 15)
    [read] = [r.query for r in demo.hotelrunner.requests]
    assert read["undelivered"] == "false"
    assert "from_last_update_date" in read


async def test_the_cloud_address_of_a_webhook_never_reaches_diagnostics(
    hass: HomeAssistant, demo: Demo, hass_client: ClientSessionGenerator
) -> None:
    webhook_id = "c0ffee" * 10 + "beef"
    cloudhook = "https://hooks.nabu.casa/gAAAAABnQ3l0dWRob29rLXNlY3JldC10b2tlbg"
    entry = await set_up(
        hass,
        demo.entry(
            hotelrunner=False,
            smoobu_data={"webhook_id": webhook_id, "cloudhook_url": cloudhook},
        ),
    )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    assert cloudhook not in text
    assert "gAAAAABnQ3l0dWRob29rLXNlY3JldC10b2tlbg" not in text
    assert webhook_id not in text
    [subentry] = diagnostics["subentries"]
    assert subentry["data"]["cloudhook_url"] == "**REDACTED**"


async def test_a_get_or_head_to_a_webhook_logs_no_id_and_changes_nothing(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A browser, a link preview or a scanner probing the address: nothing to see."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}))
    client = await hass_client_no_auth()
    ids = [s.data["webhook_id"] for s in entry.subentries.values()]
    assert len(ids) == 2
    sources = list(entry.runtime_data.coordinator.sources.values())
    before = ([s.pushes.as_dict() for s in sources], [c.id for c in demo.thekeys.codes()])
    requests = (len(demo.smoobu.requests), len(demo.hotelrunner.requests))
    caplog.clear()
    caplog.set_level(logging.INFO)  # Home Assistant's warning is a warning; its path log debug

    for webhook_id in ids:
        for method in ("GET", "HEAD"):
            answer = await client.request(method, f"/api/webhook/{webhook_id}")
            assert (answer.status, await answer.read()) == (200, b"")
    await hass.async_block_till_done(wait_background_tasks=True)

    # (aiohttp's access log of the test server is left out: Home Assistant silences it.)
    logged = [r for r in caplog.records if r.name != "aiohttp.access"]
    assert not [r for r in logged for i in ids if i in r.getMessage()]
    assert not [r for r in logged if r.levelno >= logging.WARNING]
    after = ([s.pushes.as_dict() for s in sources], [c.id for c in demo.thekeys.codes()])
    assert after == before
    assert (len(demo.smoobu.requests), len(demo.hotelrunner.requests)) == requests


async def test_a_body_sent_too_slowly_is_cut_off_and_nothing_applied(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A slow-loris sender trickling a genuine call's bytes gets 408, and no read follows."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 60}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    client = await hass_client_no_auth()
    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    call = json.dumps(
        {"action": "newReservation", "user": demo.smoobu.user_id, "data": {"id": booking}}
    ).encode()
    requests = len(demo.smoobu.requests)
    sent: list[int] = []

    async def trickle() -> AsyncIterator[bytes]:
        for byte in call:  # a byte a second (on the test's clock, which only moves here)
            sent.append(byte)
            yield bytes([byte])
            freezer.tick(1)
            await asyncio.sleep(0)

    answer = await client.post(f"/api/webhook/{subentry.data['webhook_id']}", data=trickle())
    assert answer.status == 408
    assert webhooks.BODY_DEADLINE < len(sent) < len(call)  # cut off, not waited for
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(demo.smoobu.requests) == requests
    assert nina_codes(demo) == []
    assert (source.pushes.refused, source.pushes.accepted) == (1, 0)

    # The same call sent at once is read.
    answer = await client.post(f"/api/webhook/{subentry.data['webhook_id']}", data=call)
    assert answer.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(nina_codes(demo)) == 1


async def test_forged_smoobu_calls_do_not_slow_polling(
    hass: HomeAssistant,
    demo: Demo,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only a call that names the account and whose booking the read finds counts as a push."""
    entry = await set_up(hass, demo.entry(options={CONF_SMOOBU_INTERVAL: 5}, hotelrunner=False))
    [subentry] = entry.subentries.values()
    source = next(iter(entry.runtime_data.coordinator.sources.values()))
    client = await hass_client_no_auth()
    path = f"/api/webhook/{subentry.data['webhook_id']}"
    known = next(iter(demo.smoobu.bookings))
    normal = timedelta(minutes=5)
    assert source.update_interval == normal

    forged: list[dict[str, Any]] = [
        {"action": "updateReservation", "data": {"id": known}},  # no user
        {"action": "newReservation", "data": {"id": 424242}},  # no user, unknown booking
        {"action": "newReservation", "user": demo.smoobu.user_id, "data": {"id": 424243}},
        {"action": "updateReservation", "user": demo.smoobu.user_id, "data": {"id": "x1"}},
        {"action": "updateReservation", "user": demo.smoobu.user_id, "data": {}},
        {"action": "cancelReservation", "user": demo.smoobu.user_id},
    ]
    for round_ in range(5):
        for call in forged:
            answer = await client.post(path, json={**call, "round": round_})  # no replays
            assert answer.status == 200
            freezer.tick(2)  # past the debounce: each call brings its read
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)
            assert source.update_interval == normal
    assert source.pushes.accepted == 0
    assert source.pushes.last_accepted is None

    # The genuine call: the account's user, a booking the read finds changed.
    booking = demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    call = {"action": "newReservation", "user": demo.smoobu.user_id, "data": {"id": booking}}
    assert (await client.post(path, json=call)).status == 200
    freezer.tick(11)  # the sync that follows the read is debounced
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(nina_codes(demo)) == 1
    assert source.pushes.accepted == 1
    assert source.update_interval == timedelta(hours=1)
