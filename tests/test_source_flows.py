"""Booking-source subentry flows, account reconfigure and options, over real HTTP."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigSubentryData, FlowType
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import SelectOptionDict
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import (
    CONF_PIN_LENGTH,
    CONF_SERVER,
    CONF_THEKEYS_URL,
    DEFAULTS,
    DOMAIN,
)
from custom_components.lockbridge.engine.ownership import parse_tag
from custom_components.lockbridge.models import keypad_named_after
from custom_components.lockbridge.sources.hotelrunner import (
    CONF_HR_ID,
    CONF_TOKEN,
    CONF_URL as CONF_HOTELRUNNER_URL,
)
from custom_components.lockbridge.sources.smoobu import (
    CONF_API_KEY,
    CONF_API_SECRET,
    CONF_URL as CONF_SMOOBU_URL,
)
from tests.conftest import (
    HR_ID,
    HR_TOKEN,
    SMOOBU_KEY,
    SMOOBU_SECRET,
    TK_PASSWORD,
    StubCloud,
    server,
)
from tests.demo_stack import Demo, set_up, the_state


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def start(hass: HomeAssistant, entry_id: str, kind: str) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry_id, kind), context={"source": SOURCE_USER}
    )


async def configure(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(flow_id, data)


def hotelrunner_input(demo: Demo) -> dict[str, Any]:
    """The demo property's credentials, as typed into the form."""
    return {
        CONF_TOKEN: HR_TOKEN,
        CONF_HR_ID: HR_ID,
        **server(CONF_HOTELRUNNER_URL, f"{demo.base_url}/hotelrunner/api/v2/apps"),
    }


async def past_push(hass: HomeAssistant, result: Any, answer: dict[str, Any] | None = None) -> Any:
    """The last step, where the cloud's push and what LockBridge sends back are set."""
    assert result["step_id"] == "push"
    return await configure(hass, result["flow_id"], answer or {})


def unit(keypad: str, check_in: str = "15:00:00", check_out: str = "11:00:00") -> dict[str, str]:
    return {"keypad": keypad, "check_in": check_in, "check_out": check_out}


