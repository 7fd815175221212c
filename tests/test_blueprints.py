"""The automation blueprints in blueprints/, loaded and run by Home Assistant's own machinery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
import logging
from pathlib import Path
import re
import shutil
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint import Blueprint
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
    get_test_config_dir,
)

from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up, the_state
from tests.devstack.stack import REPO

FOLDER = REPO / "blueprints" / "automation" / "lockbridge"
SOURCE_URL = "https://github.com/lockbridge/lockbridge/blob/main/blueprints/automation/lockbridge/"
SEND_PIN = "send_pin_before_arrival.yaml"
CHECKED_IN = "notify_guest_checked_in.yaml"
NOT_IN_BY = "guest_not_in_by.yaml"
CLEANER = "tell_cleaner_on_departure.yaml"
BLUEPRINTS = [SEND_PIN, CHECKED_IN, NOT_IN_BY, CLEANER]

#: Inputs each blueprint is tried with (besides its defaults).
SAMPLE_INPUTS: dict[str, dict[str, Any]] = {
    SEND_PIN: {
        "days": 1,
        "time": "09:30:00",
        "via": "notify",
        "notify_action": "notify.smtp_guests",
        "subject": "Your code for {unit}",
        "entry": "01JABCDEFGHJKMNPQRSTVWXYZ0",
    },
    CHECKED_IN: {"notify_action": "notify.mobile_app_phone", "units": ["Seaside Loft"]},
    NOT_IN_BY: {"notify_action": "notify.mobile_app_phone", "also_on_event": True},
    CLEANER: {
        "notify_action": "notify.cleaner",
        "day_sensors": ["sensor.seaside_loft_day", "sensor.garden_studio_day"],
        "only_after": "08:00:00",
        "only_before": "20:00:00",
    },
}


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


@pytest.fixture
def hass_config_dir(tmp_path: Path) -> str:
    """A configuration folder of the test's own (the harness's is shared), with the
    repository's blueprints where Home Assistant looks for them."""
    shutil.copytree(get_test_config_dir(), tmp_path, dirs_exist_ok=True)
    target = tmp_path / "blueprints" / "automation" / "lockbridge"
    target.mkdir(parents=True, exist_ok=True)
    for path in FOLDER.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return str(tmp_path)


@pytest.fixture(autouse=True)
async def automations_off(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[None]:
    """No automation, script or template trouble logged; automations off at the end (their
    time triggers would outlive the test)."""
    yield
    if "automation" in hass.config.components:
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )
        await hass.async_block_till_done()
    assert automation_errors(caplog) == []


def use(name: str, alias: str | None = None, **inputs: Any) -> dict[str, Any]:
    """An automation made from one of our blueprints."""
    return {
        "alias": alias or name.removesuffix(".yaml"),
        "use_blueprint": {"path": f"lockbridge/{name}", "input": inputs},
    }


async def automations(hass: HomeAssistant, *configs: dict[str, Any]) -> None:
    """Set the automations up; each one must load and be on."""
    assert await async_setup_component(hass, "automation", {"automation": list(configs)})
    await hass.async_block_till_done()
    for config in configs:
        entity_id = f"automation.{config['alias']}"
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state == STATE_ON, entity_id


def automation_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors Home Assistant logged about automations, scripts and templates."""
    return [
        record.getMessage()
        for record in caplog.get_records("setup") + caplog.get_records("call")
        if record.levelno >= logging.WARNING
        and record.name.startswith(("homeassistant.components.automation", "homeassistant.helpers"))
    ]


async def settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    """Move the clock to `moment` and let what falls due run."""
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def idle() -> None:
    """Let the event loop run what is ready (without waiting for runs that wait)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def stays_of(hass: HomeAssistant, day: str) -> list[dict[str, Any]]:
    """The stays lockbridge.get_stays gives for one day, as an automation reads them."""
    found = await hass.services.async_call(
        DOMAIN, "get_stays", {"start": day, "end": day}, blocking=True, return_response=True
    )
    assert found is not None
    return cast("list[dict[str, Any]]", found["stays"])


