"""What a non-admin user reads: every state and every calendar, yet no PIN and no contact.

Home Assistant has no per-entity read permission: whatever a state holds, the family tablet,
the cleaner's login and any token a non-admin made read it. PINs go to admins only.
"""

from __future__ import annotations

from datetime import timedelta
import json
import re
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.conftest import _contacts
from tests.demo_stack import NOW, Demo, set_up

#: Option sets that change which PINs are chosen or how long they are.
OPTIONS = [
    {},
    {"pin_method": "phone"},  # a PIN made of the guest's phone digits
    {"pin_method": "phone", "pin_length": 8},
    {"pin_length": 6, "buffer_before": 60, "name_prefix": "Guest"},
]


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def contacts(demo: Demo) -> set[str]:
    """Every guest phone and e-mail the booking simulators hold, in the forms a text shows."""
    found: set[str] = set()
    for value in _contacts([demo.smoobu.bookings, demo.hotelrunner.reservations]):
        found.add(value.lower())
        if digits := re.sub(r"\D", "", value) if "@" not in value else "":
            found.update({digits, f"+{digits}"})
    assert len(found) > 20  # the demo's guests do have contacts
    return found


async def every_pin(hass: HomeAssistant, demo: Demo) -> set[str]:
    """The PINs on every keypad, and every PIN the admin-only `get_stays` gives."""
    pins = {code.code for code in demo.thekeys.codes()}
    stays = await hass.services.async_call(
        DOMAIN, "get_stays", {}, blocking=True, return_response=True
    )
    assert isinstance(stays, dict)
    assert isinstance(stays["stays"], list)
    pins.update(
        str(stay["pin"]) for stay in stays["stays"] if isinstance(stay, dict) and stay["pin"]
    )
    for entry in hass.config_entries.async_entries(DOMAIN):
        pins.update(entry.runtime_data.coordinator.journal.pins.values())  # pending creates
    return pins


def without_contexts(value: Any) -> Any:
    """Home Assistant's context ids (random ULIDs) left out: not ours, and digits by chance."""
    if isinstance(value, dict):
        return {k: without_contexts(v) for k, v in value.items() if k != "context"}
    if isinstance(value, list):
        return [without_contexts(item) for item in value]
    return value


def assert_nothing_private(answer: Any, pins: set[str], private: set[str]) -> None:
    """No PIN as a run of digits anywhere, no phone or e-mail in any case."""
    text = json.dumps(without_contexts(answer), ensure_ascii=False)
    runs = set(re.findall(r"\d+", text))
    assert not runs & pins, "a PIN is readable by a non-admin user"
    lowered = text.lower()
    assert not [item for item in private if item in lowered], "a guest contact is readable"


async def read_as(
    hass: HomeAssistant,
    token: str,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> list[Any]:
    """Every state (websocket) and every calendar's events (websocket and REST) as `token`."""
    ws = await hass_ws_client(hass, access_token=token)
    await ws.send_json_auto_id({"type": "get_states"})
    states = await ws.receive_json()
    assert states["success"], states
    answers: list[Any] = [states["result"]]
    calendars = [s["entity_id"] for s in states["result"] if s["entity_id"].startswith("calendar.")]
    assert len(calendars) == 5
    start, end = NOW - timedelta(days=30), NOW + timedelta(days=90)
    client = await hass_client(token)
    for entity_id in calendars:
        response = await client.get(
            f"/api/calendars/{entity_id}",
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
        assert response.status == 200
        events = await response.json()
        assert isinstance(events, list)
        answers.append(events)
        await ws.send_json_auto_id(
            {
                "type": "calendar/event/subscribe",
                "entity_id": entity_id,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        )
        result = await ws.receive_json()
        assert result["success"], result
        pushed = await ws.receive_json()  # the events, at once
        assert isinstance(pushed["event"]["events"], list), pushed
        answers.append(pushed)
    assert sum(len(answer) for answer in answers[1::2]) >= 9  # the stays are all there
    return answers


@pytest.mark.parametrize("options", OPTIONS)
async def test_a_non_admin_reads_no_pin_and_no_contact(
    hass: HomeAssistant,
    demo: Demo,
    steady_pins: None,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
    hass_read_only_access_token: str,
    options: dict[str, Any],
) -> None:
    await set_up(hass, demo.entry(options=options))
    pins = await every_pin(hass, demo)
    assert len(pins) >= 11  # 9 guests' codes, the cleaner's and the owner's emergency code

    answers = await read_as(hass, hass_read_only_access_token, hass_ws_client, hass_client)

    assert_nothing_private(answers, pins, contacts(demo))


async def no_wait(_: float) -> None:
    """Retry backoff without waiting (the clock is frozen)."""


@pytest.mark.usefixtures("every_entity_enabled")
async def test_codes_not_yet_on_the_keypads_show_no_pin_either(
    hass: HomeAssistant,
    demo: Demo,
    steady_pins: None,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
    hass_read_only_access_token: str,
) -> None:
    """Every code gone and every create refused: the guests' PINs wait in the journal."""
    entry = await set_up(hass, demo.entry())
    pins = await every_pin(hass, demo)
    for code in demo.thekeys.codes():
        if parse_tag(code.description) is not None:
            demo.thekeys.remove_code(code.id)
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 10_000, "/partage/create/"
    coordinator = entry.runtime_data.coordinator
    coordinator.sleep = no_wait
    await hass.services.async_call(
        DOMAIN, "sync", {"config_entry_id": entry.entry_id}, blocking=True
    )
    assert len(coordinator.journal.pins) == 9  # each stay's PIN, waiting to be sent again
    pins |= await every_pin(hass, demo)

    answers = await read_as(hass, hass_read_only_access_token, hass_ws_client, hass_client)

    assert_nothing_private(answers, pins, contacts(demo))
    states = {s["entity_id"]: s["state"] for s in answers[0]}
    assert states["sensor.seaside_loft_access_code"] == "failed"
    assert states["sensor.seaside_loft_upcoming_access_code"] == "failed"
