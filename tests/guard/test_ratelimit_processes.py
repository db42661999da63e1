"""Four processes sharing one SQLite rate limiter never exceed it together."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests.guard.limiter_support import migrated_sqlite
from tests.guard.limiter_worker import acquire_many
from tests.guard.test_ratelimit_invariant import windows_within

pytestmark = pytest.mark.slow

RPM, TPM, WINDOW_S = 6, 330, 0.4


def test_four_processes_never_exceed_the_shared_limits(tmp_path: Path) -> None:
    """40 grants from 4 processes: no window holds more than rpm requests or tpm tokens."""
    url = migrated_sqlite(tmp_path / "shared.db")
    jobs = [(url, seed, 10, RPM, TPM, WINDOW_S) for seed in range(4)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(acquire_many, jobs)
    grants = sorted(grant for result in results for grant in result)
    assert len(grants) == 40
    most_requests, most_tokens = windows_within(grants, window_s=WINDOW_S, rpm=RPM, tpm=TPM)
    assert most_requests == RPM or most_tokens > TPM * 0.7  # and the capacity is used
