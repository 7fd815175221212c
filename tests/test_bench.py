"""The benchmark at a tiny scale: it runs, and LockBridge's steady state is quiet."""

from __future__ import annotations

from tests.bench import LOCKBRIDGE, NAIVE, bench


async def test_bench_at_tiny_scale() -> None:
    report = await bench(locks=3, bookings=12, latency=0, changed=2)

    first = report.row("first sync", LOCKBRIDGE)
    assert (first.codes_right, first.failed) == (12, 0)
    steady = report.row("steady state", LOCKBRIDGE)
    assert (steady.logins, steady.mutations, steady.listings) == (0, 0, 3)
    changed = report.row("after changes", LOCKBRIDGE)
    assert (changed.mutations, changed.codes_right) == (2, 12)
    # The baseline lists once per booking, then once per lock to clean up, and logs in
    # every run.
    assert report.row("steady state", NAIVE).listings == 12 + 3
    assert report.row("steady state", NAIVE).logins == 1
    assert "| steady state | LockBridge | 3 | 3 | 0 | 0 | 1 |" in report.table()
