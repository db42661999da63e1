"""The in-process executor: bounded slots, cancel, shutdown, failures, resume."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from jobintel.models import MasterCV
from jobintel.service.executor import InProcessExecutor, RunActive, RunOptions
from jobintel.store import Store
from tests.service.api.conftest import (
    POSTINGS,
    Api,
    gated,
    running_api,
    service_settings,
    use_executor,
)


async def test_runs_beyond_the_worker_slots_wait_queued(api: Api) -> None:
    """With one slot held by a run, a second run stays "queued" (planned, not started)
    until the first finishes, then completes too."""
    gate = asyncio.Event()
    use_executor(api, gated(gate))
    api.app.state.executor._slots = asyncio.Semaphore(1)
    cv_id = await api.upload_cv()
    [first] = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    [second] = await api.add_postings(POSTINGS / "helio-data-engineer.txt")
    holder = await api.submit([first], cv_id)
    waiting = await api.submit([second], cv_id)
    for _ in range(500):
        if (await api.run(waiting))["job_count"]:
            break
        await asyncio.sleep(0.01)
    assert (await api.run(waiting))["status"] == "queued"
    assert api.store.events(waiting, kinds=["run_started"]) == []
    gate.set()
    assert (await api.finish(holder))["status"] == "succeeded"
    assert (await api.finish(waiting))["status"] == "succeeded"


async def test_a_run_cannot_be_started_twice_at_once(api: Api) -> None:
    """Resuming a run that is still queued or running is refused (409 via the API)."""
    gate = asyncio.Event()
    use_executor(api, gated(gate))
    cv_id = await api.upload_cv()
    [posting] = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    run_id = await api.submit([posting], cv_id)
    response = await api.client.post(f"/api/runs/{run_id}/resume", headers=api.auth())
    assert response.status_code == 409
    assert "already queued or running" in response.json()["detail"]
    try:
        await api.executor.submit(run_id, RunOptions())
    except RunActive:
        pass
    else:
        raise AssertionError("a second submit of an active run was accepted")
    gate.set()
    await api.finish(run_id)


async def test_shutdown_leaves_runs_interrupted_and_resumable(api: Api, tmp_path: Path) -> None:
    """Closing the executor while a run waits marks it "interrupted" (not cancelled); a
    new executor resumes it to the end."""
    gate = asyncio.Event()
    executor = InProcessExecutor(api.store, api.settings, gateway_factory=gated(gate))
    cv_id = await api.upload_cv()
    [posting] = await api.add_postings(POSTINGS / "orbit-frontend.json")
    run_id = api.store.create_run(candidate_id=cv_id, out_dir=str(api.settings.out_dir), jobs=[])
    await executor.submit(run_id, RunOptions(posting_ids=(posting,)))
    for _ in range(500):  # planned: the run now waits at the gate, holding its slot
        if api.store.jobs(run_id):
            break
        await asyncio.sleep(0.01)
    await executor.aclose()
    assert api.store.run(run_id).status == "interrupted"
    assert not executor.is_active(run_id)

    resumed = await api.client.post(f"/api/runs/{run_id}/resume", headers=api.auth())
    assert resumed.status_code == 202
    assert (await api.finish(run_id))["status"] == "succeeded"


async def test_a_run_that_cannot_start_fails_with_a_reason(api: Api) -> None:
    """A run whose postings all vanished before planning ends "failed" with the reason in
    its problems and a run_finished event, instead of hanging queued."""
    cv_id = await api.upload_cv()
    run_id = api.store.create_run(candidate_id=cv_id, out_dir=str(api.settings.out_dir), jobs=[])
    await api.executor.submit(run_id, RunOptions(posting_ids=(4242,)))
    run = await api.finish(run_id)
    assert run["status"] == "failed"
    assert any("none of its postings exist" in p for p in run["problems"])
    assert any("posting 4242 was deleted" in p for p in run["problems"])


async def test_a_new_server_marks_runs_left_by_a_dead_one_interrupted(tmp_path: Path) -> None:
    """Runs a dead process on this host left queued or running are marked "interrupted"
    when the service starts; a run of a live process is left alone."""
    settings = service_settings(tmp_path)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = socket.gethostname()
    store = Store.open(settings.effective_database_url)
    try:
        cv_id = store.upsert_candidate(MasterCV(source="cv.md", name="A", content_hash="h"))
        orphaned = store.create_run(candidate_id=cv_id, out_dir="out", jobs=[])
        store.set_run_status(
            orphaned, "queued", options={"pid": int(finished.stdout), "host": host}
        )
        elsewhere = store.create_run(candidate_id=cv_id, out_dir="out", jobs=[])
        store.set_run_status(elsewhere, "running", options={"pid": os.getppid(), "host": host})
    finally:
        store.close()
    async with running_api(settings) as api:
        assert api.store.run(orphaned).status == "interrupted"
        assert api.store.run(elsewhere).status == "running"
