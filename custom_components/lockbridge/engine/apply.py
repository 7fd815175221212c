"""Carry out a plan: bounded concurrency, retries, a journal around every mutation."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
import copy
from dataclasses import dataclass, field
from datetime import datetime
import logging
import secrets
from typing import Any, Protocol

from ..api.errors import ApiError, NotFoundError, RateLimitedError
from ..api.models import AccessCode, CodeFields
from .actions import FINAL_REASONS, Action, ActionKind, Plan
from .bookings import BookingKey, KeypadRef, UnitKey
from .desired import Desired
from .pins import is_digits
from .plan import plan

_LOGGER = logging.getLogger(__name__)

#: Mutations in flight on one lock: a lock's codes are one list at the cloud and on the lock.
PER_LOCK = 2
#: Mutations in flight across the account: up to Home Assistant's 100 connections per host
#: (500 new codes on 50 locks: 5 round trips).
TOTAL = 100
#: Listings in flight: every lock at once up to Home Assistant's 100 connections per host,
#: beyond which its HTTP pool would queue them anyway.
LISTINGS = 100
ATTEMPTS = 3
BACKOFF = 2.0
#: Never wait longer than this on a Retry-After before giving the action up for this cycle.
MAX_RETRY_WAIT = 60.0


class CodeClient(Protocol):
    """The part of the The Keys client the engine needs."""

    async def list_codes(
        self, lock_id: int, keypad_id: str | None = None
    ) -> tuple[AccessCode, ...]:
        """Keypad codes of a lock."""

    async def create_code(self, lock_id: int, keypad_id: str, fields: CodeFields) -> AccessCode:
        """Create a code; the cloud's copy comes back."""

    async def update_code(self, code: AccessCode) -> None:
        """Re-submit every field of a code."""

    async def delete_code(self, code_id: int) -> None:
        """Delete a code."""


class Storage(Protocol):
    """Where the journal lives (Home Assistant's `Store` in the integration)."""

    async def async_load(self) -> Any:
        """The saved data, or None."""

    async def async_save(self, data: Any) -> None:
        """Replace the saved data."""


class Journal:
    """PIN memory and the mutations of the plan being applied.

    Saved twice per plan with changes, never when nothing changes: once before the first
    request (the PINs about to be sent, and every action as pending), once when the plan
    is done. A crash in between leaves the actions listed as pending; the next cycle reads
    the keypads again, so it neither repeats a done create (the code carries our tag) nor
    loses a PIN it chose (kept here before any request was sent).

    In memory every live booking keeps its PIN; on disk only those no code on a keypad
    carries (a create not yet done, a guest moved whose old code went): a listed code holds
    its own PIN, and after a restart the plan reads it back from the keypad.
    """

    VERSION = 1

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._pins: dict[BookingKey, str] = {}
        #: Bookings whose PIN a code on a keypad carries: left out of the file.
        self._on_keypads: set[BookingKey] = set()
        #: The PINs as last written (or read), to skip a write that would change nothing.
        self._saved: dict[str, str] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        #: Mutations a previous run started and never finished (seen at load).
        self.interrupted: tuple[dict[str, Any], ...] = ()
        #: The saved file lists mutations that are no longer in flight.
        self._outdated = False
        self._lock = asyncio.Lock()

    @property
    def pins(self) -> Mapping[BookingKey, str]:
        """Booking -> PIN, for every booking that still has or will have a code."""
        return self._pins

    async def load(self) -> None:
        """Read the saved state; unreadable parts are dropped, not fatal."""
        data = await self._storage.async_load()
        if not isinstance(data, dict) or data.get("version") != self.VERSION:
            return
        pins = data.get("pins")
        if isinstance(pins, dict):
            for text, pin in pins.items():
                source, _, booking_id = str(text).partition(":")
                if booking_id and isinstance(pin, str) and is_digits(pin):
                    self._pins[BookingKey(source, booking_id)] = pin
                    self._saved[str(text)] = pin
        pending = data.get("pending")
        if isinstance(pending, dict):
            self.interrupted = tuple(item for item in pending.values() if isinstance(item, dict))
            self._outdated = bool(pending)

    async def start(self, planned: Plan) -> None:
        """Keep the plan's PINs (including those about to be sent) before any request.

        Nothing is written when the plan changes nothing: a steady cycle costs no write.
        """
        async with self._lock:
            self._pins = dict(planned.pins)
            self._on_keypads = set(planned.on_keypads)
            # An old file with every PIN ever given is pruned at the first cycle.
            if not planned.actions and self._on_disk() == self._saved and not self._outdated:
                return
            self._pending = {_action_id(action): _pending(action) for action in planned.actions}
            await self._save()

    def end(self, action: Action, *, done: bool) -> None:
        """A mutation finished (done, or failed and left for the next cycle): in memory only."""
        self._pending.pop(_action_id(action), None)
        if done and action.kind is ActionKind.DELETE and action.reason in FINAL_REASONS:
            self._pins.pop(action.key, None)
        elif done and action.kind is ActionKind.CREATE:
            self._on_keypads.add(action.key)  # the cloud holds the code, PIN and all
        elif not done:
            self._on_keypads.discard(action.key)  # its code may be gone (an update's 404)

    async def finish(self, planned: Plan) -> None:
        """The plan is done: one write, unless it had nothing to do."""
        if planned.actions:
            async with self._lock:
                self._pending.clear()
                await self._save()

    async def remember(self, key: BookingKey, pin: str) -> None:
        """Keep a PIN given outside a plan (a regenerated code, already on its keypad)."""
        async with self._lock:
            self._pins[key] = pin
            self._on_keypads.add(key)
            await self._save()

    def _on_disk(self) -> dict[str, str]:
        return {str(key): pin for key, pin in self._pins.items() if key not in self._on_keypads}

    async def _save(self) -> None:
        self._outdated = False
        self._saved = self._on_disk()
        await self._storage.async_save(
            {"version": self.VERSION, "pins": dict(self._saved), "pending": dict(self._pending)}
        )


