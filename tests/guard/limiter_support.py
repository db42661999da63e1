"""Shared by the rate-limit and breaker tests: virtual time and backends on a fresh store."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from jobintel.guard.breaker import BreakerPolicy, CircuitBreaker, InMemoryCircuitBreaker
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.events import GuardEvent
from jobintel.guard.ratelimit import InMemoryRateLimiter, RateLimiter, RateLimitPolicy
from jobintel.guard.ratelimit_sql import SqlRateLimiter
from jobintel.store import create_db_engine, upgrade_to_head

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("memory", "sqlite", "postgres")


class VirtualTime:
    """A clock that moves only when the test says so; ``sleep`` parks until it gets there.

    ``run`` drives a set of tasks to completion: it lets every runnable task go as far as
    it can, then jumps the clock to the earliest pending sleep and wakes it.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    @property
    def sleeping(self) -> int:
        """How many sleeps are pending."""
        return sum(1 for _, _, future in self._timers if not future.done())

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + delay, next(self._seq), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, waking every sleep due on the way."""
        target = self.now + seconds
        await settle()
        while self._timers and self._timers[0][0] <= target:
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            if not future.done():
                future.set_result(None)
                await settle()
        self.now = target
        await settle()

    async def run(self, tasks: list[asyncio.Task[Any]], *, limit_s: float = 1e6) -> None:
        """Drive ``tasks`` to completion in virtual time (at most ``limit_s`` of it)."""
        end = self.now + limit_s
        while True:
            await settle()
            if all(task.done() for task in tasks):
                return
            while self._timers and self._timers[0][2].done():
                heapq.heappop(self._timers)
            if not self._timers or self._timers[0][0] > end:
                raise AssertionError("tasks are stuck: nothing left to wake them")
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            future.set_result(None)


async def settle(rounds: int = 50) -> None:
    """Let every runnable task run until it blocks again."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def migrated_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url


GUARD_TABLES = (
    "rate_limit_keys",
    "rate_limit_grants",
    "rate_limit_waiters",
    "rate_limit_daily",
    "breaker_states",
    "breaker_calls",
)


@contextmanager
def pg_database() -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database, dropped afterwards (share it per module)."""
    name = f"jobintel_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        upgrade_to_head(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def engine_for(kind: str, folder: Path, pg: Engine | None = None) -> Iterator[Engine | None]:
    """``None`` for the in-process backend, else an engine on empty guard tables.

    SQLite gets a fresh file; PostgreSQL reuses the module's database (``pg``) with the
    guard tables emptied, which is much faster than creating a database per test.
    """
    if kind == "memory":
        yield None
        return
    if kind == "postgres":
        if pg is None:
            raise ValueError("the PostgreSQL backend needs the module's pg_database engine")
        with pg.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(GUARD_TABLES)} RESTART IDENTITY"))
        yield pg
        return
    engine = create_db_engine(migrated_sqlite(folder / f"guard-{secrets.token_hex(3)}.db"))
    try:
        yield engine
    finally:
        engine.dispose()


def make_limiter(
    engine: Engine | None,
    time: VirtualTime,
    *,
    policies: Mapping[str, RateLimitPolicy] | None = None,
    default: RateLimitPolicy | None = None,
    on_event: Callable[[GuardEvent], None] | None = None,
    wall_clock: Callable[[], float] | None = None,
    poll_s: float = 1e6,
) -> RateLimiter:
    common: dict[str, Any] = {
        "policies": policies,
        "default": default,
        "clock": time,
        "wall_clock": wall_clock or time,
        "sleep": time.sleep,
        "on_event": on_event or (lambda _event: None),
    }
    if engine is None:
        return InMemoryRateLimiter(**common)
    # Waiters then sleep only until their start time, so virtual time stays exact.
    return SqlRateLimiter(
        engine, poll_s=poll_s, handoff_s=poll_s, waiter_ttl_s=3 * poll_s, **common
    )


def make_breaker(
    engine: Engine | None,
    clock: Callable[[], float],
    *,
    policies: Mapping[str, BreakerPolicy] | None = None,
    default: BreakerPolicy | None = None,
    on_event: Callable[[GuardEvent], None] | None = None,
) -> CircuitBreaker:
    common: dict[str, Any] = {
        "policies": policies,
        "default": default,
        "clock": clock,
        "on_event": on_event or (lambda _event: None),
    }
    if engine is None:
        return InMemoryCircuitBreaker(**common)
    return SqlCircuitBreaker(engine, **common)


async def sleepers(time: VirtualTime, count: int, *, timeout_s: float = 10.0) -> None:
    """Wait (really) until ``count`` tasks sleep on ``time``: SQL steps run in threads."""
    for _ in range(int(timeout_s / 0.002)):
        await settle()
        if time.sleeping >= count:
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"expected {count} sleeping tasks, found {time.sleeping}")
