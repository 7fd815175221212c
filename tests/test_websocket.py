"""The Guests card's backend: its websocket commands, cloud outages and their repair, the card."""

from __future__ import annotations

from datetime import datetime, timedelta
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
    every_pin = {c.code for c in demo.thekeys.codes()}  # ours and the host's own
    assert not every_pin & {str(value) for value in values}  # 0 PINs
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


#: Each cloud: the simulator to break, its entry in `clouds`, and the name the card shows.
CLOUDS = [
    ("thekeys", "thekeys", "The Keys"),
    ("smoobu", "smoobu", "Smoobu Demo Host"),
    ("hotelrunner", "hotelrunner", "HotelRunner"),
]


def cloud(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [item for item in entry["clouds"] if item["kind"] == kind]
    return dict(found)


@pytest.mark.parametrize(("simulator", "kind", "name"), CLOUDS)
async def test_an_outage_shows_from_the_first_failed_read_and_clears(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    simulator: str,
    kind: str,
    name: str,
) -> None:
    await set_up(hass, demo.entry())
    client = await hass_ws_client(hass, hass_read_only_access_token)
    before = await guests(client)
    assert cloud(before, kind) == {
        "kind": kind, "name": name, "ok": True, "as_of": local(NOW), "failing_since": None,
    }  # fmt: skip
    getattr(demo, simulator).faults.fail_next = 10_000

    for _ in range(30):  # a minute at a time, until the cloud's next read fails
        await tick(hass, freezer, 1)
        if not cloud(entry := await guests(client), kind)["ok"]:
            break
    first_failure = local(dt_util.utcnow())
    assert cloud(entry, kind) == {
        "kind": kind, "name": name, "ok": False, "as_of": local(NOW),
        "failing_since": first_failure,
    }  # fmt: skip
    assert (
        f"{name}: unreadable since {dt_util.as_local(dt_util.utcnow()):%H:%M}"
        in (entry["problems"])
    )
    assert the_state(hass, PROBLEM).state == "off"  # the sensor waits for failures in a row
    others = [item for item in entry["clouds"] if item["kind"] != kind]
    assert all(item["ok"] for item in others)

    await tick(hass, freezer, 12)  # more failed reads: the outage still began at the first
    entry = await guests(client)
    assert cloud(entry, kind)["failing_since"] == first_failure
    assert cloud(entry, kind)["as_of"] == local(NOW)

    getattr(demo, simulator).faults.fail_next = 0
    for _ in range(30):
        await tick(hass, freezer, 1)
        if cloud(entry := await guests(client), kind)["ok"]:
            break
    assert cloud(entry, kind) == {
        "kind": kind, "name": name, "ok": True, "as_of": local(dt_util.utcnow()),
        "failing_since": None,
    }  # fmt: skip
    assert entry["problems"] == before["problems"]


def outage_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "cloud_unreadable"
    }


@pytest.mark.parametrize(("simulator", "kind", "name"), CLOUDS)
async def test_a_repair_after_half_an_hour_unreadable_with_a_guest_due(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    simulator: str,
    kind: str,
    name: str,
) -> None:
    # Zoë checks in at 15:00 (Smoobu), Ayşe today too (HotelRunner): guests are due for each.
    await set_up(hass, demo.entry())
    getattr(demo, simulator).faults.fail_next = 10_000
    while (source := _clock(hass, kind)).failing_since is None:
        await tick(hass, freezer, 1)
    since = source.failing_since

    await tick(hass, freezer, 25)
    assert outage_issues(hass) == {}  # not yet: 25 minutes
    await tick(hass, freezer, 6)

    (issue,) = outage_issues(hass).values()
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "cloud": name,
        "since": f"{dt_util.as_local(since):%Y-%m-%d %H:%M}",
    }

    getattr(demo, simulator).faults.fail_next = 0
    while not _clock(hass, kind).last_update_success:
        await tick(hass, freezer, 1)
    assert outage_issues(hass) == {}