def _pending(action: Action) -> dict[str, Any]:
    return {
        "kind": str(action.kind),
        "booking": str(action.key),
        "lock_id": action.keypad.lock_id,
        "keypad_id": action.keypad.keypad_id,
        "code_id": action.code.id if action.code else None,
    }


def _action_id(action: Action) -> str:
    code = action.code.id if action.code else "new"
    return f"{action.kind}:{action.keypad.lock_id}:{action.keypad.keypad_id}:{code}:{action.key}"


class MemoryStorage:
    """A `Storage` in memory, for the bench, the tests and dry runs."""

    def __init__(self, data: Any = None) -> None:
        self.data = data
        self.saves = 0

    async def async_load(self) -> Any:
        """The last saved data."""
        return self.data

    async def async_save(self, data: Any) -> None:
        """Keep a copy, as a file would."""
        self.data = copy.deepcopy(data)
        self.saves += 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one action."""

    action: Action
    ok: bool
    #: The code as it now is (created or updated); None after a delete or a failure.
    code: AccessCode | None = None
    error: ApiError | None = None
    attempts: int = 1


@dataclass(slots=True)
class Counts:
    """Statistics of a cycle, like the replaced script printed, per unit and per lock."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    adopted: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, kind: ActionKind | None, *, ok: bool = True) -> None:
        """Count one action (None = a stay left unchanged)."""
        if not ok:
            self.failed += 1
        elif kind is None:
            self.unchanged += 1
        else:
            attribute = {
                ActionKind.CREATE: "created",
                ActionKind.UPDATE: "updated",
                ActionKind.DELETE: "deleted",
                ActionKind.ADOPT: "adopted",
            }[kind]
            setattr(self, attribute, getattr(self, attribute) + 1)


