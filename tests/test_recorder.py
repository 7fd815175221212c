"""What the recorder keeps of LockBridge's entities: never a PIN or a guest's contacts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.demo_stack import Demo, set_up, the_state

SENSORS = [
    "sensor.seaside_loft_access_code",
    "sensor.seaside_loft_upcoming_access_code",
    "sensor.seaside_loft_current_guest",
    "sensor.seaside_loft_next_guest",
]


@pytest.mark.usefixtures("every_entity_enabled")
async def test_no_pin_or_contact_reaches_the_recorder(
    recorder_mock: Any, enable_custom_integrations: None, hass: HomeAssistant, demo: Demo
) -> None:
    """Neither the states nor what the recorder keeps of them hold a PIN or a contact."""
    await set_up(hass, demo.entry())
    await async_wait_recording_done(hass)
    assert the_state(hass, SENSORS[1]).attributes["code_id"]
    assert the_state(hass, SENSORS[3]).attributes["booking_id"]

    recorded = await hass.async_add_executor_job(
        get_significant_states, hass, dt_util.utcnow() - timedelta(hours=1), None, SENSORS
    )

    assert set(recorded) == set(SENSORS)
    for states in recorded.values():
        for state in states:
            assert isinstance(state, State)
            assert not {"pin", "phone", "email"} & set(state.attributes)
            assert state.attributes.get("friendly_name")  # the rest is kept
