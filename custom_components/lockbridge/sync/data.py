"""What a sync leaves behind: the account, its codes, the plan and what was applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..api import AccessCode, Account
from ..engine.apply import ApplyResult, Outcome
from ..engine.bookings import BookingKey, UnitKey
from ..engine.plan import Plan
from ..engine.staff import Grant
from .views import Views


@dataclass(frozen=True, slots=True)
class SyncData:
    """The account after a sync: locks, the codes on them, and what the sync did."""

    account: Account
    codes: Mapping[int, tuple[AccessCode, ...]]
    unreadable: frozenset[int]
    plan: Plan
    applied: ApplyResult | None
    #: Left out of comparisons, as is what it built: a quiet cycle tells no entity.
    synced: datetime = field(compare=False)
    #: Locks with an action that failed this cycle.
    failing_locks: frozenset[int] = field(default_factory=frozenset)
    #: What the entities show, built by the sync off the event loop, and on which overrides.
    views: Views | None = field(default=None, compare=False)
    views_revision: int = field(default=0, compare=False)
    #: Counts the cycles that changed something (a quiet one keeps the last one's).
    generation: int = 0
    #: Failures of earlier syncs on locks a scoped sync left alone: still shown, retried by
    #: the next whole sync.
    carried_failures: tuple[Outcome, ...] = ()
    #: The codes the staff rules wanted at this sync (engine/grants.py), and the turnover
    #: ones by unit (what the unit's day shows).
    grants: Mapping[BookingKey, Grant] = field(default_factory=dict, compare=False)
    turnovers: Mapping[UnitKey, tuple[Grant, ...]] = field(default_factory=dict, compare=False)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        """Every change that failed and is not yet retried: this sync's, and carried ones."""
        return (*(self.applied.failed if self.applied else ()), *self.carried_failures)

    def carried(self, scope: set[int]) -> tuple[Outcome, ...]:
        """The failures a sync of only these locks leaves standing (on the other locks)."""
        return tuple(o for o in self.failed if o.action.keypad.lock_id not in scope)
