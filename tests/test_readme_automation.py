"""The README's automation, run as written: it gets each new guest's PIN through get_stays."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service
import yaml

from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up
from tests.devstack.stack import REPO


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def readme_automation() -> dict[str, Any]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Example: send the guest's PIN.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    loaded: dict[str, Any] = yaml.safe_load(block.group(1))
    return loaded


async def test_the_readme_automation_sends_each_guest_their_pin(
    hass: HomeAssistant, demo: Demo
) -> None:
    sent = async_mock_service(hass, "notify", "mobile_app_host_phone")
    assert await async_setup_component(hass, "automation", readme_automation())

    await set_up(hass, demo.entry())
    await hass.async_block_till_done()

    pins = {
        booking_code.code: str(key)
        for booking_code in demo.thekeys.codes()
        if (key := parse_tag(booking_code.description)) is not None
    }
    assert len(sent) == len(pins) == 9
    zoe = next(call.data for call in sent if "Zoë Müller" in call.data["title"])
    zoe_pin = next(
        pin for pin, key in pins.items() if key.startswith("smoobu:") and pin in zoe["message"]
    )
    assert zoe["message"].startswith(f"Seaside Loft: PIN {zoe_pin},")
    assert all(any(pin in call.data["message"] for pin in pins) for call in sent)


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
