"""Code that runs in spawned child processes for the multi-process limiter/breaker tests."""

from __future__ import annotations

import asyncio
import random

from jobintel.guard.breaker import BreakerPolicy, CircuitOpen
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.ratelimit import RateLimitPolicy
from jobintel.guard.ratelimit_sql import SqlRateLimiter
from jobintel.store import create_db_engine

KEY = "sim:model"


def acquire_many(args: tuple[str, int, int, int, int, float]) -> list[tuple[float, int]]:
    """``count`` concurrent acquire -> settle cycles; returns (granted_at, actual tokens)."""
    url, seed, count, rpm, tpm, window_s = args
    engine = create_db_engine(url)
    policy = RateLimitPolicy(rpm=rpm, tpm=tpm, window_s=window_s, margin_s=0, max_wait_s=60)
    limiter = SqlRateLimiter(engine, policies={KEY: policy}, poll_s=0.05, handoff_s=0.005)
    rng = random.Random(seed)

    async def one() -> tuple[float, int]:
        reserved = rng.randint(10, 100)
        permit = await limiter.acquire(KEY, tokens=reserved)
        await asyncio.sleep(rng.uniform(0, 0.02))
        actual = rng.randint(reserved // 2, reserved)
        await permit.settle(actual)
        return permit.granted_at, actual

    async def main() -> list[tuple[float, int]]:
        return list(await asyncio.gather(*(one() for _ in range(count))))

    try:
        return asyncio.run(main())
    finally:
        engine.dispose()


def try_probe(args: tuple[str, int]) -> int:
    """Ask a half-open breaker ``attempts`` times at once; returns how many tickets came back."""
    url, attempts = args
    engine = create_db_engine(url)
    breaker = SqlCircuitBreaker(engine, default=BreakerPolicy(cooldown_s=0, probe_timeout_s=600))

    async def one() -> int:
        try:
            await breaker.allow("sim")
        except CircuitOpen:
            return 0
        return 1

    async def main() -> int:
        return sum(await asyncio.gather(*(one() for _ in range(attempts))))

    try:
        return asyncio.run(main())
    finally:
        engine.dispose()
