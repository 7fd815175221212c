"""A calendar of stays per unit: check-in to check-out, as the door code allows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .engine.occupancy import UnitStay, focus_stay
from .entity import UnitEntity, add_unit_entities
from .models import Unit
from .sync.coordinator import SyncCoordinator

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

PARALLEL_UPDATES = 0


def _event(stay: UnitStay, labels: Mapping[str, str]) -> CalendarEvent:
    """The stay as the guest sees it; its text in Home Assistant's language."""
    booking = stay.booking
    lines = [
        f"{labels.get('booking_id', 'Booking')}: {booking.key}",
        booking.channel,
        *(
            f"{labels.get(key, key)}: {number}"
            for key, number in (("adults", booking.adults), ("children", booking.children))
            if number
        ),
    ]
    return CalendarEvent(
        start=stay.check_in,  # the guest's times; the code's window may be wider
        end=stay.check_out,
        summary=booking.guest_name,
        description="\n".join(line for line in lines if line),
        uid=str(booking.key),
    )


class StaysCalendar(UnitEntity, CalendarEntity):
    """The unit's confirmed stays."""

    _attr_name = None

    def __init__(self, coordinator: SyncCoordinator, unit: Unit) -> None:
        super().__init__(coordinator, unit, "stays")

    @property
    def event(self) -> CalendarEvent | None:
        """The stay in progress, else the next one."""
        stay = focus_stay(self.view.stays, dt_util.now())
        return _event(stay, self.coordinator.labels) if stay else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Stays that overlap the range."""
        return [
            _event(stay, self.coordinator.labels)
            for stay in self.view.stays
            if stay.check_out > start_date and stay.check_in < end_date
        ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LockBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One calendar per managed unit."""
    await add_unit_entities(
        entry.runtime_data.coordinator,
        async_add_entities,
        lambda c, unit: [StaysCalendar(c, unit)],
    )
