"""Budget overshoot under concurrency: 1, 8 and 64 callers racing for one cap.

Each caller loops reserve (worst case) -> simulated call -> settle (a random actual cost
at most the reservation) until the budget refuses it three times in a row. For every
backend and concurrency it prints max(spend / cap) over the trials (aim: <= 1.0) and
the reserve + settle latency per call (p50/p99, µs; the simulated call excluded, lock
and thread waits included). The last line is one JSON object.

    .venv/bin/python bench/budget_overshoot.py [--trials N] [--cap USD]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from pathlib import Path

from jobintel.guard.budget import BudgetExceeded, Budgets, BudgetScope, InMemoryBudgets
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.store import create_db_engine, upgrade_to_head

CONCURRENCY = (1, 8, 64)


@contextmanager
def memory_backend() -> Iterator[Budgets]:
    yield InMemoryBudgets()


@contextmanager
def sqlite_backend() -> Iterator[Budgets]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade_to_head(engine)
        try:
            yield SqlBudgets(engine)
        finally:
            engine.dispose()


BACKENDS: dict[str, Callable[[], AbstractContextManager[Budgets]]] = {
    "memory": memory_backend,
    "sqlite": sqlite_backend,
}


async def trial(
    budgets: Budgets, concurrency: int, cap: Decimal, seed: int
) -> tuple[Decimal, list[float]]:
    """One race to exhaust ``cap``; returns the spend and each call's budget latency (s)."""
    scopes = [
        BudgetScope(kind="call", key="call", limit_usd=Decimal("0.50")),
        BudgetScope(kind="job", key=f"job:{seed}", limit_usd=cap * 2),
        BudgetScope(kind="run", key=f"run:{seed}", limit_usd=cap),
        BudgetScope(kind="day", key=f"day:{seed}", limit_usd=cap * 5),
    ]
    rng = random.Random(seed)
    latencies: list[float] = []
    spent: list[Decimal] = []

    async def caller() -> None:
        refusals = 0
        while refusals < 3:
            amount = Decimal(rng.randint(5_000, 50_000)) / 1_000_000  # $0.005–$0.05
            started = time.perf_counter()
            try:
                held = await budgets.reserve(scopes, amount, rng.randint(100, 4000))
            except BudgetExceeded:
                refusals += 1
                continue
            reserved = time.perf_counter()
            await asyncio.sleep(rng.uniform(0, 0.001))  # the provider call
            actual = (amount * Decimal(rng.randint(30, 100)) / 100).quantize(Decimal("1e-9"))
            settling = time.perf_counter()
            await budgets.settle(held, actual, rng.randint(50, 100))
            latencies.append(reserved - started + time.perf_counter() - settling)
            spent.append(actual)
            refusals = 0

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return sum(spent, Decimal(0)), latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--cap", type=Decimal, default=Decimal("1.00"))
    args = parser.parse_args(argv)

    results: dict[str, dict[str, dict[str, float | int]]] = {}
    print(f"cap ${args.cap} per trial, {args.trials} trials per row")
    for name, backend in BACKENDS.items():
        results[name] = {}
        for concurrency in CONCURRENCY:
            ratios: list[Decimal] = []
            latencies: list[float] = []
            for seed in range(args.trials):
                with backend() as budgets:
                    spent, lat = asyncio.run(trial(budgets, concurrency, args.cap, seed))
                ratios.append(spent / args.cap)
                latencies += lat
            row = {
                "max_spend_over_cap": float(max(ratios)),
                "mean_spend_over_cap": float(statistics.mean(ratios)),
                "calls": len(latencies),
                "p50_us": round(percentile(latencies, 0.50) * 1e6, 1),
                "p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
            }
            results[name][str(concurrency)] = row
            print(
                f"{name:7} concurrency {concurrency:>2}: max spend/cap {max(ratios):.6f} "
                f"(mean {row['mean_spend_over_cap']:.4f}), {row['calls']} calls, "
                f"reserve+settle p50 {row['p50_us']:.0f} µs p99 {row['p99_us']:.0f} µs"
            )
    worst = max(r["max_spend_over_cap"] for rows in results.values() for r in rows.values())
    print(
        json.dumps(
            {
                "bench": "budget_overshoot",
                "aim": "max_spend_over_cap <= 1.0",
                "ok": worst <= 1.0,
                "worst_spend_over_cap": worst,
                "results": results,
            }
        )
    )
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
