"""What "sync problem" lists: what keeps the codes from being right, in a few lines."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.util import dt as dt_util

from ..const import FAILURES_BEFORE_PROBLEM
from ..engine.bookings import RejectReason
from ..login_guard import LoginGuard
from ..sources.base import SourceCoordinator
from .data import SyncData

#: Skipped bookings named in "sync problem"; the rest are counted.
MAX_LISTED = 10


def sync_problems(
    sources: Iterable[SourceCoordinator],
    data: SyncData | None,
    *,
    failures: int,
    login_guard: LoginGuard,
    lock_name: Callable[[int], str],
) -> list[str]:
    """Failing sources, cloud, login and actions; PINs run out; bookings skipped."""
    sources = list(sources)
    found = [text for source in sources for text in source.problems()]
    if failures >= FAILURES_BEFORE_PROBLEM:
        found.append(f"The Keys: {failures} failed syncs in a row")
    if refused := login_guard.problem(lambda at: f"{dt_util.as_local(at):%H:%M}"):
        found.append(refused)
    if data is not None and data.failed:
        found.append(f"{len(data.failed)} code changes failed")
    if data is not None and (full := data.plan.no_free_pin):
        names = {lock_name(ref.lock_id) for ref in full.values()}
        found.append(f"No free PIN on {', '.join(sorted(names))}: {len(full)} stays without code")
    # A record the engine could not use keeps its code as it is; someone must fix it at the
    # source. (A booking on a unit held for a missing keypad has its own repair.)
    skipped = sorted(
        f"{item.key} ({item.reason})"
        for source in sources
        if source.data is not None
        for item in source.data.rejected
        if item.reason is not RejectReason.UNKNOWN_UNIT
    )
    if skipped:
        shown = ", ".join(skipped[:MAX_LISTED])
        more = f" and {len(skipped) - MAX_LISTED} more" if len(skipped) > MAX_LISTED else ""
        found.append(f"Bookings skipped: {shown}{more}")
    return found
