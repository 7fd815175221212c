"""LockBridge's tools for Home Assistant's assistants, called through Home Assistant's LLM API
on the demo simulators: what they answer (the entities' own values, never a PIN or a
contact), what they change (the keypads, for an administrator only), and Home Assistant's
own checks of their names, tags and parameters."""

from __future__ import annotations

from datetime import date
import json
import logging
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.lockbridge.assistant import READ_TOOLS, WRITE_TOOLS
from custom_components.lockbridge.assistant.api import LockBridgeAPI, has_platform
from custom_components.lockbridge.assistant.base import ADMIN_ONLY
from custom_components.lockbridge.assistant.read import LocksTool
from custom_components.lockbridge.assistant.write import GrantAccessTool
from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.llm import ADMIN_API
from tests.conftest import assert_no_secret, issued_secrets
from tests.demo_stack import Demo, set_up, the_state
from tests.fakes.thekeys import SimCode
from tests.test_staff import SEASIDE_LOCK, marie, staff_codes, with_staff
from tests.test_staff_doors import two_doors

READ_NAMES = {tool.name for tool in READ_TOOLS}
#: Dates and moments as the answers write them (2026-11-23, 2026-11-23T15:00:00+01:00).
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?")
WRITE_NAMES = {tool.name for tool in WRITE_TOOLS}
#: Where the write tools are: Home Assistant's admin-only API (2026.11+), else Assist.
WRITE_API = ADMIN_API or llm.LLM_API_ASSIST


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


@pytest.fixture
async def house(hass: HomeAssistant, demo: Demo) -> Demo:
    """The demo, with Marie the cleaner, and Home Assistant's LLM integration."""
    await set_up(hass, with_staff(demo, marie()))
    await assistants(hass)
    return demo


async def assistants(hass: HomeAssistant, *, exposed: bool = True) -> None:
    """Home Assistant's LLM integration; the units' calendars (and Sync problem) exposed to
    Assist, as a host does in Settings > Voice assistants (none is by default)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "llm", {})
    if not exposed:
        return
    for entity in er.async_get(hass).entities.values():
        if entity.platform == DOMAIN and (
            entity.domain == "calendar" or entity.unique_id.endswith("_sync_problem")
        ):
            async_expose_entity(hass, "conversation", entity.entity_id, True)


def context(user: MockUser | None) -> llm.LLMContext:
    return llm.LLMContext(
        platform="test",
        context=Context(user_id=user.id if user else None),
        language="en",
        assistant="conversation",
        device_id=None,
    )


async def tools_of(hass: HomeAssistant, api_id: str, user: MockUser | None) -> llm.APIInstance:
    return await llm.async_get_api(hass, api_id, context(user))


async def ask(
    hass: HomeAssistant, user: MockUser | None, tool: str, api_id: str | None = None, **args: Any
) -> dict[str, Any]:
    """One tool call through Home Assistant's API, as a conversation agent makes it."""
    api_id = api_id or (WRITE_API if tool in WRITE_NAMES else llm.LLM_API_ASSIST)
    instance = await tools_of(hass, api_id, user)
    answer = await instance.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))
    data = getattr(answer, "data", answer)  # a ToolResult (2026.9+), a dict on 2026.8
    assert isinstance(data, dict)
    await hass.async_block_till_done()
    return data


def codes_of(demo: Demo, booking_id: str) -> list[SimCode]:
    """A booking's codes on the Seaside Loft's keypad, by their tag."""
    return [
        code
        for code in demo.thekeys.codes(SEASIDE_LOCK)
        if (key := parse_tag(code.description)) is not None and str(key) == booking_id
    ]


def openapi(tool: llm.Tool) -> dict[str, Any]:
    """The tool's parameters as Home Assistant's conversation agents send them to a model."""
    try:
        import probatio  # noqa: PLC0415  # 2026.9+

        return dict(probatio.to_openapi(tool.parameters, custom_serializer=llm.selector_serializer))
    except ImportError:  # 2026.8
        from voluptuous_openapi import (  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
            convert,
        )

        return dict(convert(tool.parameters, custom_serializer=llm.selector_serializer))


