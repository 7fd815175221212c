"""Events of the door: a guest checked in (early or not), or not arrived in time.

No PIN and no guest contact: the recorder keeps every event. The guest is named by first
name only, as a host's notification would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant

from ..api import Lock
from ..const import EVENT_CHECKED_IN, EVENT_EARLY, EVENT_NOT_ARRIVED
from ..engine.arrivals import Arrival
from ..engine.occupancy import UnitStay
from ..models import Unit


def first_name(stay: UnitStay) -> str:
    """The guest's first name (the first word of their name when the source gives no parts)."""
    booking = stay.booking
    return booking.first_name or (booking.guest_name.split() or [""])[0]


@dataclass(frozen=True, slots=True)
class Door:
    """Where a stay's events happen: the entry, the unit and its lock."""

    entry_id: str
    unit: Unit
    lock_id: int
    lock: Lock | None

    def payload(self, stay: UnitStay) -> dict[str, Any]:
        """What every door event carries."""
        key = stay.booking.key
        return {
            "entry_id": self.entry_id,
            "booking_id": str(key),
            "source": key.source,
            "unit_id": self.unit.key.unit_id,
            "unit": self.unit.name,
            "lock_id": self.lock_id,
            "lock": self.lock.name if self.lock else None,
            "guest": first_name(stay),
            "check_in": stay.check_in.isoformat(),
        }


def fire_arrival(hass: HomeAssistant, door: Door, stay: UnitStay, arrival: Arrival) -> None:
    """The guest is in; before their check-in time, an "early" event too."""
    data = door.payload(stay) | {
        "time": arrival.at.isoformat(),
        "how": str(arrival.how),
        "early": arrival.early,
    }
    hass.bus.async_fire(EVENT_CHECKED_IN, data)
    if arrival.early:
        hass.bus.async_fire(EVENT_EARLY, data)


def fire_not_arrived(
    hass: HomeAssistant, door: Door, stay: UnitStay, due: datetime, *, readable: bool
) -> None:
    """Check-in and the delay passed, and the guest was not seen.

    `readable`: the lock's activity could be read (else only the host could have said).
    """
    data = door.payload(stay) | {"expected_by": due.isoformat(), "activity_readable": readable}
    hass.bus.async_fire(EVENT_NOT_ARRIVED, data)
