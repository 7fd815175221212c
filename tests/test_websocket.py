"""The Guests card's backend: its websocket commands, cloud outages and their repair, the card."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MockHAClientWebSocket,
    WebSocketGenerator,
)

from custom_components.lockbridge.card import CARD_FILE, CARD_URL, FOLDER, async_register_card
from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.conftest import _contacts
from tests.demo_stack import DAY, NOW, Demo, set_up, the_state

PROBLEM = "binary_sensor.lockbridge_sync_problem"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    """Let `minutes` pass, firing what falls due."""
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def ask(client: MockHAClientWebSocket, command: str, **data: Any) -> dict[str, Any]:
    """One websocket command; its whole answer message."""
    await client.send_json_auto_id({"type": f"{DOMAIN}/{command}", **data})
    answer: dict[str, Any] = await client.receive_json()
    return answer


async def guests(client: MockHAClientWebSocket, **data: Any) -> dict[str, Any]:
    """The one account's part of `lockbridge/guests`."""
    answer = await ask(client, "guests", **data)
    assert answer["success"], answer
    (entry,) = answer["result"]["entries"]
    return dict(entry)


def leaves(value: object) -> list[object]:
    """Every scalar in a JSON answer."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def keys_of(value: object) -> set[str]:
    """Every key of every object in a JSON answer."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_of(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_of(item)}
    return set()


def our_pins(demo: Demo) -> dict[str, str]:
    """Booking -> PIN of every code of ours on the simulated keypads."""
    return {str(key): c.code for c in demo.thekeys.codes() if (key := parse_tag(c.description))}


def local(moment: datetime) -> str:
    return dt_util.as_local(moment).isoformat()


async def test_a_non_admin_reads_every_stay_but_no_pin_phone_or_email(
    hass: HomeAssistant,
    demo: Demo,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    hass_access_token: str,
) -> None:
    # Old Town Flat: Amélie in five days, then two more guests.
    second = demo.smoobu.add_booking(
        103, DAY + timedelta(days=8), DAY + timedelta(days=10), "Jan Novak",
        email="jan.novak.2291@example.cz", phone="+420 601 234 567",
    )  # fmt: skip
    third = demo.smoobu.add_booking(
        103, DAY + timedelta(days=16), DAY + timedelta(days=19), "Mia Rossi",
        email="mia.rossi.8812@example.it", phone="+39 312 345 6789",
    )  # fmt: skip
    await set_up(hass, demo.entry())
    pins = our_pins(demo)
    contacts = [c for sim in (demo.smoobu, demo.hotelrunner) for c in _contacts(
        getattr(sim, "bookings", None) or getattr(sim, "reservations", None)
    )]  # fmt: skip
    assert len(pins) >= 9
    assert len(contacts) >= 10

    client = await hass_ws_client(hass, hass_read_only_access_token)
    answer = await ask(client, "guests", days=30)
    assert answer["success"], answer
    text = json.dumps(answer)

    values = leaves(answer)
    assert not set(pins.values()) & {str(value) for value in values}  # 0 PINs
    assert "pin" not in keys_of(answer)
    assert [contact for contact in contacts if contact in text] == []  # 0 phones, 0 e-mails
    (entry,) = answer["result"]["entries"]
    units = {unit["name"]: unit for unit in entry["units"]}
    flat = units["Old Town Flat"]
    assert [stay["guest"] for stay in flat["stays"]] == ["Amélie Laurent", "Jan Novak", "Mia Rossi"]
    assert [stay["booking_id"] for stay in flat["stays"]][1:] == [
        f"smoobu:{second}",
        f"smoobu:{third}",
    ]
    assert flat["calendar"] == "calendar.old_town_flat"
    assert (flat["source"], flat["can_message"]) == ("smoobu", True)
    loft = units["Seaside Loft"]
    lars, zoe = loft["stays"]
    assert (lars["guest"], lars["departing_today"], lars["arriving_today"]) == (
        "Lars Johansson", True, False,
    )  # fmt: skip
    assert (zoe["guest"], zoe["arriving_today"], zoe["code_state"]) == (
        "Zoë Müller", True, "scheduled",
    )  # fmt: skip
    assert zoe["lock_entity"].startswith("lock.")
    assert zoe["code_id"] is not None
    garden = units["Garden Studio"]["stays"][0]
    assert (garden["guest"], garden["in_house"], garden["code_state"]) == (
        "Hiroshi Tanaka", True, "active",
    )  # fmt: skip
    assert units["Standard Room"]["can_message"] is False
    assert [cloud["ok"] for cloud in entry["clouds"]] == [True, True, True]

    # The PINs: refused to the non-admin, given to the admin, as on the keypads.
    refused = await ask(client, "pins")
    assert (refused["success"], refused["error"]["code"]) == (False, "unauthorized")
    admin = await hass_ws_client(hass, hass_access_token)
    given = await ask(admin, "pins")
    assert given["success"], given
    assert given["result"]["pins"] == pins
    some = await ask(admin, "pins", booking_ids=[f"smoobu:{third}"])
    assert some["result"]["pins"] == {f"smoobu:{third}": pins[f"smoobu:{third}"]}


async def test_guests_lists_the_days_asked_for(
    hass: HomeAssistant, demo: Demo, hass_ws_client: WebSocketGenerator
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    client = await hass_ws_client(hass)

    def names(entry: dict[str, Any]) -> list[str]:
        return sorted(stay["guest"] for unit in entry["units"] for stay in unit["stays"])

    # Today's departure, who is in, today's arrival; Amélie (in five days) from days=6 on.
    assert names(await guests(client, days=1)) == ["Hiroshi Tanaka", "Lars Johansson", "Zoë Müller"]
    assert "Amélie Laurent" in names(await guests(client, days=6))
    assert "Carlos García" in names(await guests(client, days=500))  # bounded to 90, not refused
    unknown = await ask(client, "guests", entry_id="nope")
    assert (unknown["success"], unknown["error"]["code"]) == (False, "not_found")
