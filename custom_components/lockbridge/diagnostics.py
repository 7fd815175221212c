"""Diagnostics: configuration, sources, locks, codes and the last plan, with secrets redacted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .engine.ownership import parse_tag
from .models import keypad_value
from .services import plan_response
from .sources.push import CONF_CLOUDHOOK_URL, CONF_WEBHOOK_ID
from .sources.registry import secret_keys

if TYPE_CHECKING:
    from .runtime import LockBridgeConfigEntry

#: Credentials, ids that work as credentials, PINs and guests' contacts.
TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    *secret_keys(),  # every source's credentials (an hr_id too)
    CONF_WEBHOOK_ID,  # the webhook's only key
    CONF_CLOUDHOOK_URL,  # Home Assistant Cloud's address for it: a key just as good
    "pin",
    "pins",
    "phone",
    "email",
    "title",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: LockBridgeConfigEntry
) -> dict[str, Any]:
    """Everything needed to understand a sync, nothing that opens a door or reaches a guest."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    sources = [
        {
            "type": source.subentry.subentry_type,
            "last_update_success": source.last_update_success,
            "failures": source.failures,
            "last_error": source.last_error,
            "interval_seconds": source.update_interval.total_seconds()
            if source.update_interval
            else None,
            "bookings": len(source.data.bookings) if source.data else None,
            "pushes": source.pushes.as_dict(),
            # One shape for every source: a delivery queue's, None where there is none.
            "delivery_queue": None,
            "confirmations": None,
            **source.diagnostics(),
            "rejected": [
                {"booking_id": str(item.key), "reason": str(item.reason)}
                for item in (source.data.rejected if source.data else ())
            ],
            "units": [
                {
                    "unit_id": unit.key.unit_id,
                    "name": unit.name,
                    "keypad": keypad_value(unit.keypad) if unit.keypad else None,
                }
                for unit in source.units
            ],
        }
        for source in coordinator.sources.values()
    ]
    locks = [
        {
            "id": lock.id,
            "name": lock.name,
            "timezone": lock.timezone,
            "state": str(lock.state),
            "battery_raw": lock.battery_raw,
            "has_gateway": lock.has_gateway,
            "keypads": [keypad.id for keypad in lock.keypads],
            "codes": [
                {
                    "id": code.id,
                    "keypad_id": code.keypad_id,
                    # Only our tag: a foreign code's description is the host's free text.
                    "booking": str(key) if (key := parse_tag(code.description)) else None,
                    "start": f"{code.start_date} {code.start_time}",
                    "end": f"{code.end_date} {code.end_time}",
                    "active": code.active,
                }
                for code in data.codes.get(lock.id, ())
            ],
        }
        for lock in (data.account.locks if data else ())
    ]
    return {
        "entry": async_redact_data(
            {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
            TO_REDACT,
        ),
        "subentries": [
            async_redact_data(
                {
                    "subentry_id": sub.subentry_id,
                    "type": sub.subentry_type,
                    "unique_id": sub.unique_id,
                    "data": dict(sub.data),
                },
                TO_REDACT,
            )
            for sub in entry.subentries.values()
        ],
        "sources": sources,
        "locks": locks,
        "last_sync": data.synced.isoformat() if data else None,
        "plan": plan_response(data.plan, dry_run=False, failed=0) if data else None,
        "problems": coordinator.problems(),
        # Reads, entries kept and dropped, unknown actions: no booking, no code id, no name.
        "doors": entry.runtime_data.watch.diagnostics(),
        "journal": {
            "bookings_with_pin": len(coordinator.journal.pins),
            "interrupted": list(coordinator.journal.interrupted),
        },
        "state": async_redact_data(
            {
                key: value
                for key, value in entry.runtime_data.state.as_dict().items()
                if key not in ("bookings", "session")  # guests' data; The Keys token
            },
            TO_REDACT,
        ),
    }