def pin_of(demo: Demo, booking_id: str) -> str:
    """The PIN on the keypad for a booking ("smoobu:58123402")."""
    (pin,) = [
        code.code for code in demo.thekeys.codes() if str(parse_tag(code.description)) == booking_id
    ]
    return pin


def smoobu_booking(demo: Demo, guest: str) -> int:
    """A demo guest's Smoobu booking id."""
    (booking,) = [b for b, data in demo.smoobu.bookings.items() if data["guest-name"] == guest]
    return booking


# ---- every blueprint ----


@pytest.mark.parametrize("name", BLUEPRINTS)
async def test_the_blueprint_loads_and_its_inputs_are_sound(hass: HomeAssistant, name: str) -> None:
    found = await async_get_blueprints(hass).async_get_blueprints()
    blueprint = found[f"lockbridge/{name}"]
    assert isinstance(blueprint, Blueprint), blueprint
    assert blueprint.validate() is None  # this Home Assistant is recent enough
    metadata = blueprint.metadata
    assert metadata["domain"] == "automation"
    assert metadata["author"] == "LockBridge"
    assert metadata["source_url"] == SOURCE_URL + name
    assert metadata["homeassistant"] == {"min_version": "2026.8.0"}
    assert "every unit" in metadata["description"]
    assert blueprint.data["mode"] in ("queued", "parallel")  # units may fire at once
    for key, spec in blueprint.inputs.items():
        assert spec.get("name"), key
        assert spec.get("description"), key
        assert "selector" in spec, key
        check = cast("Callable[[Any], Any]", selector.selector(spec["selector"]))
        if "default" in spec:
            check(spec["default"])
        if key in SAMPLE_INPUTS[name]:
            check(SAMPLE_INPUTS[name][key])
    assert set(SAMPLE_INPUTS[name]) <= set(blueprint.inputs)


