"""The door's events in the logbook: who came in, when, and who did not.

The events carry the guest's first name only (activity/events.py); so do these lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.components.logbook import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_CHECKED_IN, EVENT_EARLY, EVENT_NOT_ARRIVED

#: The longest unit or guest name a logbook line shows (they come from the booking sources).
MAX_NAME = 80


def _text(value: Any, default: str) -> str:
    return str(value)[:MAX_NAME] if isinstance(value, str) and value else default


def _time(value: Any) -> str:
    """An ISO time as "15:42" in Home Assistant's zone; "?" when unreadable."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    return f"{dt_util.as_local(moment):%H:%M}" if moment and moment.tzinfo else "?"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the door's events."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        data = event.data
        guest = _text(data.get("guest"), "The guest")
        if event.event_type == EVENT_NOT_ARRIVED:
            message = f"{guest} was not seen by {_time(data.get('expected_by'))}"
        elif event.event_type == EVENT_EARLY:
            message = f"{guest} used their code before check-in, at {_time(data.get('time'))}"
        else:
            how = "marked in by the host" if data.get("how") == "manual" else "seen at the keypad"
            message = f"{guest} checked in at {_time(data.get('time'))} ({how})"
        return {
            LOGBOOK_ENTRY_NAME: _text(data.get("unit"), "LockBridge"),
            LOGBOOK_ENTRY_MESSAGE: message,
        }

    for event_type in (EVENT_CHECKED_IN, EVENT_EARLY, EVENT_NOT_ARRIVED):
        async_describe_event(DOMAIN, event_type, describe)
