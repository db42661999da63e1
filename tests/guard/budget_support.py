"""Shared by the budget tests: a drivable clock, backends on a fresh store, a PG database."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from jobintel.guard.budget import Budgets, InMemoryBudgets
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.events import GuardEvent
from jobintel.store import create_db_engine, upgrade_to_head

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("memory", "sqlite")


class FakeClock:
    """A clock the test moves by hand: expiry is tested without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def migrated_sqlite(path: Path) -> str:
    """A SQLite database at ``path`` with the whole schema; returns its URL."""
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url


def copy_sqlite(template: Path, target: Path) -> str:
    """A copy of a migrated database (much faster than migrating again)."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@contextmanager
def open_backend(
    kind: str,
    folder: Path,
    *,
    events: list[GuardEvent] | None = None,
    clock: FakeClock | None = None,
    ttl: float = 600.0,
) -> Iterator[Budgets]:
    """An empty backend of ``kind`` ("memory" or "sqlite" in ``folder``), closed afterwards."""
    sink = events.append if events is not None else (lambda _event: None)
    time_source = clock or FakeClock()
    if kind == "memory":
        yield InMemoryBudgets(on_event=sink, clock=time_source, reservation_ttl_s=ttl)
        return
    engine: Engine = create_db_engine(
        migrated_sqlite(folder / f"budgets-{secrets.token_hex(3)}.db")
    )
    try:
        yield SqlBudgets(engine, on_event=sink, clock=time_source, reservation_ttl_s=ttl)
    finally:
        engine.dispose()


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"jobintel_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
