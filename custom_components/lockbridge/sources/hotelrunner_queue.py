"""HotelRunner's delivery queue: telling it which changes are in, without ever blocking them.

A confirmation (`PUT /reservations/~`) only makes a change leave HotelRunner's queue
(hotelrunner-api.md §5). The change itself is applied whatever the answer: a failed
confirmation leaves the change in the queue, so the next queue read brings it again and
confirms it then. Failures are counted for diagnostics and shown once they repeat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from itertools import islice
from typing import Any

from ..api import ApiError, HotelRunnerClient, RateLimitedError, RequestRejectedError
from ..const import FAILURES_BEFORE_PROBLEM

#: Delivery confirmations sent per poll; the rest wait for the next poll.
CONFIRMATIONS_PER_POLL = 10


class Round(Enum):
    """How a poll's confirmations went."""

    DONE = "done"  # all sent, or the rest left for the next poll
    FAILED = "failed"  # one failed: the rest wait, the queue brings them again
    REFUSED = "refused"  # HotelRunner does not confirm deliveries for this property


@dataclass(slots=True)
class Confirmations:
    """Confirmations sent and failed, for diagnostics and the sync problem."""

    sent: int = 0
    failed: int = 0
    #: Polls in a row whose confirmations failed.
    failing: int = 0
    last_error: str | None = None

    @property
    def in_trouble(self) -> bool:
        """Failed often enough in a row to say so."""
        return self.failing >= FAILURES_BEFORE_PROBLEM

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "failing_polls": self.failing,
            "last_error": self.last_error,
        }

    async def confirm(self, client: HotelRunnerClient, uids: Iterable[str]) -> Round:
        """Confirm a few of `uids`, within the budget; never raises for the cloud's errors."""
        for uid in islice(dict.fromkeys(uids), CONFIRMATIONS_PER_POLL):
            if client.budget.wait_time() > 0:
                break  # the next poll confirms the rest
            try:
                await client.acknowledge(uid)
            except RequestRejectedError:
                return Round.REFUSED
            except RateLimitedError:
                break  # held by the cloud: not a failure of the confirmation itself
            except ApiError as err:  # a server error, a timeout: the change is in anyway
                self.failed += 1
                self.failing += 1
                self.last_error = type(err).__name__
                return Round.FAILED
            self.sent += 1
        self.failing = 0
        return Round.DONE
