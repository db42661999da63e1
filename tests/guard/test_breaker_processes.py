"""Several processes sharing one SQLite breaker: exactly one probe in half-open."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import pytest

from jobintel.guard.breaker import BreakerPolicy
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.store import create_db_engine
from tests.guard.limiter_support import migrated_sqlite
from tests.guard.limiter_worker import try_probe

pytestmark = pytest.mark.slow


def test_exactly_one_probe_across_processes(tmp_path: Path) -> None:
    """4 processes x 20 concurrent callers reach a half-open breaker: one probe in total."""
    url = migrated_sqlite(tmp_path / "shared.db")
    engine = create_db_engine(url)
    # The same policy as the workers; cooldown 0, so the breaker is ready to probe at once.
    breaker = SqlCircuitBreaker(engine, default=BreakerPolicy(cooldown_s=0, probe_timeout_s=600))

    async def open_it() -> None:
        for _ in range(5):
            await breaker.record(await breaker.allow("sim"), "failure")

    asyncio.run(open_it())
    engine.dispose()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        admitted = pool.map(try_probe, [(url, 20)] * 4)
    assert sum(admitted) == 1
