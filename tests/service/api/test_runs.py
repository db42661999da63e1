"""Runs through the API: submit (202 at once), follow to the end, read, cancel, resume, re-run."""

from __future__ import annotations

import asyncio
import time

from jobintel.pipeline import PIPELINE
from tests.conftest import SAMPLES
from tests.service.api.conftest import POSTINGS, Api, gated, use_executor


async def test_a_submitted_run_completes_with_progress_and_artifacts(api: Api) -> None:
    """A deterministic run submitted through the API finishes "succeeded": every stage of
    every job is checkpointed, progress reaches 100%, and its CV PDF downloads as a PDF."""
    cv_id = await api.upload_cv()
    postings = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    postings += await api.add_postings(POSTINGS / "helio-data-engineer.txt")
    submitted = await api.client.post(
        "/api/runs",
        headers=api.auth("run"),
        json={"posting_ids": postings, "candidate_id": cv_id, "concurrency": 2},
    )
    assert submitted.status_code == 202
    run_id = submitted.json()["id"]
    assert submitted.headers["location"] == f"/api/runs/{run_id}"

    run = await api.finish(run_id)
    assert run["status"] == "succeeded"
    assert [job["posting_id"] for job in run["jobs"]] == postings
    for job in run["jobs"]:
        assert set(job["stages"]) == set(PIPELINE.names)
        assert all(stage["status"] == "succeeded" for stage in job["stages"].values())
        assert job["cost_usd"] == "0"
    assert run["options"]["concurrency"] == 2

    progress = (await api.client.get(f"/api/runs/{run_id}/progress", headers=api.auth())).json()
    assert progress["percent"] == 100.0
    assert progress["stages"]["publish"] == {
        "done": 2,
        "total": 2,
        "running": 0,
        "failed": 0,
        "degraded": 0,
        "skipped": 0,
        "p50_ms": progress["stages"]["publish"]["p50_ms"],
    }

    listing = await api.client.get(f"/api/runs/{run_id}/artifacts", headers=api.auth("read"))
    artifacts = listing.json()["artifacts"]
    assert {a["kind"] for a in artifacts} >= {"cv_pdf", "dossier_html", "cover_letter_md"}
    pdf = next(a for a in artifacts if a["kind"] == "cv_pdf")
    download = await api.client.get(pdf["url"], headers=api.auth("read"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    assert len(download.content) == pdf["bytes"]
    assert "attachment" in download.headers["content-disposition"]


async def test_an_artifact_outside_its_run_folder_is_not_served(api: Api) -> None:
    """A stored artifact path that points outside the run's output folder gets 404."""
    from sqlalchemy import update

    from jobintel.store.tables import ArtifactRow

    cv_id = await api.upload_cv()
    [posting] = await api.add_postings(POSTINGS / "orbit-frontend.json")
    run_id = await api.submit([posting], cv_id)
    await api.finish(run_id)
    artifacts = (await api.client.get(f"/api/runs/{run_id}/artifacts", headers=api.auth())).json()[
        "artifacts"
    ]
    target = artifacts[0]
    with api.store.engine.begin() as conn:
        conn.execute(
            update(ArtifactRow).where(ArtifactRow.id == target["id"]).values(path="/etc/passwd")
        )
    response = await api.client.get(target["url"], headers=api.auth())
    assert response.status_code == 404
    assert "root:" not in response.text


async def test_a_batch_of_all_samples_is_accepted_at_once_even_with_every_worker_busy(
    api: Api,
) -> None:
    """With the only worker slot held by another run, submitting all 53 samples still
    answers 202 "queued" (nothing is planned or executed in the request); cancelling the
    queued batch ends it "cancelled" with a run_finished event."""
    gate = asyncio.Event()
    use_executor(api, gated(gate))
    api.app.state.executor._slots = asyncio.Semaphore(1)
    cv_id = await api.upload_cv()
    samples = await api.add_postings(SAMPLES / "jobs.jsonl")
    [first] = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    blocker = await api.submit([first], cv_id)

    response = await api.client.post(
        "/api/runs", headers=api.auth("run"), json={"all": True, "candidate_id": cv_id}
    )
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    batch = response.json()["id"]
    deadline = time.monotonic() + 60  # planning happens in the executor: wait for its jobs
    while not (await api.run(batch))["job_count"] and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    queued = await api.run(batch)
    assert (queued["status"], queued["job_count"]) == ("queued", len(samples) + 1)
    assert api.store.events(batch, kinds=["run_started"]) == []

    cancelled = await api.client.post(f"/api/runs/{batch}/cancel", headers=api.auth("run"))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert (await api.events(batch))[-1]["data"]["message"] == "cancelled"
    assert {job["status"] for job in (await api.run(batch))["jobs"]} == {"cancelled"}

    gate.set()
    assert (await api.finish(blocker))["status"] == "succeeded"


async def test_a_running_batch_of_all_samples_can_be_cancelled(api: Api) -> None:
    """All 53 samples submitted with the real executor answer 202 at once; cancelling
    right away ends the run "cancelled" (not failed, not left running)."""
    cv_id = await api.upload_cv()
    await api.add_postings(SAMPLES / "jobs.jsonl")
    response = await api.client.post(
        "/api/runs", headers=api.auth("run"), json={"all": True, "candidate_id": cv_id}
    )
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert (
        await api.client.post(f"/api/runs/{run_id}/cancel", headers=api.auth())
    ).status_code == 200
    run = await api.run(run_id)
    assert run["status"] == "cancelled"
    assert not api.executor.is_active(run_id)
    again = await api.client.post(f"/api/runs/{run_id}/cancel", headers=api.auth())
    assert again.status_code == 409


async def test_a_cancelled_run_resumes_from_its_checkpoints(api: Api) -> None:
    """Resuming a cancelled run restores the stages it had completed and finishes the rest."""
    cv_id = await api.upload_cv()
    postings = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    postings += await api.add_postings(POSTINGS / "helio-data-engineer.txt")
    run_id = await api.submit(postings, cv_id, concurrency=1)
    stop_after_first_job = asyncio.Event()

    def watch(record: object) -> None:
        if getattr(record, "kind", "") == "job_finished":
            stop_after_first_job.set()

    unsubscribe = api.executor.subscribe(watch)
    await stop_after_first_job.wait()
    unsubscribe()
    await api.client.post(f"/api/runs/{run_id}/cancel", headers=api.auth())
    assert (await api.run(run_id))["status"] == "cancelled"

    resumed = await api.client.post(f"/api/runs/{run_id}/resume", headers=api.auth("run"))
    assert resumed.status_code == 202
    assert (await api.finish(run_id))["status"] == "succeeded"
    restored = api.store.events(run_id, kinds=["stage_restored"])
    assert len(restored) >= len(PIPELINE.names)  # the first job was not done twice
    done = await api.client.post(f"/api/runs/{run_id}/resume", headers=api.auth())
    assert done.status_code == 409


async def test_one_stage_can_be_run_again(api: Api) -> None:
    """Re-running "cv" for one job redoes cv and what depends on it, and only for that job."""
    cv_id = await api.upload_cv()
    postings = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    postings += await api.add_postings(POSTINGS / "orbit-frontend.json")
    run_id = await api.submit(postings, cv_id)
    before = await api.finish(run_id)
    job = before["jobs"][0]["id"]
    response = await api.client.post(
        f"/api/runs/{run_id}/rerun", headers=api.auth("run"), json={"stage": "cv", "job_ids": [job]}
    )
    assert response.status_code == 202
    after = await api.finish(run_id)
    attempts = {j["id"]: {s: v["attempts"] for s, v in j["stages"].items()} for j in after["jobs"]}
    assert attempts[job]["cv"] == 1  # forgotten, then done again as a fresh checkpoint
    assert (
        after["jobs"][0]["stages"]["cv"]["finished_at"]
        > before["jobs"][0]["stages"]["cv"]["finished_at"]
    )
    assert after["jobs"][1]["stages"]["cv"] == before["jobs"][1]["stages"]["cv"]
    assert after["jobs"][0]["stages"]["fit"] == before["jobs"][0]["stages"]["fit"]


async def test_bad_run_requests_name_the_field(api: Api) -> None:
    """Unknown postings, candidates, stages, jobs and bad budgets are 422s naming the field;
    an unknown run is 404."""
    cv_id = await api.upload_cv()
    [posting] = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    cases = [
        ({"posting_ids": [999], "candidate_id": cv_id}, "posting_ids"),
        ({"posting_ids": [posting], "candidate_id": 999}, "candidate_id"),
        ({"posting_ids": [posting], "all": True, "candidate_id": cv_id}, "posting_ids"),
        ({"posting_ids": [posting], "candidate_id": cv_id, "concurrency": 0}, "concurrency"),
        ({"posting_ids": [posting], "candidate_id": cv_id, "budget": {"run": "-1"}}, "budget.run"),
        ({"posting_ids": [posting], "candidate_id": cv_id, "budget": {"week": "1"}}, "budget.week"),
        ({"posting_ids": [posting], "candidate_id": cv_id, "strategy": "llm"}, "strategy"),
    ]
    for body, field in cases:
        response = await api.client.post("/api/runs", headers=api.auth(), json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    run_id = await api.submit([posting], cv_id, budget={"run": "2.50", "job": None})
    assert (await api.run(run_id))["options"]["budget"] == {"run": "2.50", "job": None}
    await api.finish(run_id)
    stage = await api.client.post(
        f"/api/runs/{run_id}/rerun", headers=api.auth(), json={"stage": "polish"}
    )
    assert stage.json()["errors"][0]["field"] == "stage"
    jobs = await api.client.post(
        f"/api/runs/{run_id}/rerun", headers=api.auth(), json={"stage": "fit", "job_ids": [12345]}
    )
    assert jobs.json()["errors"][0]["field"] == "job_ids"
    assert (await api.client.get("/api/runs/nope", headers=api.auth())).status_code == 404
    listing = await api.client.get("/api/runs", headers=api.auth("read"))
    assert [r["id"] for r in listing.json()["runs"]] == [run_id]
