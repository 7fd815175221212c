"""Each Smoobu booking's PIN and access window, written to Smoobu custom placeholders.

The host then writes `[lockbridge_pin]` in Smoobu's automated messages and Smoobu puts the
guest's PIN in. Optional per source (off by default): the PIN is then stored at Smoobu.
After every sync the source's placeholders are brought in line: written when a booking gets
its code, updated when the PIN or the window changes, removed when the booking is cancelled.
A failed write raises a repair and is tried again after the next sync; an id already taken is
found and updated, never created twice.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback

from ..api import ApiError, NotFoundError, PlaceholderExistsError, SmoobuClient
from ..const import DOMAIN, LOGGER
from ..engine.bookings import Booking, BookingStatus
from ..engine.messages import (
    PlaceholderClear,
    PlaceholderWrite,
    Written,
    fingerprint,
    placeholder_changes,
    window_text,
)
from .base import SourceCoordinator

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from ..sync.coordinator import SyncCoordinator

#: Write each booking's PIN and access window to Smoobu custom placeholders, under these keys.
CONF_PLACEHOLDERS: Final = "placeholders"
CONF_PIN_KEY: Final = "pin_placeholder"
CONF_ACCESS_KEY: Final = "access_placeholder"
DEFAULT_PIN_KEY: Final = "lockbridge_pin"
DEFAULT_ACCESS_KEY: Final = "lockbridge_access"
#: The repair raised while writes fail.
PLACEHOLDERS_ISSUE: Final = "smoobu_placeholders"

#: Placeholder writes per run; the rest follow after the next sync (Smoobu allows ~1,000/min).
WRITES_PER_RUN = 100


class PlaceholderWriter:
    """Keeps one Smoobu source's placeholders in line with its bookings' codes."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        source: SourceCoordinator,
        client: SmoobuClient,
        sync: SyncCoordinator,
    ) -> None:
        self._hass = hass
        self._client = client
        self._entry = entry
        self._source = source
        self._sync = sync
        data = source.subentry.data
        self.pin_key = str(data.get(CONF_PIN_KEY) or DEFAULT_PIN_KEY)
        self.access_key = str(data.get(CONF_ACCESS_KEY) or DEFAULT_ACCESS_KEY)
        self._subentry_id = source.subentry.subentry_id
        self._written = sync.state.placeholders(self._subentry_id)
        self._task: asyncio.Task[None] | None = None
        self._again = False

    @property
    def client(self) -> SmoobuClient:
        """The source's own client."""
        return self._client

    @callback
    def schedule(self) -> None:
        """After a sync: run now, or once more after the run under way."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self._entry.async_create_background_task(
            self._hass, self._run(), f"{DOMAIN} placeholders {self._source.source_id}"
        )

    async def _run(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            await self.run()

    def wanted(self, bookings: tuple[Booking, ...]) -> tuple[dict[int, dict[str, str]], set[int]]:
        """The values each booking with a code should show, and the cancelled bookings."""
        wanted: dict[int, dict[str, str]] = {}
        cancelled: set[int] = set()
        for booking in bookings:
            if booking.status is BookingStatus.CANCELLED and booking.key.booking_id.isdigit():
                cancelled.add(int(booking.key.booking_id))
        for unit in self._source.units:
            if unit.keypad is None:
                continue
            for stay in self._sync.unit_view(unit).stays:
                code = self._sync.code_for(stay.booking.key)
                if code is not None and stay.booking.key.booking_id.isdigit():
                    wanted[int(stay.booking.key.booking_id)] = {
                        self.pin_key: code.pin,
                        self.access_key: window_text(stay.start, stay.end),
                    }
        return wanted, cancelled

    async def run(self) -> None:
        """Write what changed; a failure is shown as a repair and retried next time."""
        data = self._source.data
        if data is None or not self._source.last_update_success or self._sync.data is None:
            return  # nothing is written or cleared on stale or missing data
        wanted, cancelled = self.wanted(data.bookings)
        changes = placeholder_changes(wanted, cancelled, self._written)
        failed = 0
        listed: dict[tuple[int, str], int] | None = None
        for change in changes[:WRITES_PER_RUN]:
            try:
                if isinstance(change, PlaceholderClear):
                    await self._clear(change)
                    continue
                try:
                    await self._write(change)
                except PlaceholderExistsError as err:
                    # Written before (its answer lost): update the one Smoobu has.
                    if err.placeholder_id is None:
                        raise
                    await self._write(replace(change, placeholder_id=err.placeholder_id))
                except NotFoundError:
                    # Removed at Smoobu (by hand?): look the key up (once per run), update
                    # the one found or create it again, and check the booking's other keys
                    # in a second round.
                    if listed is None:
                        listed = await self._listed()
                    found = listed.get((change.booking_id, change.key))
                    self._written.pop(change.booking_id, None)
                    self._again = True
                    await self._write(replace(change, placeholder_id=found))
            except ApiError as err:
                failed += 1
                # The booking id and the error's class only: the value is a PIN.
                LOGGER.debug(
                    "Smoobu placeholder of booking %s not written (%s)",
                    change.booking_id,
                    type(err).__name__,
                )
        # Bookings gone from the source (their stay is over) are forgotten, not cleared.
        known = {int(b.key.booking_id) for b in data.bookings if b.key.booking_id.isdigit()}
        for booking_id in set(self._written) - known:
            del self._written[booking_id]
        self._sync.state.set_placeholders(self._subentry_id, self._written)
        issues = self._sync.issues
        if failed:
            issues.raise_issue(
                PLACEHOLDERS_ISSUE,
                self._subentry_id,
                placeholders={"source": self._source.subentry.title, "count": str(failed)},
            )
        elif changes[WRITES_PER_RUN:]:
            self.schedule()  # the rest, in the next round
        else:
            issues.clear(PLACEHOLDERS_ISSUE, self._subentry_id)

    async def _write(self, change: PlaceholderWrite) -> None:
        if change.placeholder_id is None:
            new_id = await self.client.create_custom_placeholder(
                change.key, change.value, change.booking_id
            )
        else:
            await self.client.update_custom_placeholder(change.placeholder_id, change.value)
            new_id = change.placeholder_id
        self._written.setdefault(change.booking_id, {})[change.key] = Written(
            new_id, fingerprint(change.value)
        )

    async def _clear(self, change: PlaceholderClear) -> None:
        with suppress(NotFoundError):  # gone already
            await self.client.delete_custom_placeholder(change.placeholder_id)
        self._written.get(change.booking_id, {}).pop(change.key, None)

    async def _listed(self) -> dict[tuple[int, str], int]:
        """The booking placeholders at Smoobu, by (booking, key)."""
        return {
            (item.foreign_id, item.key): item.id
            for item in await self.client.get_custom_placeholders()
            if item.foreign_id is not None and item.type == 1
        }
