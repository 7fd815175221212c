"""The Guests card's websocket commands: the stays for anyone, their PINs for admins only.

Home Assistant has no per-entity read permission, so what a non-admin may see is decided
here: `lockbridge/guests` never carries a PIN, a phone number or an e-mail address.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .engine.occupancy import UnitStay
from .models import Unit
from .outage import cloud_status, clouds_of, outage_problems
from .stays import code_state, failed_bookings, loaded_entries, pin_of

if TYPE_CHECKING:
    import probatio as vol

    from .runtime import LockBridgeConfigEntry
else:
    import voluptuous as vol

GUESTS = f"{DOMAIN}/guests"
PINS = f"{DOMAIN}/pins"
DEFAULT_DAYS = 14
MAX_DAYS = 90


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the commands (once, from async_setup)."""
    websocket_api.async_register_command(hass, ws_guests)
    websocket_api.async_register_command(hass, ws_pins)


def _entries(hass: HomeAssistant, entry_id: str | None) -> list[LockBridgeConfigEntry] | None:
    """The loaded accounts asked for; None when the one named is not loaded."""
    entries = loaded_entries(hass)
    if entry_id is None:
        return entries
    found = [entry for entry in entries if entry.entry_id == entry_id]
    return found or None


def _stays(
    entry: LockBridgeConfigEntry, now: datetime, days: int
) -> Iterator[tuple[Unit, list[UnitStay]]]:
    """Each managed unit and its stays from today's departures to `days` ahead, by check-in."""
    coordinator = entry.runtime_data.coordinator
    today = dt_util.start_of_local_day()
    until = now + timedelta(days=days)
    for unit in coordinator.units:
        if unit.keypad is None:
            continue
        stays = [
            stay
            for stay in coordinator.unit_view(unit).stays
            if stay.check_out >= today and stay.check_in < until
        ]
        yield unit, sorted(stays, key=lambda stay: (stay.check_in, str(stay.booking.key)))


def _entry_answer(
    hass: HomeAssistant, entry: LockBridgeConfigEntry, now: datetime, days: int
) -> dict[str, Any]:
    """One account for the card: its clouds, problems and units with their stays."""
    coordinator = entry.runtime_data.coordinator
    clouds = clouds_of(coordinator)
    registry = er.async_get(hass)
    failed = failed_bookings(coordinator)
    overrides = entry.runtime_data.state.overrides()
    today = now.date()
    watch = entry.runtime_data.watch
    units = []
    for unit, stays in _stays(entry, now, days):
        lock_id = unit.keypad.lock_id if unit.keypad else None
        lock = coordinator.lock(lock_id) if lock_id is not None else None
        lock_entity = registry.async_get_entity_id("lock", DOMAIN, f"{lock_id}_lock")
        rows = []
        for stay in stays:
            booking = stay.booking
            code = coordinator.code_for(booking.key)
            arrival = watch.arrival(booking.key)
            # Named fields only: never the booking's phone or e-mail, never the code's PIN.
            rows.append(
                {
                    "booking_id": str(booking.key),
                    "guest": booking.guest_name,
                    "check_in": stay.check_in.isoformat(),
                    "check_out": stay.check_out.isoformat(),
                    "start": stay.start.isoformat(),
                    "end": stay.end.isoformat(),
                    "code_state": code_state(stay, code, now, failed=booking.key in failed),
                    "in_house": stay.start <= now < stay.end,
                    "arriving_today": booking.arrival == today,
                    "departing_today": booking.departure == today,
                    "adults": booking.adults,
                    "children": booking.children,
                    "channel": booking.channel or None,
                    "override": booking.key in overrides,
                    "lock_entity": lock_entity,
                    "code_id": str(code.id) if code else None,
                    # Seen at the door (or marked in by the host), and when; or late.
                    "checked_in": arrival.at.isoformat() if arrival else None,
                    "checked_in_how": str(arrival.how) if arrival else None,
                    "late": watch.late(stay, now),
                }
            )
        units.append(
            {
                "unit_id": unit.unique_id,
                "name": unit.name,
                "calendar": registry.async_get_entity_id(
                    "calendar", DOMAIN, f"{unit.unique_id}_stays"
                ),
                "lock": lock.name if lock else None,
                "source": unit.key.source,
                "can_message": coordinator.sources[unit.subentry_id].can_message,
                "day": str(watch.day(unit, now)[0]),
                "housekeeping": str(watch.housekeeping(unit, now)),
                "housekeeping_entity": registry.async_get_entity_id(
                    "select", DOMAIN, f"{unit.unique_id}_housekeeping"
                ),
                "stays": rows,
            }
        )
    return {
        "entry_id": entry.entry_id,
        "title": entry.title,
        "clouds": [cloud_status(cloud) for cloud in clouds],
        # The sensor's list waits for failures in a row; an outage shows from its first.
        "problems": outage_problems(clouds) + coordinator.problems(),
        "units": units,
    }


@websocket_api.websocket_command(
    {
        vol.Required("type"): GUESTS,
        vol.Optional("days", default=DEFAULT_DAYS): vol.All(
            vol.Coerce(int), vol.Clamp(min=1, max=MAX_DAYS)
        ),
        vol.Optional("entry_id"): cv.string,
    }
)
@callback
def ws_guests(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Every stay of the coming days per unit, with its code's state: for any user."""
    entries = _entries(hass, msg.get("entry_id"))
    if entries is None:
        connection.send_error(msg["id"], websocket_api.ERR_NOT_FOUND, "Account not loaded")
        return
    now = dt_util.now()
    connection.send_result(
        msg["id"],
        {
            "now": now.isoformat(),
            "entries": [_entry_answer(hass, entry, now, msg["days"]) for entry in entries],
        },
    )


@websocket_api.require_admin
@websocket_api.websocket_command(
    {
        vol.Required("type"): PINS,
        vol.Optional("entry_id"): cv.string,
        vol.Optional("booking_ids"): vol.All(cv.ensure_list, vol.Length(max=1000), [cv.string]),
    }
)
@callback
def ws_pins(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The PINs of the stays of the next 90 days: for administrators only."""
    entries = _entries(hass, msg.get("entry_id"))
    if entries is None:
        connection.send_error(msg["id"], websocket_api.ERR_NOT_FOUND, "Account not loaded")
        return
    wanted = set(msg["booking_ids"]) if "booking_ids" in msg else None
    now = dt_util.now()
    pins: dict[str, str] = {}
    for entry in entries:
        coordinator = entry.runtime_data.coordinator
        for _, stays in _stays(entry, now, MAX_DAYS):
            for stay in stays:
                key = stay.booking.key
                if (wanted is None or str(key) in wanted) and (pin := pin_of(coordinator, key)):
                    pins[str(key)] = pin
    connection.send_result(msg["id"], {"pins": pins})
