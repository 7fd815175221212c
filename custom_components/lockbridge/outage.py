"""Clouds that cannot be read: what the Guests card says at once, and the repair it turns into.

The sync problem sensor waits for a few failures in a row; the card and this repair go by
the time the outage began (the first failed read since the last good one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .clock import ClockedCoordinator
from .const import ARRIVAL_DUE_WITHIN, OUTAGE_REPAIR_AFTER
from .models import Unit
from .repairs import CLOUD_UNREADABLE
from .sync.coordinator import SyncCoordinator

#: The Keys in the card's cloud list and in the repair's id (sources go by subentry id).
THEKEYS = "thekeys"
#: How often an outage is checked against the arrivals (also at each change of a cloud).
CHECK_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Cloud:
    """A cloud the account reads: The Keys, or one booking source."""

    kind: str
    #: Names the cloud in a repair's id: "thekeys" or the source's subentry id.
    part: str
    name: str
    coordinator: ClockedCoordinator[Any]
    #: The managed units whose codes depend on it.
    units: tuple[Unit, ...]


def clouds_of(coordinator: SyncCoordinator) -> list[Cloud]:
    """The Keys (every unit depends on it), then each source with its units."""
    managed = tuple(unit for unit in coordinator.units if unit.keypad is not None)
    clouds = [Cloud(THEKEYS, THEKEYS, "The Keys", coordinator, managed)]
    clouds += [
        Cloud(
            source.subentry.subentry_type,
            source.subentry.subentry_id,
            source.subentry.title,
            source,
            tuple(unit for unit in source.units if unit.keypad is not None),
        )
        for source in coordinator.sources.values()
    ]
    return clouds


def _iso(moment: datetime | None) -> str | None:
    return dt_util.as_local(moment).isoformat() if moment else None


def cloud_status(cloud: Cloud) -> dict[str, Any]:
    """A cloud as the card shows it: read or not, as of when, failing since when."""
    clock = cloud.coordinator
    return {
        "kind": cloud.kind,
        "name": cloud.name,
        "ok": clock.last_update_success,
        "as_of": _iso(clock.last_read),
        "failing_since": _iso(clock.failing_since),
    }


def outage_problems(clouds: Iterable[Cloud]) -> list[str]:
    """One line per cloud failing now, from its first failed read."""
    return [
        f"{cloud.name}: unreadable since {dt_util.as_local(since):%H:%M}"
        for cloud in clouds
        if (since := cloud.coordinator.failing_since) is not None
    ]


def _arrival_due(coordinator: SyncCoordinator, units: Iterable[Unit], now: datetime) -> bool:
    """A guest checks in at one of these units within the next day."""
    until = now + ARRIVAL_DUE_WITHIN
    return any(
        now < stay.check_in <= until for unit in units for stay in coordinator.unit_view(unit).stays
    )


@callback
def watch_outages(hass: HomeAssistant, coordinator: SyncCoordinator) -> CALLBACK_TYPE:
    """Raise a repair for a cloud unreadable for a while with a guest due; clear it after."""

    @callback
    def check(_: datetime | None = None) -> None:
        now = dt_util.utcnow()
        raised: set[tuple[str, ...]] = set()
        for cloud in clouds_of(coordinator):
            since = cloud.coordinator.failing_since
            if (
                since is not None
                and now - since >= OUTAGE_REPAIR_AFTER
                and _arrival_due(coordinator, cloud.units, now)
            ):
                raised.add((cloud.part,))
                coordinator.issues.raise_issue(
                    CLOUD_UNREADABLE,
                    cloud.part,
                    placeholders={
                        "cloud": cloud.name,
                        "since": f"{dt_util.as_local(since):%Y-%m-%d %H:%M}",
                    },
                    severity=ir.IssueSeverity.ERROR,
                )
        # Also those of sources removed since.
        coordinator.issues.clear_all_but(CLOUD_UNREADABLE, raised)

    unsubscribe = [async_track_time_interval(hass, check, CHECK_EVERY)]
    unsubscribe += [cloud.coordinator.async_add_listener(check) for cloud in clouds_of(coordinator)]
    check()

    @callback
    def stop() -> None:
        for item in unsubscribe:
            item()

    return stop
