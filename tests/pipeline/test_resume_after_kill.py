"""SIGKILL a real `jobintel run` mid-run, then resume it: nothing completed runs twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from jobintel.store import Store
from tests.conftest import SAMPLES


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        JOBINTEL_DATA_DIR=str(tmp_path / "data"),
        JOBINTEL_OUT_DIR=str(tmp_path / "out"),
        JOBINTEL_CONCURRENCY="1",
    )
    return env


@pytest.mark.slow
def test_killed_run_resumes_without_repeating_completed_stages(tmp_path: Path) -> None:
    """After SIGKILL, --resume restores every committed stage and produces each artifact once."""
    env = _env(tmp_path)
    cmd = [
        sys.executable,
        "-m",
        "jobintel",
        "run",
        str(SAMPLES / "jobs.jsonl"),
        "--cv",
        str(SAMPLES / "master-cv.md"),
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = tmp_path / "data" / "jobintel.db"
    deadline = time.monotonic() + 120
    store: Store | None = None
    run_id = ""
    while time.monotonic() < deadline:
        if db.exists():
            store = store or Store.open(f"sqlite:///{db}", migrate=False)
            try:
                runs = store.runs()
            except Exception:  # schema not created yet
                runs = []
            if runs:
                run_id = runs[0].id
                done = store.events(run_id, kinds=["job_finished"])
                if len(done) >= 3:
                    break
        assert proc.poll() is None, "the run finished before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert store is not None and run_id
    before = store.events(run_id)
    cutoff = before[-1].id
    completed_before = {(e.job_id, e.stage) for e in before if e.kind == "stage_succeeded"}
    assert completed_before and store.run(run_id).status == "running"
    assert len(store.events(run_id, kinds=["run_finished"])) == 0

    resumed = subprocess.run(
        [sys.executable, "-m", "jobintel", "run", "--resume", run_id, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    after = store.events(run_id, after_id=cutoff)
    restarted = {(e.job_id, e.stage) for e in after if e.kind == "stage_started"}
    assert not (restarted & completed_before), "a completed stage ran again"
    restored = {(e.job_id, e.stage) for e in after if e.kind == "stage_restored"}
    assert completed_before <= restored
    succeeded = Counter(
        (e.job_id, e.stage) for e in store.events(run_id, kinds=["stage_succeeded"])
    )
    # Checkpoint and event commit together, so every stage succeeded exactly once overall.
    assert set(succeeded.values()) == {1}
    assert len(succeeded) == 53 * 10
    every = {(j.id, name) for j in store.jobs(run_id) for name in store.stage_results(j.id)}
    assert every == set(succeeded)
    assert restored == completed_before
    assert store.run(run_id).status == "succeeded"
    artifacts = store.artifacts(run_id)
    assert Counter(a.job_id for a in artifacts) == Counter({j.id: 7 for j in store.jobs(run_id)})
    assert all(Path(a.path).is_file() for a in artifacts)
    store.close()