async def test_an_automation_from_each_blueprint_loads(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await automations(
        hass,
        *(use(name, f"sample_{i}", **SAMPLE_INPUTS[name]) for i, name in enumerate(BLUEPRINTS)),
        # With no more than the inputs a blueprint requires.
        use(SEND_PIN, "defaults_0"),
        use(CHECKED_IN, "defaults_1", notify_action="notify.phone"),
        use(NOT_IN_BY, "defaults_2", notify_action="notify.phone"),
        use(CLEANER, "defaults_3", notify_action="notify.phone", day_sensors=["sensor.a_day"]),
    )
    assert automation_errors(caplog) == []


# ---- 1. the door code, N days before arrival ----


async def fake_stays(hass: HomeAssistant, stays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """lockbridge.get_stays answering `stays` whatever the dates: the blueprint must filter."""
    asked: list[dict[str, Any]] = []

    async def get_stays(call: ServiceCall) -> ServiceResponse:
        asked.append(dict(call.data))
        return {"stays": stays}  # type: ignore[dict-item]

    hass.services.async_register(
        DOMAIN, "get_stays", get_stays, supports_response=SupportsResponse.ONLY
    )
    return asked


def a_stay(booking_id: str, guest: str, arrival: str, **extra: Any) -> dict[str, Any]:
    """A stay as lockbridge.get_stays gives it (three nights in Paris)."""
    departure = (date.fromisoformat(arrival) + timedelta(days=3)).isoformat()
    return {
        "booking_id": booking_id,
        "unit": "Seaside Loft",
        "guest": guest,
        "language": None,
        "arrival": arrival,
        "departure": departure,
        "check_in": f"{arrival}T15:00:00+01:00",
        "check_out": f"{departure}T12:00:00+01:00",
        "start": f"{arrival}T15:00:00+01:00",
        "end": f"{departure}T12:00:00+01:00",
        "lock": "Seaside Loft - Front door",
        "code_state": "scheduled",
        "code_id": "684008",
        "pin": "0482",
        "checked_in": None,
        "email": None,
        "phone": None,
        **extra,
    }


async def test_the_pin_goes_by_notify_to_each_guests_contact_with_the_text_filled_in(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to("2026-11-20T08:00:00+01:00")
    asked = await fake_stays(
        hass,
        [
            a_stay("hotelrunner:R1/HR:1", "Ayşe Yılmaz", "2026-11-22", email="ayse@example.com"),
            a_stay("smoobu:1", "Zoë Müller", "2026-11-22", phone="+905321112233", pin="7315"),
            a_stay("smoobu:2", "No Contact", "2026-11-22", pin="1111"),
            a_stay("smoobu:3", "No Code Yet", "2026-11-22", pin=None, email="x@example.com"),
            a_stay("smoobu:4", "In House", "2026-11-19", pin="2222", email="in@example.com"),
        ],
    )
    sent = async_mock_service(hass, "notify", "guests")
    await automations(
        hass,
        use(
            SEND_PIN,
            "door_code",
            via="notify",
            notify_action="guests",  # "notify." may be left out
            subject="Your door code for {unit}",
            entry="entry-1",
        ),
    )

    await settle(hass, freezer, "2026-11-20T10:00:01+01:00")

    assert asked == [{"start": "2026-11-22", "end": "2026-11-22", "config_entry_id": "entry-1"}]
    assert [(call.data["target"], call.data["title"], call.data["message"]) for call in sent] == [
        (
            ["ayse@example.com"],
            "Your door code for Seaside Loft",
            "Hello Ayşe Yılmaz, your door code for Seaside Loft is 0482. "
            "It works Sun 22 Nov 15:00 → Wed 25 Nov 12:00.",
        ),
        (
            ["+905321112233"],  # a phone number stays text
            "Your door code for Seaside Loft",
            "Hello Zoë Müller, your door code for Seaside Loft is 7315. "
            "It works Sun 22 Nov 15:00 → Wed 25 Nov 12:00.",
        ),
    ]


async def test_one_failed_message_does_not_stop_the_others(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to("2026-11-22T08:00:00+01:00")
    await fake_stays(
        hass,
        [
            a_stay("smoobu:1", "First Guest", "2026-11-22", email="a@example.com"),
            a_stay("smoobu:2", "Second Guest", "2026-11-22", email="b@example.com"),
        ],
    )
    sent = async_mock_service(hass, "notify", "guests")
    refused = 0

    async def send_guest_message(call: ServiceCall) -> None:
        nonlocal refused
        refused += 1
        raise ServiceValidationError("message_already_sent")

    hass.services.async_register(DOMAIN, "send_guest_message", send_guest_message)
    await automations(hass, use(SEND_PIN, "door_code", days=0, notify_action="notify.guests"))
    await settle(hass, freezer, "2026-11-22T10:00:01+01:00")
    assert refused == 2  # Smoobu guests: their conversation, both tried
    assert sent == []
    assert (
        automation_errors(caplog)
        == [
            "door_code: Repeat at step 4: If at step 2: Error executing script. "
            "Error for call_service at pos 1: message_already_sent"
        ]
        * 2
    )
    caplog.clear()


async def test_each_arriving_guest_gets_their_pin_through_smoobu_or_the_notify_action(
    hass: HomeAssistant,
    demo: Demo,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_up(hass, demo.entry())
    sent = async_mock_service(hass, "notify", "smtp_guests")
    await automations(
        hass,
        use(SEND_PIN, "door_code", days=0, time="11:00:00", notify_action="notify.smtp_guests"),
    )
    arriving = [s for s in await stays_of(hass, "2026-11-23") if s["arrival"] == "2026-11-23"]
    assert {s["guest"] for s in arriving} == {"Zoë Müller", "Ayşe Yılmaz"}

    await settle(hass, freezer, "2026-11-23T11:00:01+01:00")

    # Zoë (Smoobu): in her booking's conversation, with her PIN; nobody else there.
    zoe = smoobu_booking(demo, "Zoë Müller")
    assert set(demo.smoobu.messages) == {zoe}
    [message] = demo.smoobu.messages[zoe]
    assert message["subject"] == "Seaside Loft"
    assert message["message"] == (
        f"Hello Zoë Müller, your door code for Seaside Loft is {pin_of(demo, f'smoobu:{zoe}')}. "
        "It works Mon 23 Nov 15:00 → Fri 27 Nov 12:00."
    )
    # Ayşe (HotelRunner, no messaging): by the notify action, at her e-mail address.
    ayse = next(s for s in arriving if s["guest"] == "Ayşe Yılmaz")
    [call] = sent
    assert call.data["target"] == ["ayse.yilmaz@example.com.tr"] == [ayse["email"]]
    assert call.data["title"] == "Standard Room"
    assert call.data["message"] == (
        f"Hello Ayşe Yılmaz, your door code for Standard Room is "
        f"{pin_of(demo, ayse['booking_id'])}. It works Mon 23 Nov 15:00 → Wed 25 Nov 12:00."
    )

    # Nothing Home Assistant logged holds a PIN (a loop's items are logged: stays are not).
    pins = [re.compile(rf"(?<![\d.:-]){s['pin']}(?![\d.:-])") for s in arriving]
    logged = [
        # Ids are not PINs: a random PIN may equal a lock's id ("lock_id=3703") by chance.
        re.sub(r"\b\w*id=[\w:./-]+", "", r.getMessage())
        for r in caplog.records
        if r.name != "pytest_homeassistant_custom_component.common"  # the harness's .storage
    ]
    assert not [text for text in logged for pin in pins if pin.search(text)]

    # The next morning: nobody arrives, nothing more is sent.
    await settle(hass, freezer, "2026-11-24T11:00:01+01:00")
    assert sum(len(m) for m in demo.smoobu.messages.values()) == 1
    assert len(sent) == 1


async def test_with_notify_for_every_guest_smoobu_guests_get_it_by_e_mail_too(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry())
    sent = async_mock_service(hass, "notify", "smtp_guests")
    await automations(
        hass,
        use(
            SEND_PIN,
            "door_code",
            days=0,
            time="11:00:00",
            via="notify",
            notify_action="notify.smtp_guests",
            subject="Door code: {unit}",
            entry=entry.entry_id,
        ),
    )
    await settle(hass, freezer, "2026-11-23T11:00:01+01:00")
    assert demo.smoobu.messages == {}
    zoe = smoobu_booking(demo, "Zoë Müller")
    assert sorted((call.data["target"], call.data["title"]) for call in sent) == [
        (["ayse.yilmaz@example.com.tr"], "Door code: Standard Room"),
        (["zoe.mueller@example.de"], "Door code: Seaside Loft"),
    ]
    zoe_mail = next(call for call in sent if call.data["target"] == ["zoe.mueller@example.de"])
    assert pin_of(demo, f"smoobu:{zoe}") in zoe_mail.data["message"]


async def test_two_days_before_the_smoobu_guest_hears_and_the_others_do_not(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    await automations(hass, use(SEND_PIN, "door_code", days=5, time="10:30:00"))
    await settle(hass, freezer, "2026-11-23T10:30:01+01:00")
    amelie = smoobu_booking(demo, "Amélie Laurent")  # arrives on the 28th
    assert set(demo.smoobu.messages) == {amelie}
    [message] = demo.smoobu.messages[amelie]
    assert pin_of(demo, f"smoobu:{amelie}") in message["message"]


# ---- 2. a guest is in ----


async def test_the_host_hears_when_a_guest_is_in_for_the_units_chosen(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    every = async_mock_service(hass, "notify", "mobile_app_phone")
    seaside = async_mock_service(hass, "notify", "seaside_owner")
    await automations(
        hass,
        use(CHECKED_IN, "every_unit", notify_action="notify.mobile_app_phone"),
        use(CHECKED_IN, "seaside", notify_action="notify.seaside_owner", units=["seaside loft"]),
    )
    for unit, guest in (("Seaside Loft", "Zoë"), ("Garden Studio", "Hiroshi")):
        hass.bus.async_fire(
            "lockbridge_guest_checked_in",
            {
                "entry_id": "entry-1",
                "booking_id": "smoobu:58123402",
                "source": "smoobu",
                "unit_id": "101",
                "unit": unit,
                "lock_id": 3701,
                "lock": f"{unit} - Front door",
                "guest": guest,
                "time": "2026-11-23T14:42:10+00:00",
                "how": "keypad",
                "early": False,
            },
        )
    await hass.async_block_till_done()
    assert [call.data["message"] for call in every] == [
        "Zoë is in at Seaside Loft (15:42)",
        "Hiroshi is in at Garden Studio (15:42)",
    ]
    assert [call.data["message"] for call in seaside] == ["Zoë is in at Seaside Loft (15:42)"]


async def test_a_guest_marked_in_is_told_to_the_host_without_their_pin(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry())
    sent = async_mock_service(hass, "notify", "mobile_app_phone")
    await automations(hass, use(CHECKED_IN, "guest_in", notify_action="notify.mobile_app_phone"))
    zoe = f"smoobu:{smoobu_booking(demo, 'Zoë Müller')}"
    await settle(hass, freezer, "2026-11-23T15:42:00+01:00")
    await hass.services.async_call(
        DOMAIN, "mark_checked_in", {"booking": zoe}, blocking=True, return_response=True
    )
    await hass.async_block_till_done()
    assert [call.data["message"] for call in sent] == ["Zoë is in at Seaside Loft (15:42)"]
    assert pin_of(demo, zoe) not in sent[0].data["message"]


# ---- 3. a guest not in by 20:00 ----


async def test_the_host_hears_at_eight_of_each_guest_due_today_who_is_not_in(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry())
    sent = async_mock_service(hass, "notify", "mobile_app_phone")
    await automations(hass, use(NOT_IN_BY, "not_in", notify_action="notify.mobile_app_phone"))
    await settle(hass, freezer, "2026-11-23T19:59:00+01:00")
    assert sent == []

    await settle(hass, freezer, "2026-11-23T20:00:01+01:00")

    # Zoë and Ayşe arrive today and nobody saw them; Hiroshi (in house) and Lars (left) not.
    messages = sorted(call.data["message"] for call in sent)
    assert messages == [
        "Ayşe is not in yet at Standard Room (check-in 15:00).",
        "Zoë is not in yet at Seaside Loft (check-in 15:00).",
    ]
    today = await stays_of(hass, "2026-11-23")
    pins = [s["pin"] for s in today if s["pin"]]
    assert len(pins) == len(today) == 4
    assert not [m for m in messages for pin in pins if pin in m]  # a host is never told a PIN
    assert not [m for m in messages for s in today if s["guest"] in m]  # first names only


async def test_a_guest_marked_in_is_not_reported_late(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry())
    sent = async_mock_service(hass, "notify", "mobile_app_phone")
    await automations(hass, use(NOT_IN_BY, "not_in", notify_action="notify.mobile_app_phone"))
    zoe = f"smoobu:{smoobu_booking(demo, 'Zoë Müller')}"
    await settle(hass, freezer, "2026-11-23T15:20:00+01:00")
    await hass.services.async_call(
        DOMAIN, "mark_checked_in", {"booking": zoe}, blocking=True, return_response=True
    )
    [stay] = [s for s in await stays_of(hass, "2026-11-23") if s["booking_id"] == zoe]
    assert stay["checked_in"] is not None

    await settle(hass, freezer, "2026-11-23T20:00:01+01:00")
    assert [call.data["message"] for call in sent] == [
        "Ayşe is not in yet at Standard Room (check-in 15:00)."
    ]


async def test_the_not_arrived_event_is_told_only_when_asked_for(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    told = async_mock_service(hass, "notify", "told")
    not_told = async_mock_service(hass, "notify", "not_told")
    await automations(
        hass,
        use(NOT_IN_BY, "with_event", notify_action="notify.told", also_on_event=True),
        use(NOT_IN_BY, "without_event", notify_action="notify.not_told"),
    )
    hass.bus.async_fire(
        "lockbridge_guest_not_arrived",
        {
            "entry_id": "entry-1",
            "booking_id": "smoobu:58123402",
            "source": "smoobu",
            "unit_id": "101",
            "unit": "Seaside Loft",
            "lock_id": 3701,
            "lock": "Seaside Loft - Front door",
            "guest": "Zoë",
            "check_in": "2026-11-23T15:00:00+01:00",
            "expected_by": "2026-11-23T18:00:00+01:00",
        },
    )
    await hass.async_block_till_done()
    assert [call.data["message"] for call in told] == [
        "Zoë is not in yet at Seaside Loft (check-in 15:00)."
    ]
    assert not_told == []


# ---- 4. the cleaner, when a unit is departed ----


async def test_the_cleaner_hears_when_a_unit_is_departed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to("2026-11-23T11:00:00+01:00")
    loft, studio = "sensor.seaside_loft_day", "sensor.garden_studio_day"
    hass.states.async_set(loft, "in_house", {"friendly_name": "Seaside Loft Day"})
    hass.states.async_set(studio, "unavailable", {"friendly_name": "Garden Studio Day"})
    hass.states.async_set("sensor.other_day", "in_house", {"friendly_name": "Other Day"})
    sent = async_mock_service(hass, "notify", "cleaner")
    await automations(
        hass,
        use(CLEANER, "cleaner", notify_action="notify.cleaner", day_sensors=[loft, studio]),
    )

    next_guest = {"next_guest": "Amélie", "next_check_in": "2026-11-28T15:00:00+01:00"}
    hass.states.async_set(loft, "departed", {"friendly_name": "Seaside Loft Day", **next_guest})
    hass.states.async_set(studio, "departed", {"friendly_name": "Garden Studio Day"})  # restart
    hass.states.async_set("sensor.other_day", "departed", {"friendly_name": "Other Day"})
    await hass.async_block_till_done()
    hass.states.async_set(studio, "vacant", {"friendly_name": "Garden Studio Day"})
    hass.states.async_set(studio, "departed", {"friendly_name": "Garden Studio Day"})
    await hass.async_block_till_done()

    assert [call.data["message"] for call in sent] == [
        "Seaside Loft is free: the guest has left. Next guest: Amélie (Sat 28 Nov 15:00).",
        "Garden Studio is free: the guest has left. Next guest: —.",
    ]


async def test_the_cleaner_hears_when_the_demo_loft_is_left(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry())
    loft = "sensor.seaside_loft_day"
    assert hass.states.get(loft) is not None
    sent = async_mock_service(hass, "notify", "cleaner")
    await automations(
        hass,
        use(
            CLEANER,
            "cleaner",
            notify_action="notify.cleaner",
            day_sensors=[loft, "sensor.garden_studio_day"],
        ),
    )
    await settle(hass, freezer, "2026-11-23T11:59:00+01:00")
    assert sent == []
    # Lars leaves at 12:00 and Zoë is due at 15:00: the loft is departed until then.
    for minute in range(1, 12):
        await settle(hass, freezer, f"2026-11-23T12:{minute:02}:00+01:00")
        if sent:
            break
    assert the_state(hass, loft).state == "departed"
    assert [call.data["message"] for call in sent] == [
        "Seaside Loft is free: the guest has left. Next guest: Zoë (Mon 23 Nov 15:00)."
    ]


async def test_outside_the_hours_the_cleaner_hears_when_they_begin(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to("2026-11-23T21:00:00+01:00")
    loft, studio = "sensor.seaside_loft_day", "sensor.garden_studio_day"
    hass.states.async_set(loft, "in_house", {"friendly_name": "Seaside Loft Day"})
    hass.states.async_set(studio, "in_house", {"friendly_name": "Garden Studio Day"})
    sent = async_mock_service(hass, "notify", "cleaner")
    await automations(
        hass,
        use(
            CLEANER,
            "cleaner",
            notify_action="notify.cleaner",
            day_sensors=[loft, studio],
            only_after="08:00:00",
            only_before="20:00:00",
        ),
    )
    # The run waits for 08:00: waiting for every task (async_block_till_done) would hang.
    hass.states.async_set(loft, "departed", {"friendly_name": "Seaside Loft Day"})
    await idle()
    assert sent == []
    freezer.move_to("2026-11-24T07:59:00+01:00")
    async_fire_time_changed(hass)
    await idle()
    assert sent == []

    await settle(hass, freezer, "2026-11-24T08:00:01+01:00")
    assert [call.data["message"] for call in sent] == [
        "Seaside Loft is free: the guest has left. Next guest: —."
    ]
    # Within the hours: at once.
    freezer.move_to("2026-11-24T10:30:00+01:00")
    hass.states.async_set(studio, "departed", {"friendly_name": "Garden Studio Day"})
    await hass.async_block_till_done()
    assert [call.data["message"] for call in sent][1:] == [
        "Garden Studio is free: the guest has left. Next guest: —."
    ]