@dataclass(slots=True)
class Summary:
    """Counts for the whole cycle, per lock and per unit (None: booking no longer known)."""

    total: Counts = field(default_factory=Counts)
    by_lock: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_unit: dict[UnitKey | None, Counts] = field(default_factory=lambda: defaultdict(Counts))

    def add(
        self, keypad: KeypadRef, unit: UnitKey | None, kind: ActionKind | None, *, ok: bool
    ) -> None:
        """Count one action or unchanged stay everywhere it belongs."""
        for counts in (self.total, self.by_lock[keypad.lock_id], self.by_unit[unit]):
            counts.add(kind, ok=ok)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Every action's outcome and the cycle's statistics."""

    outcomes: tuple[Outcome, ...]
    summary: Summary

    @property
    def failed(self) -> tuple[Outcome, ...]:
        """The actions that did not succeed (retried next cycle)."""
        return tuple(item for item in self.outcomes if not item.ok)


class Applier:
    """Runs a plan's actions against the cloud.

    New and changed codes go first, deletions after, so that a guest moved to another
    unit is never left without a working code. Each failure stays with its action.
    """

    def __init__(
        self,
        client: CodeClient,
        journal: Journal,
        *,
        per_lock: int = PER_LOCK,
        total: int = TOTAL,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self._client = client
        #: True once the owner is going away: no change is started after that.
        self._stopping = stopping
        self._journal = journal
        self._per_lock = per_lock
        self._total = asyncio.Semaphore(total)
        self._locks: dict[int, asyncio.Semaphore] = {}
        self._attempts = attempts
        self._backoff = backoff
        self._sleep = sleep

    async def apply(self, planned: Plan) -> ApplyResult:
        """Apply every action; return what happened to each."""
        await self._journal.start(planned)
        summary = Summary()
        for item in planned.unchanged:
            summary.add(item.keypad, item.unit, None, ok=True)
        outcomes: list[Outcome] = []
        first = [action for action in planned.actions if action.kind is not ActionKind.DELETE]
        then = [action for action in planned.actions if action.kind is ActionKind.DELETE]
        for batch in (first, then):
            outcomes.extend(await asyncio.gather(*(self._run(action) for action in batch)))
        await self._journal.finish(planned)
        for outcome in outcomes:
            action = outcome.action
            summary.add(action.keypad, action.unit, action.kind, ok=outcome.ok)
        return ApplyResult(tuple(outcomes), summary)

    async def _run(self, action: Action) -> Outcome:
        lock_gate = self._locks.setdefault(action.keypad.lock_id, asyncio.Semaphore(self._per_lock))
        async with self._total, lock_gate:
            if self._stopping():
                return Outcome(action, ok=False, attempts=0)  # not tried: we are going away
            outcome = await self._attempt(action)
            self._journal.end(action, done=outcome.ok)
        if not outcome.ok:
            _LOGGER.warning("Could not %s: %s", action, outcome.error)
        return outcome

    async def _attempt(self, action: Action) -> Outcome:
        attempt = 0
        while True:
            attempt += 1
            try:
                code = await self._mutate(action, retrying=attempt > 1)
            except NotFoundError as err:
                if action.kind is ActionKind.DELETE:
                    return Outcome(action, ok=True, attempts=attempt)  # already gone
                return Outcome(action, ok=False, error=err, attempts=attempt)
            except ApiError as err:
                if not err.transient or attempt >= self._attempts or self._stopping():
                    return Outcome(action, ok=False, error=err, attempts=attempt)
                await self._sleep(self._delay(err, attempt))
            else:
                return Outcome(action, ok=True, code=code, attempts=attempt)

    def _delay(self, err: ApiError, attempt: int) -> float:
        if isinstance(err, RateLimitedError) and err.retry_after is not None:
            return min(err.retry_after, MAX_RETRY_WAIT)
        return float(self._backoff * 2 ** (attempt - 1))

    async def _mutate(self, action: Action, *, retrying: bool) -> AccessCode | None:
        if action.kind is ActionKind.DELETE:
            assert action.code is not None  # noqa: S101  # planned deletes name their code
            await self._client.delete_code(action.code.id)
            return None
        if action.kind is ActionKind.CREATE:
            assert action.fields is not None  # noqa: S101  # planned creates carry fields
            if retrying and (done := await self._find_created(action)) is not None:
                # The failed attempt reached the cloud (timeout after the write).
                return done
            return await self._client.create_code(
                action.keypad.lock_id, action.keypad.keypad_id, action.fields
            )
        code = action.updated_code()
        await self._client.update_code(code)
        return code

    async def _find_created(self, action: Action) -> AccessCode | None:
        assert action.fields is not None  # noqa: S101  # creates carry their fields
        codes = await self._client.list_codes(action.keypad.lock_id, action.keypad.keypad_id)
        # Our exact tag: another installation's code for the same booking is not ours.
        tagged = action.fields.description
        return next((code for code in codes if code.description == tagged), None)


async def read_codes(
    client: CodeClient, lock_ids: Iterable[int], *, concurrency: int = LISTINGS
) -> tuple[dict[int, tuple[AccessCode, ...]], dict[int, ApiError]]:
    """One listing per lock, concurrently: the codes of each lock, and the locks that failed."""
    gate = asyncio.Semaphore(concurrency)
    codes: dict[int, tuple[AccessCode, ...]] = {}
    errors: dict[int, ApiError] = {}

    async def read(lock_id: int) -> None:
        async with gate:
            try:
                codes[lock_id] = await client.list_codes(lock_id)
            except ApiError as err:
                errors[lock_id] = err

    await asyncio.gather(*(read(lock_id) for lock_id in sorted(set(lock_ids))))
    return codes, errors


def codes_after(
    codes: Mapping[int, Sequence[AccessCode]], outcomes: Iterable[Outcome]
) -> dict[int, tuple[AccessCode, ...]]:
    """The keypads' codes once the successful outcomes are applied (no second listing)."""
    by_id = {lock_id: {code.id: code for code in items} for lock_id, items in codes.items()}
    for outcome in outcomes:
        action = outcome.action
        held = by_id.setdefault(action.keypad.lock_id, {})
        if outcome.ok and action.kind is ActionKind.DELETE and action.code is not None:
            held.pop(action.code.id, None)
        elif outcome.ok and outcome.code is not None:
            held[outcome.code.id] = outcome.code
    return {lock_id: tuple(items.values()) for lock_id, items in by_id.items()}


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One cycle: the plan, what applying it did, and the locks that could not be read."""

    plan: Plan
    applied: ApplyResult | None
    unreadable: Mapping[int, ApiError]


async def sync(
    client: CodeClient,
    desired: Desired,
    lock_ids: Iterable[int],
    journal: Journal,
    now: datetime,
    *,
    dry_run: bool = False,
    applier: Applier | None = None,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> SyncResult:
    """List every lock once, plan, and apply unless `dry_run`."""
    codes, errors = await read_codes(client, lock_ids)
    planned = plan(desired, codes, now, pins=journal.pins, randbelow=randbelow)
    if dry_run:
        return SyncResult(planned, None, errors)
    applied = await (applier or Applier(client, journal)).apply(planned)
    return SyncResult(planned, applied, errors)
