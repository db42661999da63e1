"""Reserve, settle, release, expiry and events, on the in-memory and the SQLite backend alike."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from jobintel.guard.budget import BudgetExceeded, BudgetScope
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.events import GuardEvent
from jobintel.store import create_db_engine
from tests.guard.budget_support import BACKENDS, FakeClock, migrated_sqlite, open_backend

D = Decimal
DAY = BudgetScope(kind="day", key="day:2026-11-29", limit_usd=D("1.00"))
JOB = BudgetScope(kind="job", key="job:1", limit_usd=D("0.50"))
CALL = BudgetScope(kind="call", key="call", limit_usd=D("0.30"))


def _kinds(events: list[GuardEvent]) -> list[tuple[str, str]]:
    return [(e.kind, e.subject) for e in events]


@pytest.mark.parametrize("kind", BACKENDS)
async def test_settle_turns_the_hold_into_the_actual_spend(kind: str, tmp_path: Path) -> None:
    """After settle, spent is the actual cost and the rest of the hold is free again."""
    with open_backend(kind, tmp_path) as budgets:
        held = await budgets.reserve([CALL, JOB, DAY], D("0.25"), 1200)
        during = {s.key: s for s in await budgets.status()}
        assert during["job:1"].reserved_usd == D("0.25") and during["job:1"].spent_usd == 0
        assert during["day:2026-11-29"].reserved_tokens == 1200
        await budgets.settle(held, D("0.0123"), 800)
        after = {s.key: s for s in await budgets.status()}
        assert after["job:1"].spent_usd == D("0.0123") and after["job:1"].reserved_usd == 0
        assert after["job:1"].remaining_usd == D("0.4877")
        assert after["day:2026-11-29"].spent_tokens == 800
        assert "call" not in after  # one call's limit is checked, never accumulated


@pytest.mark.parametrize("kind", BACKENDS)
async def test_settle_and_release_are_idempotent(kind: str, tmp_path: Path) -> None:
    """Settling twice, or releasing after settling, never charges a second time."""
    with open_backend(kind, tmp_path) as budgets:
        held = await budgets.reserve([JOB], D("0.20"))
        await budgets.settle(held, D("0.10"))
        await budgets.settle(held, D("0.10"))
        await budgets.release(held, actual_usd=D("0.10"))
        (status,) = await budgets.status()
        assert (status.spent_usd, status.reserved_usd) == (D("0.10"), 0)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_release_frees_the_hold_and_keeps_a_partial_cost(kind: str, tmp_path: Path) -> None:
    """An errored call releases its hold; a partial cost it is known to have run up stays."""
    with open_backend(kind, tmp_path) as budgets:
        first = await budgets.reserve([JOB], D("0.20"))
        await budgets.release(first)
        second = await budgets.reserve([JOB], D("0.20"))
        await budgets.release(second, actual_usd=D("0.05"), tokens=10)
        (status,) = await budgets.status()
        assert (status.spent_usd, status.reserved_usd, status.spent_tokens) == (D("0.05"), 0, 10)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_refusal_holds_nothing_anywhere(kind: str, tmp_path: Path) -> None:
    """When one scope cannot cover a call, no other scope is charged either."""
    events: list[GuardEvent] = []
    with open_backend(kind, tmp_path, events=events) as budgets:
        await budgets.settle(await budgets.reserve([JOB, DAY], D("0.45")), D("0.45"))
        with pytest.raises(BudgetExceeded) as refused:
            await budgets.reserve([DAY, JOB], D("0.10"))
        assert refused.value.scope == JOB
        assert refused.value.spent + refused.value.reserved == D("0.45")
        statuses = {s.key: s for s in await budgets.status()}
        assert statuses["day:2026-11-29"].reserved_usd == 0
        assert statuses["day:2026-11-29"].spent_usd == D("0.45")
        assert ("budget_exceeded", "job:1") in _kinds(events)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_call_above_the_per_call_limit_is_refused(kind: str, tmp_path: Path) -> None:
    """The call scope refuses one call whose worst case exceeds it, naming the setting."""
    with open_backend(kind, tmp_path) as budgets:
        with pytest.raises(BudgetExceeded, match="JOBINTEL_BUDGET_CALL_USD") as refused:
            await budgets.reserve([CALL, DAY], D("0.31"))
        assert refused.value.scope.kind == "call"
        assert all(s.reserved_usd == 0 for s in await budgets.status())


@pytest.mark.parametrize("kind", BACKENDS)
async def test_token_limits_are_enforced_too(kind: str, tmp_path: Path) -> None:
    """A scope limited in tokens refuses a call whose worst-case tokens do not fit."""
    scope = BudgetScope(kind="day", key="day:t", limit_usd=None, limit_tokens=1000)
    with open_backend(kind, tmp_path) as budgets:
        held = await budgets.reserve([scope], D("0.00"), 700)
        with pytest.raises(BudgetExceeded, match="JOBINTEL_BUDGET_TOKENS") as refused:
            await budgets.reserve([scope], D("0"), 301)
        assert refused.value.unit == "tokens"
        await budgets.settle(held, D("0"), 400)
        await budgets.reserve([scope], D("0"), 600)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_thresholds_fire_once_each_at_80_and_100_percent(kind: str, tmp_path: Path) -> None:
    """Crossing 80% and then 100% of a scope's limit each raise exactly one event."""
    events: list[GuardEvent] = []
    scope = BudgetScope(kind="run", key="run:t", limit_usd=D("1.00"))
    with open_backend(kind, tmp_path, events=events) as budgets:
        for actual in ("0.50", "0.30", "0.05", "0.10", "0.05"):
            await budgets.settle(await budgets.reserve([scope], D(actual)), D(actual))
        with pytest.raises(BudgetExceeded):
            await budgets.reserve([scope], D("0.01"))
    thresholds = [e for e in events if e.kind == "budget_threshold"]
    assert [(e.subject, e.data["threshold_pct"], e.severity) for e in thresholds] == [
        ("run:t", 80, "warning"),
        ("run:t", 100, "critical"),
    ]
    assert [e.kind for e in events][-1] == "budget_exceeded"


