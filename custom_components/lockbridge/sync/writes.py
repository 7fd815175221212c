"""Entity state writes in batches: thousands written in one go would hold the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import islice

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from ..const import DOMAIN

#: Entity states written per turn of the event loop.
WRITE_BATCH = 16


class EntityWrites:
    """Writes queued by entities, done a batch per turn of the loop, each once."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        #: Waiting for the writer task (insertion-ordered, no repeats).
        self._queued: dict[Callable[[], None], None] = {}
        self._writer: asyncio.Task[None] | None = None
        #: Writes done after every sync, even a quiet one that tells no other entity.
        self._heartbeat: set[Callable[[], None]] = set()

    @callback
    def on_heartbeat(self, write: Callable[[], None]) -> Callable[[], None]:
        """Queue `write` after every sync; returns what stops it."""
        self._heartbeat.add(write)
        return lambda: self._heartbeat.discard(write)

    @callback
    def heartbeat(self) -> None:
        """A sync without news: only the heartbeat writes."""
        for write in self._heartbeat:
            self.queue(write)

    @callback
    def queue(self, write: Callable[[], None]) -> None:
        """Write an entity's state soon, with the others."""
        self._queued[write] = None
        if self._writer is None:
            self._writer = self._entry.async_create_task(
                self._hass, self._write_queued(), f"{DOMAIN} entity states", eager_start=False
            )

    @callback
    def unqueue(self, write: Callable[[], None]) -> None:
        """Forget a queued write (its entity is being removed)."""
        self._queued.pop(write, None)

    async def drain(self) -> None:
        """Return once every queued write is done."""
        if (writer := self._writer) is not None:
            await writer

    async def _write_queued(self) -> None:
        try:
            while self._queued:
                for write in list(islice(self._queued, WRITE_BATCH)):
                    del self._queued[write]
                    write()
                await asyncio.sleep(0)
        finally:
            self._writer = None