def _clock(hass: HomeAssistant, kind: str) -> Any:
    """The coordinator reading a cloud."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    coordinator = entry.runtime_data.coordinator
    if kind == "thekeys":
        return coordinator
    (source,) = [s for s in coordinator.sources.values() if s.subentry.subentry_type == kind]
    return source


async def test_no_repair_for_an_outage_while_no_guest_is_due(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    # Tomorrow at 10:00: nobody checks in before Olivia, two days later.
    freezer.move_to(NOW + timedelta(days=1))
    await set_up(hass, demo.entry())
    demo.thekeys.faults.fail_next = 10_000

    for _ in range(8):
        await tick(hass, freezer, 5.1)

    assert _clock(hass, "thekeys").failing_since is not None
    assert dt_util.utcnow() - _clock(hass, "thekeys").failing_since > timedelta(minutes=30)
    assert outage_issues(hass) == {}


async def test_the_card_is_served_and_loaded_by_the_frontend(
    hass: HomeAssistant, demo: Demo, hass_client_no_auth: ClientSessionGenerator
) -> None:
    pytest.importorskip("hass_frontend")  # the frontend package (not on the minimum test leg)
    from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL  # noqa: PLC0415

    assert await async_setup_component(hass, "frontend", {})
    await set_up(hass, demo.entry())
    client = await hass_client_no_auth()

    response = await client.get(CARD_URL)

    assert response.status == 200
    assert response.content_type in ("text/javascript", "application/javascript")
    assert await response.read() == (FOLDER / CARD_FILE).read_bytes()
    ours = [url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if url.startswith(CARD_URL)]
    assert len(ours) == 1
    assert ours[0].startswith(f"{CARD_URL}?v=0.1.0-")
    await async_register_card(hass)  # again (as a reload might): nothing registered twice
    assert [
        url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if url.startswith(CARD_URL)
    ] == ours


async def test_guests_tells_who_is_in_who_is_late_and_each_units_housekeeping(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """What the card shows: check-ins (how and when), late guests, each unit's day and state."""
    await set_up(hass, demo.entry())
    client = await hass_ws_client(hass, hass_read_only_access_token)

    def by_name(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {unit["name"]: unit for unit in entry["units"]}

    def stay_of(unit: dict[str, Any], guest: str) -> dict[str, Any]:
        (found,) = [stay for stay in unit["stays"] if stay["guest"] == guest]
        return dict(found)

    units = by_name(await guests(client))
    loft = units["Seaside Loft"]
    zoe = stay_of(loft, "Zoë Müller")
    assert (zoe["checked_in"], zoe["checked_in_how"], zoe["late"]) == (None, None, False)
    assert (loft["day"], loft["housekeeping"]) == ("in_house", "ready")  # Lars leaves at noon
    assert loft["housekeeping_entity"] == "select.seaside_loft_housekeeping"
    assert {unit["housekeeping"] for unit in units.values()} == {"ready"}
    assert all(unit["housekeeping_entity"].startswith("select.") for unit in units.values())
    assert all(isinstance(stay["late"], bool) for unit in units.values() for stay in unit["stays"])

    # 15:05: Zoë is due; marked in by the host (the action is for administrators).
    freezer.move_to(NOW + timedelta(hours=5, minutes=5))
    await tick(hass, freezer, 1)
    loft = by_name(await guests(client))["Seaside Loft"]
    assert (loft["day"], loft["housekeeping"]) == ("arriving", "dirty")  # Lars has left
    assert stay_of(loft, "Zoë Müller")["checked_in"] is None
    answer = await hass.services.async_call(
        DOMAIN,
        "mark_checked_in",
        {"unit": "calendar.seaside_loft"},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.seaside_loft_housekeeping", "option": "cleaning"},
        blocking=True,
    )
    units = by_name(await guests(client))
    loft = units["Seaside Loft"]
    zoe = stay_of(loft, "Zoë Müller")
    assert (zoe["checked_in"], zoe["checked_in_how"], zoe["late"]) == (
        answer["time"], "manual", False,
    )  # fmt: skip
    assert datetime.fromisoformat(zoe["checked_in"]) == dt_util.utcnow()
    assert (loft["day"], loft["housekeeping"]) == ("in_house", "cleaning")

    # 18:05: Ayşe (Standard Room, check-in 15:00, three hours' delay) not seen: late.
    freezer.move_to(NOW + timedelta(hours=8, minutes=5))
    await tick(hass, freezer, 1)
    units = by_name(await guests(client))
    ayse = units["Standard Room"]["stays"][0]
    assert (ayse["checked_in"], ayse["late"]) == (None, True)
    assert units["Standard Room"]["day"] == "arriving"
    assert stay_of(units["Seaside Loft"], "Zoë Müller")["late"] is False  # in, so never late
