"""Code that runs in child processes (spawned) for the multi-process budget tests."""

from __future__ import annotations

import asyncio
import os
import random
from decimal import Decimal
from multiprocessing.queues import Queue
from threading import Barrier as BarrierType

from jobintel.guard.budget import BudgetExceeded, BudgetScope
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.store import create_db_engine

SHARED = BudgetScope(kind="day", key="day:shared", limit_usd=Decimal("2.00"))


def reserve_settle_cycles(
    url: str, seed: int, cycles: int, start: BarrierType, results: Queue[tuple[int, str, int]]
) -> None:
    """Run ``cycles`` reserve -> settle cycles on 4 tasks; put (seed, total settled, refusals)."""
    engine = create_db_engine(url)
    budgets = SqlBudgets(engine)
    rng = random.Random(seed)
    spent: list[Decimal] = []
    refused = 0

    async def cycle_task(count: int) -> None:
        nonlocal refused
        for _ in range(count):
            amount = Decimal(rng.randint(1, 100)) / 1000
            try:
                held = await budgets.reserve([SHARED], amount)
            except BudgetExceeded:
                refused += 1
                continue
            await asyncio.sleep(0)
            actual = amount * rng.randint(50, 100) / 100
            await budgets.settle(held, actual)
            spent.append(actual)

    async def main() -> None:
        await asyncio.gather(*(cycle_task(cycles // 4) for _ in range(4)))

    start.wait(timeout=60)  # every process starts racing at the same moment
    asyncio.run(main())
    engine.dispose()
    results.put((seed, str(sum(spent, Decimal(0))), refused))


def reserve_and_die(url: str) -> None:
    """Hold part of the shared budget, then exit abruptly without settling (a crash)."""
    engine = create_db_engine(url)
    budgets = SqlBudgets(engine, reservation_ttl_s=30)
    asyncio.run(budgets.reserve([SHARED], Decimal("1.50"), holder=f"crashing:{os.getpid()}"))
    os._exit(1)