@pytest.mark.usefixtures("every_entity_enabled")
async def test_add_smoobu_with_errors_recovered_then_unit_map(
    hass: HomeAssistant, demo: Demo, unused_tcp_port: int
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner=False))
    good = {
        CONF_API_KEY: SMOOBU_KEY,
        CONF_API_SECRET: SMOOBU_SECRET,
        **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
    }
    result = await start(hass, entry.entry_id, "smoobu")
    assert result["step_id"] == "user"
    flow_id = result["flow_id"]

    result = await configure(hass, flow_id, {**good, CONF_API_KEY: "wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await configure(
        hass, flow_id, {**good, **server(CONF_SMOOBU_URL, f"http://127.0.0.1:{unused_tcp_port}")}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    with patch(
        "custom_components.lockbridge.api.smoobu.SmoobuClient.get_me",
        side_effect=RuntimeError("boom"),
    ):
        result = await configure(hass, flow_id, good)
    assert result["errors"] == {"base": "unknown"}

    result = await configure(hass, flow_id, good)
    assert (result["step_id"], result["description_placeholders"]) == (
        "unit",
        {"unit": "Seaside Loft", "position": "1", "total": "3"},
    )
    keypads = result["data_schema"].schema["keypad"].config["options"]
    assert {option["value"] for option in keypads} == {
        "not_managed",
        "3701/Kp7Lm2Qa",
        "3702/Kg4Rt8Ws",
        "3703/Kt9Bn3Xe",
        "3704/Kh2Vc6Pz",
        "3705/Kd5Jy1Mf",
    }
    result = await configure(hass, flow_id, unit("3701/Kp7Lm2Qa"))
    result = await configure(hass, flow_id, unit("not_managed"))
    result = await configure(hass, flow_id, unit("3703/Kt9Bn3Xe", "16:00:00"))
    # Last, where Smoobu should send its changes: this source's own unguessable webhook.
    assert result["step_id"] == "push"
    url = result["description_placeholders"]["webhook_url"]
    assert url.startswith("/api/webhook/")
    assert len(url.removeprefix("/api/webhook/")) == 64
    result = await configure(hass, flow_id, {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Smoobu Jane Host"
    assert url.endswith(result["data"]["webhook_id"])
    assert result["data"]["units"] == {
        "101": {"name": "Seaside Loft", **unit("3701/Kp7Lm2Qa")},
        "102": {"name": "Garden Studio", **unit("not_managed"), "keypad": None},
        "103": {"name": "Old Town Flat", **unit("3703/Kt9Bn3Xe", "16:00:00")},
    }
    await hass.async_block_till_done()
    locks = {c.lock_id for c in demo.thekeys.codes() if parse_tag(c.description)}
    assert locks == {3701, 3703}  # the unmanaged studio gets no code
    assert the_state(hass, "sensor.old_town_flat_next_check_in").state == (
        "2026-11-28T15:00:00+00:00"
    )

    result = await start(hass, entry.entry_id, "smoobu")
    result = await configure(hass, result["flow_id"], good)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")


async def test_the_account_flow_goes_on_to_the_source_the_host_picks(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Phone and password, then Smoobu, then Next on every unit: codes, no id typed."""
    await hass.config.async_set_time_zone("Europe/Paris")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: demo.thekeys.username,
            CONF_PASSWORD: demo.thekeys.password,
            **server(CONF_THEKEYS_URL, f"{demo.base_url}/thekeys"),
        },
    )
    assert (result["type"], result["menu_options"]) == (
        FlowResultType.MENU,
        ["add_smoobu", "add_hotelrunner", "add_ical", "add_later"],
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "add_smoobu"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Jean Dupont"
    entry_id = result["result"].entry_id
    assert result["next_flow"][0] is FlowType.CONFIG_SUBENTRIES_FLOW
    flow_id = result["next_flow"][1]
    assert hass.config_entries.subentries.async_get(flow_id)["handler"] == (entry_id, "smoobu")

    result = await configure(
        hass,
        flow_id,
        {
            CONF_API_KEY: SMOOBU_KEY,
            CONF_API_SECRET: SMOOBU_SECRET,
            **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
        },
    )
    while result["type"] is FlowResultType.FORM:
        result = await configure(hass, flow_id, defaults(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert {c.lock_id for c in demo.thekeys.codes() if parse_tag(c.description)} == {
        3701,
        3702,
        3703,
    }


async def translated_errors(hass: HomeAssistant, kind: str, result: Any) -> dict[str, str]:
    """A form's errors as the frontend shows them: the text, placeholders filled in."""
    strings = await async_get_translations(hass, "en", kind, {DOMAIN})
    return {
        field: strings[f"component.{DOMAIN}.{kind}.error.{key}"].format(
            **result["description_placeholders"]
        )
        for field, key in result["errors"].items()
    }


def defaults(result: Any) -> dict[str, Any]:
    """The values a form shows before the host touches it."""
    return {str(key): key.default() for key in result["data_schema"].schema if key.default}


async def test_each_unit_starts_on_the_keypad_named_after_it(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Next, next, next: every unit whose keypad bears its name gets codes."""
    entry = await set_up(hass, demo.entry(smoobu=False))
    result = await start(hass, entry.entry_id, "smoobu")
    result = await configure(
        hass,
        result["flow_id"],
        {
            CONF_API_KEY: SMOOBU_KEY,
            CONF_API_SECRET: SMOOBU_SECRET,
            **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
        },
    )
    chosen = []
    while result["type"] is FlowResultType.FORM and result["step_id"] == "unit":
        chosen.append(defaults(result)["keypad"])
        result = await configure(hass, result["flow_id"], defaults(result))
    result = await configure(hass, result["flow_id"], {})  # the webhook's address, noted

    assert chosen == ["3701/Kp7Lm2Qa", "3702/Kg4Rt8Ws", "3703/Kt9Bn3Xe"]
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert {c.lock_id for c in demo.thekeys.codes() if parse_tag(c.description)} >= {3701, 3702}


@pytest.mark.parametrize(
    ("unit_name", "expected"),
    [
        ("GARDEN studio", "2"),  # case
        ("Entree jardin", "2"),  # accents, keypad name
        ("Villa", None),  # two keypads hold it: the host chooses
        ("Loft", "1"),
        ("Studio Loft", None),  # not in that order anywhere
        ("Den", None),  # a part of a word is no match ("Garden")
        ("", None),
    ],
)
def test_keypad_named_after(unit_name: str, expected: str | None) -> None:
    keypads = [
        SelectOptionDict(value="1", label="Seaside Loft - Porte d'entrée"),
        SelectOptionDict(value="2", label="Garden Studio - Entrée-Jardin"),
        SelectOptionDict(value="3", label="Villa - Standard Room"),
        SelectOptionDict(value="4", label="Villa - Deluxe Suite"),
    ]
    assert keypad_named_after(unit_name, keypads) == expected


async def test_add_hotelrunner_maps_room_types(hass: HomeAssistant, demo: Demo) -> None:
    entry = demo.entry(smoobu=False, hotelrunner=False)
    entry.add_to_hass(hass)  # not loaded: the keypads are read live

    result = await start(hass, entry.entry_id, "hotelrunner")
    result = await configure(
        hass,
        result["flow_id"],
        hotelrunner_input(demo),
    )
    assert result["description_placeholders"]["unit"] == "Standard Room"
    result = await configure(hass, result["flow_id"], unit("3704/Kh2Vc6Pz"))
    assert result["description_placeholders"]["unit"] == "Deluxe Suite"
    result = await configure(hass, result["flow_id"], unit("3705/Kd5Jy1Mf"))
    # HotelRunner's push address: its own webhook, checked against the token and hr_id.
    url = result["description_placeholders"]["webhook_url"]
    assert url.startswith("/api/webhook/")
    result = await past_push(hass, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert url.endswith(result["data"]["webhook_id"])
    assert result["data"]["delivery_queue"] is False  # only where HotelRunner enabled it
    assert set(result["data"]["units"]) == {"HR:1", "HR:2"}  # not the master room
    subentry = next(iter(entry.subentries.values()))
    assert HR_ID not in (subentry.unique_id or "")


async def test_reconfigure_a_source(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    subentry_id = next(iter(entry.subentries))

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "reconfigure"
    folded = result["data_schema"].schema[CONF_SERVER].schema.schema
    (url_field,) = folded
    assert url_field.description == {"suggested_value": f"{demo.base_url}/smoobu"}
    result = await configure(
        hass,
        result["flow_id"],
        {
            CONF_API_KEY: SMOOBU_KEY,
            CONF_API_SECRET: SMOOBU_SECRET,
            **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
        },
    )
    defaults = {
        str(key): key.default() for key in result["data_schema"].schema if key.default
    }  # the unit's current keypad is preselected
    assert defaults["keypad"] == "3701/Kp7Lm2Qa"
    result = await configure(hass, result["flow_id"], unit("3701/Kp7Lm2Qa"))
    result = await configure(hass, result["flow_id"], unit("3702/Kg4Rt8Ws", "14:00:00"))
    result = await configure(hass, result["flow_id"], unit("not_managed"))
    result = await past_push(hass, result)

    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    await hass.async_block_till_done()
    units = entry.subentries[subentry_id].data["units"]
    assert units["103"]["keypad"] is None
    assert units["102"]["check_in"] == "14:00:00"
    assert not any(c.lock_id == 3703 and parse_tag(c.description) for c in demo.thekeys.codes())


@pytest.mark.parametrize(
    "typed",
    [{CONF_API_KEY: SMOOBU_KEY}, {}],
    ids=["key-only", "nothing"],
)
async def test_reconfiguring_smoobu_with_empty_secrets_keeps_the_saved_ones(
    hass: HomeAssistant, demo: Demo, typed: dict[str, str]
) -> None:
    """A host who types the key again, or nothing, keeps the signed (HMAC) access."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    subentry_id = next(iter(entry.subentries))

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure(
        hass, result["flow_id"], {**typed, **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu")}
    )
    for keypad in ("3701/Kp7Lm2Qa", "3702/Kg4Rt8Ws", "3703/Kt9Bn3Xe"):
        result = await configure(hass, result["flow_id"], unit(keypad))
    result = await past_push(hass, result)

    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    data = entry.subentries[subentry_id].data
    assert (data[CONF_API_KEY], data[CONF_API_SECRET]) == (SMOOBU_KEY, SMOOBU_SECRET)
    await hass.async_block_till_done()
    assert "smoobu_legacy_key" not in {
        issue.translation_key for issue in ir.async_get(hass).issues.values()
    }


async def test_reconfigure_refuses_another_account(hass: HomeAssistant, demo: Demo) -> None:
    base = demo.entry(smoobu=False, hotelrunner=False)
    other = demo.smoobu_subentry()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="42",
        title=base.title,
        data=dict(base.data),
        subentries_data=[ConfigSubentryData(**{**other, "unique_id": "smoobu-999"})],
    )
    entry.add_to_hass(hass)
    subentry_id = next(iter(entry.subentries))

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure(
        hass,
        result["flow_id"],
        {CONF_API_KEY: SMOOBU_KEY, **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu")},
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "wrong_account")


async def test_source_without_units_aborts(
    hass: HomeAssistant, demo: Demo, stub: StubCloud, stub_url: str
) -> None:
    entry = demo.entry(smoobu=False, hotelrunner=False)
    entry.add_to_hass(hass)
    stub.reply("/api/me", {"id": 5, "firstName": "Empty"})
    stub.reply("/api/apartments", {"apartments": []})

    result = await start(hass, entry.entry_id, "smoobu")
    result = await configure(
        hass, result["flow_id"], {CONF_API_KEY: SMOOBU_KEY, **server(CONF_SMOOBU_URL, stub_url)}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "no_units")


async def test_reconfigure_the_account(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner=False))
    result = await entry.start_reconfigure_flow(hass)
    url = f"{demo.base_url}/thekeys"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: "+33 6 11 22 33 44",
            CONF_PASSWORD: "wrong",
            **server(CONF_THEKEYS_URL, url),
        },
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: "+33 6 11 22 33 44",
            CONF_PASSWORD: TK_PASSWORD,
            **server(CONF_THEKEYS_URL, url),
        },
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")


async def test_options_flow_saves_and_reloads(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    # Out of bounds, or not whole: each field says its own bounds, in the host's language.
    wrong = {**DEFAULTS, CONF_PIN_LENGTH: 3, "horizon_days": 400, "buffer_before": 12.5}
    result = await hass.config_entries.options.async_configure(result["flow_id"], wrong)
    assert result["errors"] == {
        CONF_PIN_LENGTH: "range_pin_length",
        "horizon_days": "range_horizon_days",
        "buffer_before": "range_buffer_before",
    }
    assert entry.options == {}
    messages = await translated_errors(hass, "options", result)
    assert messages == {
        CONF_PIN_LENGTH: "A PIN has 4 to 8 digits.",
        "horizon_days": "Enter a whole number of days from 1 to 365.",
        "buffer_before": "Enter a whole number of minutes from 0 to 720.",
    }
    options = {**DEFAULTS, CONF_PIN_LENGTH: 6.0, "name_prefix": "Villa"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_PIN_LENGTH] == 6
    assert isinstance(entry.options[CONF_PIN_LENGTH], int)
    names = {c.name for c in demo.thekeys.codes(3701)}
    assert "Villa Zoë Müller" in names  # renamed by the sync after the reload


async def test_hotelrunner_reconfigure_spends_the_running_budget(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False))
    subentry_id = next(iter(entry.subentries))
    budget = entry.runtime_data.coordinator.sources[subentry_id].budget
    used = budget.used_today

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure(
        hass,
        result["flow_id"],
        hotelrunner_input(demo),
    )

    assert result["step_id"] == "unit"
    assert budget.used_today == used + 1  # the check counted against the same budget


async def test_keypads_unreadable_aborts(hass: HomeAssistant, demo: Demo) -> None:
    entry = demo.entry(smoobu=False, hotelrunner=False)
    entry.add_to_hass(hass)  # not loaded: the keypads are read live, and The Keys is down
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 100, "/utilisateur/"

    result = await start(hass, entry.entry_id, "smoobu")
    result = await configure(
        hass,
        result["flow_id"],
        {CONF_API_KEY: SMOOBU_KEY, **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu")},
    )

    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "cannot_connect")


async def test_source_addresses_are_folded_away(hass: HomeAssistant, demo: Demo) -> None:
    entry = demo.entry(smoobu=False, hotelrunner=False)
    entry.add_to_hass(hass)

    for kind, url_key in (("smoobu", CONF_SMOOBU_URL), ("hotelrunner", CONF_HOTELRUNNER_URL)):
        result = await start(hass, entry.entry_id, kind)
        schema = result["data_schema"].schema
        assert url_key not in schema
        assert isinstance(schema[CONF_SERVER], section)
        assert schema[CONF_SERVER].options == {"collapsed": True}
        assert set(schema[CONF_SERVER].schema.schema) == {url_key}


async def test_reconfigure_keeps_a_keypad_that_went_missing(
    hass: HomeAssistant, demo: Demo
) -> None:
    demo.hotelrunner_units["HR:1"] = ("Standard Room", "3704/Gone1234")
    entry = await set_up(hass, demo.entry(smoobu=False))
    subentry_id = next(iter(entry.subentries))

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure(
        hass,
        result["flow_id"],
        hotelrunner_input(demo),
    )

    keypad = next(key for key in result["data_schema"].schema if str(key) == "keypad")
    assert keypad.default() == "3704/Gone1234"  # not "not managed", which would delete codes


async def remap_smoobu(
    hass: HomeAssistant, entry: MockConfigEntry, demo: Demo, *keypads: str
) -> Any:
    """Reconfigure the demo's Smoobu source with these keypads for its three units."""
    subentry_id = next(iter(entry.subentries))
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure(
        hass,
        result["flow_id"],
        {
            CONF_API_KEY: SMOOBU_KEY,
            CONF_API_SECRET: SMOOBU_SECRET,
            **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
        },
    )
    for keypad in keypads:
        result = await configure(hass, result["flow_id"], unit(keypad))
    return result


@pytest.mark.parametrize(
    ("choice", "kept"), [("keep_until_check_out", True), ("remove_now", False)]
)
async def test_unmapping_a_unit_with_guests_in_the_house_asks_first(
    hass: HomeAssistant, demo: Demo, choice: str, kept: bool
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    loft = {c.id for c in demo.thekeys.codes(3701) if parse_tag(c.description)}
    assert len(loft) == 2  # Lars leaves at 12:00, Zoë arrives at 15:00

    result = await remap_smoobu(  # Seaside Loft no longer managed
        hass, entry, demo, "not_managed", "3702/Kg4Rt8Ws", "3703/Kt9Bn3Xe"
    )

    assert result["step_id"] == "keep_codes"
    guests = result["description_placeholders"]["guests"].splitlines()
    assert guests == [
        "- Lars Johansson (Seaside Loft), until 23 Nov 12:00",
        "- Zoë Müller (Seaside Loft), until 27 Nov 12:00",
    ]
    result = await configure(hass, result["flow_id"], {"keep_codes": choice})
    result = await past_push(hass, result)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    await hass.async_block_till_done()

    left = {c.id for c in demo.thekeys.codes(3701) if parse_tag(c.description)}
    assert left == (loft if kept else set())


async def test_a_keypad_change_asks_nothing_when_no_guest_uses_it(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))

    # Old Town Flat's next guest arrives on the 28th: nobody uses its keypad today.
    result = await remap_smoobu(hass, entry, demo, "3701/Kp7Lm2Qa", "3702/Kg4Rt8Ws", "not_managed")
    result = await past_push(hass, result)

    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")


async def test_the_push_step_sets_the_pin_placeholders_and_checks_their_keys(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Reconfiguring turns the PIN placeholders on, under keys the host picks."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    subentry_id = next(iter(entry.subentries))
    result = await remap_smoobu(
        hass, entry, demo, "3701/Kp7Lm2Qa", "3702/Kg4Rt8Ws", "3703/Kt9Bn3Xe"
    )
    assert result["step_id"] == "push"
    assert defaults(result) == {
        "placeholders": False,
        "pin_placeholder": "lockbridge_pin",
        "access_placeholder": "lockbridge_access",
    }
    flow_id = result["flow_id"]
    for answer, errors in (
        ({"pin_placeholder": "[door pin]"}, {"pin_placeholder": "invalid_placeholder_key"}),
        ({"access_placeholder": "9lives"}, {"access_placeholder": "invalid_placeholder_key"}),
        ({"access_placeholder": "lockbridge_pin"}, {"access_placeholder": "same_placeholder_key"}),
    ):
        result = await configure(hass, flow_id, {"placeholders": True, **answer})
        assert result["errors"] == errors
    strings = await async_get_translations(hass, "en", "config_subentries", {DOMAIN})
    prefix = f"component.{DOMAIN}.config_subentries.smoobu.error"
    assert strings[f"{prefix}.same_placeholder_key"] == "The two placeholders need different keys."
    result = await configure(hass, flow_id, {"placeholders": True, "pin_placeholder": "doorPin"})
    assert result["reason"] == "reconfigure_successful"
    data = entry.subentries[subentry_id].data
    assert (data["placeholders"], data["pin_placeholder"]) == (True, "doorPin")
    await hass.async_block_till_done(wait_background_tasks=True)
    booking = next(
        int(k.booking_id) for c in demo.thekeys.codes() if (k := parse_tag(c.description))
    )
    assert set(demo.smoobu.placeholders_of(booking)) == {"doorPin", "lockbridge_access"}


async def test_with_home_assistant_cloud_the_address_is_a_cloudhook(
    hass: HomeAssistant, demo: Demo
) -> None:
    # The cloud component imports Alexa, conversation, the camera...: their packages are in
    # the newest leg's environment (the dev stack's), not in the minimum leg's.
    pytest.importorskip("homeassistant.components.cloud")
    entry = await set_up(hass, demo.entry(smoobu=False, hotelrunner=False))
    hass.config.components.add("cloud")
    cloudhook = "https://hooks.nabu.casa/AbCdEf"
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_create_cloudhook", return_value=cloudhook
        ) as create,
    ):
        result = await start(hass, entry.entry_id, "hotelrunner")
        result = await configure(hass, result["flow_id"], hotelrunner_input(demo))
        result = await configure(hass, result["flow_id"], unit("3704/Kh2Vc6Pz"))
        result = await configure(hass, result["flow_id"], unit("3705/Kd5Jy1Mf"))
        assert result["description_placeholders"]["webhook_url"] == cloudhook
        result = await past_push(hass, result, {"delivery_queue": True})
    assert result["data"]["cloudhook_url"] == cloudhook
    assert result["data"]["delivery_queue"] is True
    create.assert_called_once_with(hass, result["data"]["webhook_id"])

    with patch("homeassistant.components.cloud.async_delete_cloudhook") as delete:
        await hass.config_entries.async_remove(entry.entry_id)
    delete.assert_called_once_with(hass, result["data"]["webhook_id"])


async def test_the_push_step_shows_the_whole_address_or_how_to_get_one(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry(smoobu=False))
    result = await start(hass, entry.entry_id, "smoobu")
    result = await configure(
        hass,
        result["flow_id"],
        {
            CONF_API_KEY: SMOOBU_KEY,
            CONF_API_SECRET: SMOOBU_SECRET,
            **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
        },
    )
    for keypad in ("3701/Kp7Lm2Qa", "3702/Kg4Rt8Ws", "3703/Kt9Bn3Xe"):
        result = await configure(hass, result["flow_id"], unit(keypad))
    # No public address: the path, and how to set one (the source can be saved all the same).
    assert result["step_id"] == "push"
    path = result["description_placeholders"]["webhook_url"]
    assert path.startswith("/api/webhook/")
    assert not result["errors"]  # a note in the text, never an error before anything is typed
    strings = await async_get_translations(hass, "fr", "config_subentries", {DOMAIN})
    description = strings[f"component.{DOMAIN}.config_subentries.smoobu.step.push.description"]
    assert "Paramètres > Système > Réseau" in description
    assert "`{webhook_url}`" in description  # a code span: selected whole, never a link

    # With an external URL, the address is shown whole, ready to paste.
    await async_process_ha_core_config(hass, {"external_url": "https://home.example.org"})
    result = await start(hass, entry.entry_id, "smoobu")
    result = await configure(
        hass,
        result["flow_id"],
        {
            CONF_API_KEY: SMOOBU_KEY,
            CONF_API_SECRET: SMOOBU_SECRET,
            **server(CONF_SMOOBU_URL, f"{demo.base_url}/smoobu"),
        },
    )
    for keypad in ("3701/Kp7Lm2Qa", "3702/Kg4Rt8Ws", "3703/Kt9Bn3Xe"):
        result = await configure(hass, result["flow_id"], unit(keypad))
    url = result["description_placeholders"]["webhook_url"]
    assert url.startswith("https://home.example.org/api/webhook/")
    assert result["errors"] == {}
    result = await past_push(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert url.endswith(result["data"]["webhook_id"])


@pytest.mark.parametrize(
    ("kind", "url_key"),
    [("smoobu", CONF_SMOOBU_URL), ("hotelrunner", CONF_HOTELRUNNER_URL), ("reconfigure", "")],
)
async def test_a_plain_http_source_address_is_refused_before_credentials_are_sent(
    hass: HomeAssistant, demo: Demo, kind: str, url_key: str
) -> None:
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    typed = {
        "smoobu": {CONF_API_KEY: SMOOBU_KEY, CONF_API_SECRET: SMOOBU_SECRET},
        "hotelrunner": {CONF_TOKEN: HR_TOKEN, CONF_HR_ID: HR_ID},
        "reconfigure": {CONF_API_KEY: SMOOBU_KEY},
    }[kind]
    if kind == "reconfigure":
        url_key = CONF_SMOOBU_URL
        result = await entry.start_subentry_reconfigure_flow(hass, next(iter(entry.subentries)))
    else:
        result = await start(hass, entry.entry_id, kind)
    demo.smoobu.clear_log()

    # A documentation address (TEST-NET-1): the check refuses it before any connection.
    result = await configure(
        hass, result["flow_id"], {**typed, **server(url_key, "http://192.0.2.1")}
    )

    assert (result["type"], result["errors"]) == (FlowResultType.FORM, {"base": "not_https"})
    assert demo.smoobu.requests == []
    assert demo.hotelrunner.requests == []
    subentry_type = "smoobu" if kind == "reconfigure" else kind
    translations = await async_get_translations(hass, "fr", "config_subentries", [DOMAIN])
    key = f"component.{DOMAIN}.config_subentries.{subentry_type}.error.not_https"
    assert translations[key].startswith("L'adresse doit commencer par https ")
