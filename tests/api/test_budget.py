"""The request budget on its own: windows, persistence, holds."""

from __future__ import annotations

import pytest

from custom_components.lockbridge.api import BudgetExhaustedError, RequestBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_minute_and_day_windows_roll() -> None:
    clock = Clock()
    budget = RequestBudget(per_minute=2, per_day=3, clock=clock)

    budget.acquire()
    clock.now += 10
    budget.acquire()
    assert budget.remaining_this_minute == 0
    assert budget.wait_time() == pytest.approx(50)
    with pytest.raises(BudgetExhaustedError):
        budget.acquire()

    clock.now += 50
    budget.acquire()
    assert budget.remaining_today == 0
    assert budget.wait_time() == pytest.approx(86_400 - 60)
    clock.now += 86_400 - 60
    assert budget.remaining_today == 1
    budget.acquire()


def test_changes_are_announced() -> None:
    calls: list[str] = []
    budget = RequestBudget(clock=Clock())
    budget.on_change = lambda: calls.append("changed")

    budget.acquire()
    budget.hold(5)

    assert calls == ["changed", "changed"]


def test_hold_never_shortens_and_ignores_negative() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)
    budget.hold(100)
    budget.hold(10)
    budget.hold(-5)

    assert budget.wait_time() == pytest.approx(100)


def test_restore_ignores_garbage_and_unknown_versions() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)

    budget.restore(None)
    budget.restore({"version": 99, "sent": [clock.now]})
    assert budget.used_today == 0

    budget.restore(
        {"version": 1, "sent": [clock.now, "x", True, clock.now - 90_000], "hold_until": "soon"}
    )
    assert budget.used_today == 1
    assert budget.wait_time() == 0

    budget.restore({"version": 1, "sent": "nope", "hold_until": clock.now + 30})
    assert budget.used_today == 0
    assert budget.wait_time() == pytest.approx(30)


def test_export_round_trip() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)
    budget.acquire()
    budget.hold(20)
    copy = RequestBudget(clock=clock)

    copy.restore(budget.export())

    assert copy.export() == budget.export()


def test_invalid_limits() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RequestBudget(per_minute=0)


def test_restore_refuses_non_finite_and_far_future_times() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)

    budget.restore(
        {"version": 1, "sent": [float("inf"), float("nan"), 10**400], "hold_until": 10**20}
    )

    assert budget.used_today == 0
    assert budget.wait_time() == pytest.approx(86_400)


def test_hold_clamps_to_a_day() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)

    budget.hold(float("inf"))

    assert budget.wait_time() == pytest.approx(86_400)
