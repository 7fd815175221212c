"""A calendar of stays per unit: check-in to check-out, as the door code allows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import SyncCoordinator
from .engine.occupancy import UnitStay, focus_stay
from .entity import UnitEntity, add_unit_entities
from .models import Unit

if TYPE_CHECKING:
    from . import LockBridgeConfigEntry

PARALLEL_UPDATES = 0


def _count(number: int | None, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}" if number else ""


def _event(stay: UnitStay) -> CalendarEvent:
    booking = stay.booking
    guests = ", ".join(
        part
        for part in (
            _count(booking.adults, "adult", "adults"),
            _count(booking.children, "child", "children"),
        )
        if part
    )
    details = [f"Booking {booking.key}", booking.channel, guests]
    return CalendarEvent(
        start=stay.arrives,  # the guest's times; the code's window may be wider
        end=stay.leaves,
        summary=booking.guest_name,
        description="\n".join(part for part in details if part),
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
        return _event(stay) if stay else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Stays that overlap the range."""
        return [
            _event(stay)
            for stay in self.view.stays
            if stay.leaves > start_date and stay.arrives < end_date
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