async def test_tools_pass_home_assistants_checks(
    hass: HomeAssistant,
    house: Demo,
    hass_admin_user: MockUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    assert await has_platform(hass)  # every version we support gathers tools by llm.py
    assist = await tools_of(hass, llm.LLM_API_ASSIST, hass_admin_user)
    ours = [tool for tool in assist.tools if tool.name.startswith("lockbridge")]
    if ADMIN_API:
        # Reads join Assist; writes only the administrators' own API.
        assert {tool.name for tool in ours} == READ_NAMES
        admin = await tools_of(hass, ADMIN_API, hass_admin_user)
        ours += [tool for tool in admin.tools if tool.name in WRITE_NAMES]
    assert {tool.name for tool in ours} == READ_NAMES | WRITE_NAMES
    for tool in ours:
        assert tool.name.startswith(f"{DOMAIN}__")
        assert tool.integration == DOMAIN
        assert tool.description
        assert len(tool.description) < 1024
        schema = openapi(tool)
        assert schema["type"] == "object"
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
        annotations = tool.annotations
        if tool.name in READ_NAMES:
            assert getattr(annotations, "read_only", None) is True
            assert getattr(annotations, "destructive", None) is False
        else:
            assert getattr(annotations, "read_only", None) is False
            assert getattr(annotations, "destructive", None) is True
    text = caplog.text
    assert "Error getting tools" not in text
    assert "without an integration" not in text
    assert "not prefixed" not in text


async def test_the_grant_tool_is_offered_only_with_staff(
    hass: HomeAssistant, demo: Demo, hass_admin_user: MockUser
) -> None:
    await set_up(hass, demo.entry())
    await assistants(hass)
    instance = await tools_of(hass, WRITE_API, hass_admin_user)
    names = {tool.name for tool in instance.tools}
    assert "lockbridge__grant_access" not in names
    assert WRITE_NAMES - {"lockbridge__grant_access"} <= names


async def test_read_answers_match_the_entities(
    hass: HomeAssistant, house: Demo, hass_read_only_user: MockUser
) -> None:
    # 10:00 on the demo day: Lars leaves the Seaside Loft at 12:00, Zoë comes at 15:00.
    today = await ask(hass, hass_read_only_user, "lockbridge__get_stays")
    seaside = [s for s in today["stays"] if s["unit"] == "Seaside Loft"]
    assert [(s["guest"], s["leaves_in_period"], s["arrives_in_period"]) for s in seaside] == [
        ("Lars Johansson", True, False),
        ("Zoë Müller", False, True),
    ]
    current = the_state(hass, "sensor.seaside_loft_current_guest")
    coming = the_state(hass, "sensor.seaside_loft_next_guest")
    assert seaside[0]["guest"] == current.state
    assert seaside[0]["check_out"] == current.attributes["check_out"]
    assert seaside[1]["guest"] == coming.state
    assert seaside[1]["check_in"] == coming.attributes["check_in"]
    code = the_state(hass, "sensor.seaside_loft_access_code")
    assert seaside[0]["code_state"] == code.state == "active"
    assert seaside[0]["code_id"] == code.attributes["code_id"]

    stay = await ask(
        hass, hass_read_only_user, "lockbridge__get_stay", unit="seaside loft", stay="next"
    )
    assert (stay["guest"], stay["channel"], stay["language"]) == ("Zoë Müller", "Airbnb", "de")
    assert stay["code_state"] == "scheduled"

    who = await ask(hass, hass_read_only_user, "lockbridge__who_is_in", unit="Garden Studio")
    [garden] = who["units"]
    assert garden["day"] == the_state(hass, "sensor.garden_studio_day").state
    assert garden["stay"]["guest"] == "Hiroshi Tanaka"

    locks = await ask(hass, hass_read_only_user, "lockbridge__get_locks")
    by_name = {lock["lock"]: lock for lock in locks["locks"]}
    seaside_lock = by_name["Seaside Loft - Front door"]
    lock_state = the_state(hass, "lock.seaside_loft_front_door")
    assert seaside_lock["in_sync"] is lock_state.attributes["in_sync"] is True
    codes = seaside_lock["codes"]
    assert len(codes) + seaside_lock["other_codes"] == lock_state.attributes["active_codes"]
    assert {"Lars", "Zoë"} <= {code["name"].split()[1] for code in codes if " " in code["name"]}
    assert (
        locks["problems"]
        == the_state(hass, "binary_sensor.lockbridge_sync_problem").attributes["problems"]
    )

    period = await ask(
        hass, hass_read_only_user, "lockbridge__get_stays", start="2026-11-23", end="2026-12-23"
    )
    guests = {s["guest"] for s in period["stays"]}
    assert {"Amélie Laurent", "Carlos García", "Olivia Smith"} <= guests
    assert "Priya Patel" not in guests  # cancelled


async def test_no_pin_or_contact_in_any_read_answer(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser
) -> None:
    answers = [
        await ask(
            hass, hass_admin_user, "lockbridge__get_stays", start="2026-11-01", end="2026-12-31"
        ),
        await ask(hass, hass_admin_user, "lockbridge__who_is_in"),
        await ask(hass, hass_admin_user, "lockbridge__get_locks"),
    ]
    for unit in ("Seaside Loft", "Garden Studio", "Old Town Flat"):
        for which in ("current", "next"):
            answers.append(
                await ask(hass, hass_admin_user, "lockbridge__get_stay", unit=unit, stay=which)
            )
    text = json.dumps(answers, ensure_ascii=False)
    # Contacts and credentials, in any form a provider may see them.
    secrets = issued_secrets(house.thekeys, house.smoobu, house.hotelrunner)
    assert_no_secret(text, secrets)
    assert_no_secret(json.dumps(answers), secrets)
    # PINs: no field of that name, and no PIN as a number of its own anywhere. (A 4-digit PIN
    # may well appear inside a date or an id: those are left out of the search, not it.)
    pins = {code.code for code in house.thekeys.codes()}
    assert pins
    assert not re.search(r'"(pin|pins|email|phone)"', text)
    numbers = set(re.findall(r"(?<!\d)\d+(?!\d)", ISO_MOMENT.sub("", text)))
    assert not pins & numbers


async def test_an_administrator_changes_times_pins_and_access(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser
) -> None:
    moved = await ask(
        hass,
        hass_admin_user,
        "lockbridge__set_stay_times",
        unit="Seaside Loft",
        check_in="13:00",
    )
    assert (moved["guest"], moved["check_in"]) == ("Zoë Müller", "2026-11-23T13:00:00+01:00")
    [zoe] = codes_of(house, moved["booking_id"])
    assert (zoe.start, zoe.start_time) == (date(2026, 11, 23), (13, 0))
    old_pin = zoe.code

    new = await ask(
        hass, hass_admin_user, "lockbridge__regenerate_code", booking=moved["booking_id"]
    )
    assert new["guest"] == "Zoë Müller"
    [zoe_after] = codes_of(house, moved["booking_id"])
    assert zoe_after.code == new["pin"] != old_pin

    granted = await ask(
        hass,
        hass_admin_user,
        "lockbridge__grant_access",
        person="Marie",
        units=["Seaside Loft"],
        start="2026-11-24 10:00",
        end="2026-11-24 12:00",
    )
    [door] = granted["doors"]
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    visit = [
        c for c in staff_codes(house, entry) if (c.start_time, c.end_time) == ((10, 0), (12, 0))
    ]
    assert [c.code for c in visit] == [door["pin"]]

    removed = await ask(
        hass,
        hass_admin_user,
        "lockbridge__remove_code",
        lock="Seaside Loft",
        code_id=door["code_id"],
    )
    assert removed["removed"] is True
    assert all(c.id != int(door["code_id"]) for c in house.thekeys.codes(SEASIDE_LOCK))

    sent = await ask(
        hass, hass_admin_user, "lockbridge__send_pin", unit="Seaside Loft", stay="next"
    )
    assert sent["sent"] is True
    assert "pin" not in sent
    [message] = next(iter(m for m in house.smoobu.messages.values() if m))
    assert new["pin"] in json.dumps(message, ensure_ascii=False)
    again = await ask(
        hass, hass_admin_user, "lockbridge__send_pin", unit="Seaside Loft", stay="next"
    )
    assert "error" in again  # once per code


async def test_a_non_administrator_changes_nothing(
    hass: HomeAssistant, house: Demo, hass_read_only_user: MockUser
) -> None:
    before = sorted((c.id, c.code, c.start_time) for c in house.thekeys.codes())
    calls = {
        "lockbridge__set_stay_times": {"unit": "Seaside Loft", "check_in": "13:00"},
        "lockbridge__regenerate_code": {"unit": "Seaside Loft"},
        "lockbridge__grant_access": {
            "person": "Marie",
            "start": "2026-11-24 10:00",
            "end": "2026-11-24 12:00",
        },
        "lockbridge__remove_code": {"lock": "Seaside Loft", "code_name": "Lars Johansson"},
        "lockbridge__send_pin": {"unit": "Seaside Loft"},
    }
    if ADMIN_API:
        # Home Assistant keeps its admin API from anyone else (2026.11+)...
        with pytest.raises(Unauthorized):
            await tools_of(hass, ADMIN_API, hass_read_only_user)
    # ...and the tools refuse by themselves wherever they are offered, a user or none.
    api = LockBridgeAPI(hass)
    for user in (hass_read_only_user, None):
        instance = await api.async_get_api_instance(context(user))
        for name, args in calls.items():
            answer = await instance.async_call_tool(llm.ToolInput(tool_name=name, tool_args=args))
            data = getattr(answer, "data", answer)
            assert data == {"error": ADMIN_ONLY}, name
            assert getattr(answer, "error", True) is True
    await hass.async_block_till_done()
    assert sorted((c.id, c.code, c.start_time) for c in house.thekeys.codes()) == before


async def test_the_custom_api_serves_the_same_tools(
    hass: HomeAssistant, demo: Demo, hass_admin_user: MockUser
) -> None:
    """Where Home Assistant has no llm.py platform, one API holds every tool (one list)."""
    await set_up(hass, with_staff(demo, marie()))
    unregister = llm.async_register_api(hass, LockBridgeAPI(hass))
    try:
        instance = await tools_of(hass, DOMAIN, hass_admin_user)
        assert {tool.name for tool in instance.tools} == READ_NAMES | WRITE_NAMES
        answer = await ask(hass, hass_admin_user, "lockbridge__who_is_in", api_id=DOMAIN)
        assert {unit["unit"] for unit in answer["units"]} >= {"Seaside Loft", "Garden Studio"}
        moved = await ask(
            hass,
            hass_admin_user,
            "lockbridge__set_stay_times",
            api_id=DOMAIN,
            unit="Seaside Loft",
            check_out="2026-11-27 11:00",
        )
        assert moved["check_out"] == "2026-11-27T11:00:00+01:00"
    finally:
        unregister()


async def test_refusals_are_answers_the_model_can_read(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser
) -> None:
    unknown = await ask(hass, hass_admin_user, "lockbridge__get_stay", unit="Beach House")
    assert "Seaside Loft" in unknown["error"]  # the units it could have meant
    bad = await ask(hass, hass_admin_user, "lockbridge__get_stays", start="someday")
    assert "not a date" in bad["error"]
    wide = await ask(
        hass, hass_admin_user, "lockbridge__get_stays", start="2026-01-01", end="2026-12-31"
    )
    assert "at most" in wide["error"]
    typo = await ask(hass, hass_admin_user, "lockbridge__get_stays", unit=7)
    assert "Invalid arguments" in typo["error"]
    late = await ask(
        hass,
        hass_admin_user,
        "lockbridge__set_stay_times",
        unit="Seaside Loft",
        stay="next",
        check_in="13:00",
        check_out="2026-11-23 12:00",
    )
    assert "error" in late  # the action's own check: the end is before the start
    when = await ask(
        hass, hass_admin_user, "lockbridge__set_stay_times", unit="Seaside Loft", check_in="soon"
    )
    assert "HH:MM" in when["error"]
    for text in ("25:00", "2026-02-30 10:00"):
        wrong = await ask(
            hass, hass_admin_user, "lockbridge__set_stay_times", unit="Seaside Loft", check_in=text
        )
        assert "HH:MM" in wrong["error"], text
    for args in ({"booking": "smoobu:0"}, {}, {"unit": "Old Town Flat", "stay": "current"}):
        missing = await ask(hass, hass_admin_user, "lockbridge__get_stay", **args)
        assert "error" in missing, args
    vague = await ask(hass, hass_admin_user, "lockbridge__get_locks", lock="door")
    assert "More than one lock" in vague["error"]
    [only] = (await ask(hass, hass_admin_user, "lockbridge__get_locks", lock="garden studio"))[
        "locks"
    ]
    assert only["lock"] == "Garden Studio - Garden door"
    which = await ask(hass, hass_admin_user, "lockbridge__remove_code", lock="Garden Studio")
    assert "id or its name" in which["error"]
    foreign = await ask(
        hass, hass_admin_user, "lockbridge__remove_code", lock="Garden Studio", code_name="Nobody"
    )
    assert "error" in foreign  # the action's own refusal: no such code


async def test_a_message_of_the_hosts_own_carries_the_pin(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser
) -> None:
    sent = await ask(
        hass,
        hass_admin_user,
        "lockbridge__send_pin",
        unit="Garden Studio",
        message="Hi {guest}, your code is {pin}.",
    )
    assert sent["sent"] is True
    [code] = [c for c in house.thekeys.codes() if c.lock_id == 3702 and "58123403" in c.description]
    texts = json.dumps(list(house.smoobu.messages.values()), ensure_ascii=False)
    assert f"Hi Hiroshi Tanaka, your code is {code.code}." in texts


async def test_the_readme_conversation(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser, hass_read_only_user: MockUser
) -> None:
    """The README's conversation, tool call by tool call, on the demo day at 10:00."""
    # "Who arrives today?"
    today = await ask(hass, hass_read_only_user, "lockbridge__get_stays")
    arriving = [
        (s["guest"], s["unit"], s["check_in"]) for s in today["stays"] if s["arrives_in_period"]
    ]
    assert arriving == [
        ("Zoë Müller", "Seaside Loft", "2026-11-23T15:00:00+01:00"),
        ("Ayşe Yılmaz", "Standard Room", "2026-11-23T15:00:00+01:00"),
    ]
    leaving = [(s["guest"], s["check_out"]) for s in today["stays"] if s["leaves_in_period"]]
    assert leaving == [("Lars Johansson", "2026-11-23T12:00:00+01:00")]
    # "Is the guest at the Garden Studio in?"
    [garden] = (
        await ask(hass, hass_read_only_user, "lockbridge__who_is_in", unit="Garden Studio")
    )["units"]
    assert (garden["day"], garden["stay"]["guest"], garden["stay"]["checked_in"]) == (
        "in_house",
        "Hiroshi Tanaka",
        None,
    )
    # "Move the Seaside Loft guest's check-in to 13:00.", said by someone not an administrator.
    if ADMIN_API:  # 2026.11+: the write tools are not even offered to them
        offered = await tools_of(hass, llm.LLM_API_ASSIST, hass_read_only_user)
        assert "lockbridge__set_stay_times" not in {tool.name for tool in offered.tools}
    else:
        refused = await ask(
            hass,
            hass_read_only_user,
            "lockbridge__set_stay_times",
            unit="Seaside Loft",
            check_in="13:00",
        )
        assert refused == {"error": ADMIN_ONLY}
    # The same, said by the host (an administrator).
    moved = await ask(
        hass, hass_admin_user, "lockbridge__set_stay_times", unit="Seaside Loft", check_in="13:00"
    )
    assert (moved["guest"], moved["code_valid_from"]) == (
        "Zoë Müller",
        "2026-11-23T13:00:00+01:00",
    )
    # "Give the cleaner a code for tomorrow 10 to 12."
    granted = await ask(
        hass,
        hass_admin_user,
        "lockbridge__grant_access",
        person="Marie",
        start="2026-11-24 10:00",
        end="2026-11-24 12:00",
    )
    [door] = granted["doors"]
    assert (door["lock"], granted["start"], granted["end"]) == (
        "Seaside Loft - Front door",
        "2026-11-24T10:00:00+01:00",
        "2026-11-24T12:00:00+01:00",
    )
    assert door["pin"] in [code.code for code in house.thekeys.codes(SEASIDE_LOCK)]


async def test_assist_sees_only_the_units_exposed_to_it(
    hass: HomeAssistant, demo: Demo, hass_admin_user: MockUser
) -> None:
    """A speaker in a guest's room, exposed to nothing, tells nothing of the other guests."""
    await set_up(hass, with_staff(demo, marie()))
    await assistants(hass, exposed=False)
    nothing = await ask(hass, hass_admin_user, "lockbridge__get_stays")
    assert nothing["stays"] == []
    assert (await ask(hass, hass_admin_user, "lockbridge__get_locks")) == {
        "locks": [],
        "problems": [],
    }
    unknown = await ask(hass, hass_admin_user, "lockbridge__who_is_in", unit="Seaside Loft")
    assert "No unit is called" in unknown["error"]
    async_expose_entity(hass, "conversation", "calendar.seaside_loft", True)
    one = await ask(hass, hass_admin_user, "lockbridge__get_stays")
    assert {stay["unit"] for stay in one["stays"]} == {"Seaside Loft"}
    locks = await ask(hass, hass_admin_user, "lockbridge__get_locks")
    assert [lock["lock"] for lock in locks["locks"]] == ["Seaside Loft - Front door"]
    # LockBridge's own API (and Home Assistant's administrators' one) sees the whole house.
    unregister = llm.async_register_api(hass, LockBridgeAPI(hass))
    try:
        every = await ask(hass, hass_admin_user, "lockbridge__get_stays", api_id=DOMAIN)
        assert {stay["unit"] for stay in every["stays"]} >= {"Seaside Loft", "Garden Studio"}
    finally:
        unregister()


async def call_tool(
    hass: HomeAssistant, tool: llm.Tool, user: MockUser, **args: Any
) -> dict[str, Any]:
    """One tool, called as Home Assistant calls it (for a bounded write on any version)."""
    answer = await tool.async_call(
        hass, llm.ToolInput(tool_name=tool.name, tool_args=args), context(user)
    )
    data = getattr(answer, "data", answer)
    assert isinstance(data, dict)
    return data


async def test_a_shared_door_tells_assist_only_its_own_units_codes(
    hass: HomeAssistant, demo: Demo, hass_admin_user: MockUser
) -> None:
    """The building's entrance opens for the Seaside Loft and the Old Town Flat: with only
    the Old Town Flat exposed, its codes list Amélie's, not Lars's or Zoë's."""
    entry = await set_up(hass, two_doors(demo))
    await assistants(hass, exposed=False)
    # A visit for Marie on both units' doors: a staff code, shown wherever Assist sees a door.
    visit = await call_tool(
        hass,
        GrantAccessTool(bounded=False),
        hass_admin_user,
        person="Marie",
        units=["Seaside Loft", "Old Town Flat"],
        start="2026-11-24 10:00",
        end="2026-11-24 12:00",
    )
    assert len(visit["doors"]) == 3
    async_expose_entity(hass, "conversation", "calendar.old_town_flat", True)
    locks = await ask(hass, hass_admin_user, "lockbridge__get_locks", lock="Building - Entrance")
    [entrance] = locks["locks"]
    names = [code["name"] for code in entrance["codes"]]
    assert any("Amélie" in name for name in names)
    assert any("Marie" in name for name in names)
    assert not any("Lars" in name or "Zoë" in name for name in names)
    assert entrance["other_codes"] >= 2
    everything = LocksTool(bounded=False)
    [whole] = (await call_tool(hass, everything, hass_admin_user, lock="Building - Entrance"))[
        "locks"
    ]
    assert any("Lars" in code["name"] for code in whole["codes"])
    assert whole["other_codes"] == 0
    assert entry.state is ConfigEntryState.LOADED


async def test_a_bounded_grant_reaches_only_doors_in_scope(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser
) -> None:
    """Marie cleans the Seaside Loft: an assistant that sees only the Garden Studio cannot
    give her a code there by leaving the units out."""
    registry = er.async_get(hass)
    async_expose_entity(hass, "conversation", "calendar.seaside_loft", False)
    assert registry.async_get("calendar.seaside_loft") is not None
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    before = len(staff_codes(house, entry))
    refused = await call_tool(
        hass,
        GrantAccessTool(bounded=True),
        hass_admin_user,
        person="Marie",
        start="2026-11-24 10:00",
        end="2026-11-24 12:00",
    )
    assert "none of Marie's" in refused["error"]
    too_long = await call_tool(
        hass,
        GrantAccessTool(bounded=True),
        hass_admin_user,
        name="X" * 60,
        units=["Garden Studio"],
        start="2026-11-24 10:00",
        end="2026-11-24 12:00",
    )
    assert "error" in too_long
    assert len(staff_codes(house, entry)) == before
    # Exposed again: her own units are the default.
    async_expose_entity(hass, "conversation", "calendar.seaside_loft", True)
    granted = await call_tool(
        hass,
        GrantAccessTool(bounded=True),
        hass_admin_user,
        person="Marie",
        start="2026-11-24 10:00",
        end="2026-11-24 12:00",
    )
    assert [door["lock"] for door in granted["doors"]] == ["Seaside Loft - Front door"]


async def test_a_new_check_in_is_for_the_guest_still_to_arrive(
    hass: HomeAssistant, house: Demo, hass_admin_user: MockUser, freezer: FrozenDateTimeFactory
) -> None:
    """15:30: Ayşe was due at 15:00 in the Standard Room and has not come; her check-in moves,
    not the next guest's three weeks later."""
    freezer.move_to("2026-11-23T14:30:00+00:00")
    moved = await ask(
        hass, hass_admin_user, "lockbridge__set_stay_times", unit="Standard Room", check_in="18:00"
    )
    assert (moved["guest"], moved["check_in"]) == ("Ayşe Yılmaz", "2026-11-23T18:00:00+01:00")
    # A guest in their stay and never seen at the door: asked, not guessed (Hiroshi has been
    # in for two days; the next guest comes in three weeks).
    unsure = await ask(
        hass, hass_admin_user, "lockbridge__set_stay_times", unit="Garden Studio", check_in="13:00"
    )
    assert "Hiroshi Tanaka" in unsure["error"]
    assert "booking id" in unsure["error"]
    # 00:30: Ayşe, due yesterday at 15:00 (moved to 18:00), has still not come.
    freezer.move_to("2026-11-23T23:30:00+00:00")
    late = await ask(
        hass, hass_admin_user, "lockbridge__set_stay_times", unit="Standard Room", check_in="20:00"
    )
    assert "Ayşe Yılmaz" in late["error"]
    assert "Sophie Dubois" in late["error"]
    midnight = await ask(
        hass,
        hass_admin_user,
        "lockbridge__set_stay_times",
        unit="Garden Studio",
        check_out="2026-11-27",
    )
    assert "has no time" in midnight["error"]