async def test_fired_thresholds_are_remembered_across_restarts(tmp_path: Path) -> None:
    """A restarted process does not announce a threshold the store says already fired."""
    url = migrated_sqlite(tmp_path / "j.db")
    scope = BudgetScope(kind="month", key="month:2026-11", limit_usd=D("1.00"))
    events: list[GuardEvent] = []
    for actual in ("0.85", "0.05"):
        engine = create_db_engine(url)
        budgets = SqlBudgets(engine, on_event=events.append)
        await budgets.settle(await budgets.reserve([scope], D(actual)), D(actual))
        engine.dispose()
    assert [e.data["threshold_pct"] for e in events if e.kind == "budget_threshold"] == [80]


async def test_budgets_and_open_holds_survive_a_restart(tmp_path: Path) -> None:
    """Spend and an open reservation are read back after the process reopens the store."""
    url = migrated_sqlite(tmp_path / "j.db")
    engine = create_db_engine(url)
    before = SqlBudgets(engine)
    await before.settle(await before.reserve([JOB, DAY], D("0.30")), D("0.25"))
    still_open = await before.reserve([JOB, DAY], D("0.20"))
    engine.dispose()

    engine = create_db_engine(url)
    after = SqlBudgets(engine)
    status = {s.key: s for s in await after.status()}
    assert (status["job:1"].spent_usd, status["job:1"].reserved_usd) == (D("0.25"), D("0.20"))
    await after.settle(still_open, D("0.15"))
    status = {s.key: s for s in await after.status()}
    assert (status["day:2026-11-29"].spent_usd, status["day:2026-11-29"].reserved_usd) == (
        D("0.40"),
        0,
    )
    engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
async def test_expired_holds_are_reclaimed_with_an_event(kind: str, tmp_path: Path) -> None:
    """A hold its holder never settled is freed after its TTL, and an event says whose it was."""
    events: list[GuardEvent] = []
    clock = FakeClock()
    with open_backend(kind, tmp_path, events=events, clock=clock, ttl=60) as budgets:
        abandoned = await budgets.reserve([JOB], D("0.40"), holder="host:123:dead")
        with pytest.raises(BudgetExceeded):
            await budgets.reserve([JOB], D("0.20"))
        clock.advance(59)
        assert await budgets.reclaim_expired() == 0
        clock.advance(1)
        await budgets.reserve([JOB], D("0.20"))  # reserve reclaims opportunistically
        (expired,) = [e for e in events if e.kind == "reservation_expired"]
        assert expired.subject == "job:1"
        assert expired.data["holder"] == "host:123:dead"
        assert expired.data["reservation_id"] == abandoned.id


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_late_settle_after_expiry_still_records_the_spend(
    kind: str, tmp_path: Path
) -> None:
    """Money a slow holder did spend is recorded even after its hold was reclaimed."""
    clock = FakeClock()
    with open_backend(kind, tmp_path, clock=clock, ttl=60) as budgets:
        slow = await budgets.reserve([JOB], D("0.30"))
        clock.advance(61)
        assert await budgets.reclaim_expired() == 1
        await budgets.settle(slow, D("0.10"))
        await budgets.settle(slow, D("0.10"))
        (status,) = await budgets.status()
        assert (status.spent_usd, status.reserved_usd) == (D("0.10"), 0)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_an_actual_above_the_worst_case_is_recorded_and_flagged(
    kind: str, tmp_path: Path
) -> None:
    """A provider charging more than the reserved worst case is recorded as charged, with an event."""
    events: list[GuardEvent] = []
    with open_backend(kind, tmp_path, events=events) as budgets:
        held = await budgets.reserve([JOB], D("0.10"))
        await budgets.settle(held, D("0.12"))
        (status,) = await budgets.status()
        assert status.spent_usd == D("0.12")
    assert events[0].kind == "pricing_anomaly" and events[0].subject == "job:1"


@pytest.mark.parametrize("kind", BACKENDS)
async def test_amounts_must_be_exact_and_non_negative(kind: str, tmp_path: Path) -> None:
    """Floats and negative amounts are refused before anything is held."""
    with open_backend(kind, tmp_path) as budgets:
        with pytest.raises(TypeError, match="Decimal"):
            await budgets.reserve([JOB], 0.1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="non-negative"):
            await budgets.reserve([JOB], D("-0.1"))
        with pytest.raises(ValueError, match="tokens"):
            await budgets.reserve([JOB], D("0.1"), -5)


async def test_a_cancelled_reserve_leaves_no_hold_behind(tmp_path: Path) -> None:
    """Cancelling a caller while its reservation is being written gives the hold back."""
    engine = create_db_engine(migrated_sqlite(tmp_path / "j.db"))
    budgets = SqlBudgets(engine)
    for _ in range(5):
        task = asyncio.create_task(budgets.reserve([JOB, DAY], D("0.10")))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert all(s.reserved_usd == 0 for s in await budgets.status())
    engine.dispose()
