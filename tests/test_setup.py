"""The whole integration on the demo data set, over real HTTP."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def test_demo_gets_its_codes(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry())

    tagged = {
        str(key): code.lock_id
        for code in demo.thekeys.codes()
        if (key := parse_tag(code.description)) is not None
    }
    print("AUTH", demo.smoobu.last_auth_error, demo.smoobu.signature_failures)
    print(sorted(tagged.items()))
    states = sorted((s.entity_id, s.state) for s in hass.states.async_all())
    for item in states:
        print(item)
    assert tagged
    assert await hass.config_entries.async_unload(entry.entry_id)
