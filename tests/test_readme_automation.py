"""The README's automation, run as written: it gets each new guest's PIN through get_stays."""

from __future__ import annotations

import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)
import yaml

from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up
from tests.devstack.stack import REPO
from tests.test_staff import MARIE_PIN, marie, with_staff


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def readme_automation(after: str = "Example: send the guest's PIN") -> dict[str, Any]:
    """The first YAML block of the README after `after`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(re.escape(after) + r".*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    loaded: dict[str, Any] = yaml.safe_load(block.group(1))
    return loaded


async def test_the_readme_smoobu_message_goes_out_once_in_the_guests_language(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, demo.entry(hotelrunner=False))
    assert await async_setup_component(
        hass, "automation", readme_automation("For example, the day before arrival")
    )
    for day in (24, 25):  # two mornings before Old Town Flat's next guest: told once
        freezer.move_to(f"2026-11-{day}T10:00:01+01:00")
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)

    [(booking, [message])] = demo.smoobu.messages.items()
    guest = demo.smoobu.bookings[booking]
    assert guest["language"] == "fr"
    code = next(c for c in demo.thekeys.codes() if c.description.endswith(f":{booking}"))
    assert message["subject"] == "Votre code pour Old Town Flat"  # translated like the text
    assert message["message"] == (
        f"Bonjour {guest['guest-name']}, votre code pour Old Town Flat est {code.code}. "
        "Il fonctionne sam. 28 nov. 15:00 → mar. 1 déc. 12:00."
    )


async def test_the_readme_hotelrunner_automation_mails_the_pin(
    hass: HomeAssistant, demo: Demo
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    assert await async_setup_component(
        hass, "automation", readme_automation("HotelRunner has no messaging API")
    )
    await set_up(hass, demo.entry(smoobu=False))

    pins = [
        code.code
        for code in demo.thekeys.codes()
        if (key := parse_tag(code.description)) and key.source == "hotelrunner"
    ]
    assert len(sent) == len(pins) == 4
    assert all(call.data["entity_id"] == ["notify.hotel_mail"] for call in sent)
    assert all(any(pin in call.data["message"] for pin in pins) for call in sent)


async def test_the_readme_automation_sends_each_guest_their_pin(
    hass: HomeAssistant, demo: Demo
) -> None:
    sent = async_mock_service(hass, "notify", "mobile_app_host_phone")
    assert await async_setup_component(hass, "automation", readme_automation())

    await set_up(hass, demo.entry())
    await hass.async_block_till_done()

    # PINs are unique per keypad, not across the account: two guests may share one.
    pins = [
        (booking_code.code, str(key))
        for booking_code in demo.thekeys.codes()
        if (key := parse_tag(booking_code.description)) is not None
    ]
    assert len(sent) == len(pins) == 9
    zoe = next(call.data for call in sent if "Zoë Müller" in call.data["title"])
    zoe_pin = next(pin for pin, key in pins if key == "smoobu:58123402")
    assert zoe["message"].startswith(f"Seaside Loft: PIN {zoe_pin},")
    assert all(any(pin in call.data["message"] for pin, _ in pins) for call in sent)


def test_every_test_the_fault_table_names_exists() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text[
        text.index("## When things go wrong") : text.index("## How it talks to the clouds")
    ]
    named = re.findall(r"`((?:engine/|api/)?test_\w+\.py)(?:::(\w+))?`", table)
    assert len(named) >= 20
    for path, name in named:
        source = (REPO / "tests" / path).read_text(encoding="utf-8")
        if name:
            assert f"def {name}(" in source, f"{path}::{name}"


async def test_the_readme_automation_sends_the_cleaner_their_window_and_pin(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Marie's turnover code is made: her phone gets the unit, the window and her PIN."""
    sent = async_mock_service(hass, "notify", "mobile_app_cleaner_phone")
    assert await async_setup_component(
        hass, "automation", readme_automation("Example: send the cleaner")
    )
    await set_up(hass, with_staff(demo, marie()))
    await hass.async_block_till_done()

    [call] = sent
    # Lars leaves the Seaside Loft at 12:00 on the demo day, Zoë arrives at 15:00.
    assert call.data["message"] == f"Seaside Loft: Mon 23 Nov 12:00 to 15:00, PIN {MARIE_PIN}."
