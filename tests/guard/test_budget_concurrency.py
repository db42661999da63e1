"""Many calls at once, in one process, in several processes, and on PostgreSQL: never overshot."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from decimal import Decimal
from pathlib import Path

import pytest

from jobintel.guard.budget import BudgetExceeded, Budgets, BudgetScope
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.events import GuardEvent
from jobintel.store import create_db_engine, upgrade_to_head
from tests.guard import budget_worker
from tests.guard.budget_support import BACKENDS, fresh_pg_database, migrated_sqlite, open_backend

D = Decimal
CAP = BudgetScope(kind="run", key="run:cap", limit_usd=D("1.00"))


async def _race(budgets: list[Budgets], amounts: list[Decimal]) -> tuple[Decimal, list[object]]:
    """Start every call at once; each reserves, yields (the call), and settles in full."""

    async def one(index: int, amount: Decimal) -> Decimal:
        budget = budgets[index % len(budgets)]
        held = await budget.reserve([CAP], amount)
        await asyncio.sleep(0)
        await budget.settle(held, amount)
        return amount

    outcomes = await asyncio.gather(
        *(one(i, a) for i, a in enumerate(amounts)), return_exceptions=True
    )
    spent = sum((o for o in outcomes if isinstance(o, Decimal)), D(0))
    return spent, list(outcomes)


def _amounts(seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    return [D(rng.randint(1, 100)) / 1000 + D(rng.randint(0, 999)) / 10**9 for _ in range(64)]


def _check(spent: Decimal, outcomes: list[object], reported: Decimal) -> None:
    refused = [o for o in outcomes if isinstance(o, BudgetExceeded)]
    assert all(isinstance(o, Decimal | BudgetExceeded) for o in outcomes), outcomes
    assert 0 < len(refused) < 64, "the cap must cover only some of the calls"
    assert spent <= CAP.limit_usd  # type: ignore[operator]
    assert reported == spent  # exact: no float anywhere
    for exc in refused:
        assert exc.scope.key == "run:cap" and "run:cap" in str(exc)
        assert exc.spent + exc.reserved + exc.requested > exc.limit


@pytest.mark.parametrize("kind", BACKENDS)
async def test_64_concurrent_calls_never_spend_past_the_cap(kind: str, tmp_path: Path) -> None:
    """64 simultaneous calls against a cap for some of them: spend <= cap, to the 1e-9 USD."""
    with open_backend(kind, tmp_path) as budgets:
        spent, outcomes = await _race([budgets], _amounts(seed=64))
        (status,) = await budgets.status()
        _check(spent, outcomes, status.spent_usd)
        assert status.reserved_usd == 0


def test_postgres_concurrent_reservations_never_exceed_the_cap() -> None:
    """Two independent SqlBudgets (separate connections and locks) share one PG cap exactly."""
    with fresh_pg_database() as url:
        engines = [create_db_engine(url) for _ in range(2)]
        upgrade_to_head(engines[0])
        backends: list[Budgets] = [SqlBudgets(engine) for engine in engines]
        try:
            spent, outcomes = asyncio.run(_race(backends, _amounts(seed=5432)))
            (status,) = asyncio.run(backends[0].status())
            _check(spent, outcomes, status.spent_usd)
        finally:
            for engine in engines:
                engine.dispose()


@pytest.mark.slow
def test_four_processes_sharing_sqlite_never_exceed_the_cap(tmp_path: Path) -> None:
    """4 processes x 4 tasks reserve and settle on one SQLite file: spend <= cap, sums agree."""
    url = migrated_sqlite(tmp_path / "shared.db")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    queue = context.Queue()
    workers = [
        context.Process(
            target=budget_worker.reserve_settle_cycles, args=(url, seed, 60, start, queue)
        )
        for seed in range(4)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120)[1:] for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    queue.close()
    queue.join_thread()
    engine = create_db_engine(url)
    (status,) = asyncio.run(SqlBudgets(engine).status())
    engine.dispose()
    reported = sum((D(total) for total, _ in results), D(0))
    assert status.spent_usd == reported
    assert status.spent_usd <= budget_worker.SHARED.limit_usd  # type: ignore[operator]
    assert status.reserved_usd == 0
    assert sum(refused for _, refused in results) > 0, "the cap must have been reached"


@pytest.mark.slow
def test_a_crashed_process_hold_expires_and_frees_the_budget(tmp_path: Path) -> None:
    """A process that dies holding budget blocks others only until its hold expires."""
    url = migrated_sqlite(tmp_path / "shared.db")
    child = multiprocessing.get_context("spawn").Process(
        target=budget_worker.reserve_and_die, args=(url,)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 1
    events: list[GuardEvent] = []
    engine = create_db_engine(url)
    budgets = SqlBudgets(engine, on_event=events.append)
    with pytest.raises(BudgetExceeded):
        asyncio.run(budgets.reserve([budget_worker.SHARED], D("1.00")))
    # The child's TTL was 30 s; look 31 s ahead instead of sleeping.
    assert asyncio.run(budgets.reclaim_expired(now=time.time() + 31)) == 1
    asyncio.run(budgets.reserve([budget_worker.SHARED], D("1.00")))
    engine.dispose()
    (expired,) = [e for e in events if e.kind == "reservation_expired"]
    assert expired.data["holder"] == f"crashing:{child.pid}"
    assert expired.data["amount_usd"] == "1.500000000"
