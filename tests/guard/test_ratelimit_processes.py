"""Four processes sharing one rate limiter in the store never exceed it together."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests.guard.limiter_support import migrated_sqlite, pg_database
from tests.guard.limiter_worker import acquire_many
from tests.guard.test_ratelimit_invariant import windows_within

pytestmark = pytest.mark.slow

RPM, TPM, WINDOW_S = 6, 330, 0.4


def four_processes(url: str) -> list[tuple[float, int]]:
    jobs = [(url, seed, 10, RPM, TPM, WINDOW_S) for seed in range(4)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(acquire_many, jobs)
    return sorted(grant for result in results for grant in result)


def test_four_processes_on_sqlite_never_exceed_the_shared_limits(tmp_path: Path) -> None:
    """40 grants from 4 processes on one SQLite file: no window exceeds rpm or tpm."""
    grants = four_processes(migrated_sqlite(tmp_path / "shared.db"))
    assert len(grants) == 40
    windows_within(grants, window_s=WINDOW_S, rpm=RPM, tpm=TPM)


def test_four_processes_on_postgres_never_exceed_the_shared_limits() -> None:
    """The same on PostgreSQL, where row locks (not a database lock) serialise each key."""
    with pg_database() as engine:
        grants = four_processes(engine.url.render_as_string(hide_password=False))
    assert len(grants) == 40
    windows_within(grants, window_s=WINDOW_S, rpm=RPM, tpm=TPM)
