"""What a loaded entry keeps at hand (`entry.runtime_data`), for every module above the sync."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .activity.watch import DoorWatch
from .api import TheKeysClient
from .repairs import Issues
from .storage import StateStore
from .sync.coordinator import SyncCoordinator


@dataclass(slots=True)
class LockBridgeData:
    """What a loaded entry keeps at hand."""

    client: TheKeysClient
    coordinator: SyncCoordinator
    state: StateStore
    issues: Issues
    #: The doors: activity read where a guest is due, check-ins, housekeeping, health.
    watch: DoorWatch


type LockBridgeConfigEntry = ConfigEntry[LockBridgeData]
