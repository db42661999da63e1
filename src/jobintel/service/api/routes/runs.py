"""Runs: submit (202 at once), list, read, cancel, resume, re-run a stage.

Submitting only records the run; planning (output folders, jobs) and execution happen in
the executor, so a batch of any size answers at once and never holds up other requests.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response

from jobintel.errors import JobintelError, RunNotFound
from jobintel.guard.ledger import CostLedger
from jobintel.guard.policies import budget_limits
from jobintel.observability.tracing import stored_trace_id
from jobintel.pipeline import PIPELINE, EventKind
from jobintel.providers.registry import check_routes
from jobintel.service import queries
from jobintel.service.api.deps import ExecutorDep, Reader, Runner, SettingsDep, StoreDep
from jobintel.service.api.schemas import (
    JobOut,
    RerunRequest,
    RunAccepted,
    RunCreate,
    RunDetail,
    RunList,
    RunOptionsOut,
    RunSummaryOut,
    StageOut,
)
from jobintel.service.executor import FINISHED, RunActive, RunBusyElsewhere, RunOptions
from jobintel.service.executor import run_settings as settings_for_run
from jobintel.service.problems import Problem, invalid, problem_responses
from jobintel.settings import Settings
from jobintel.store import RunInfo, Store

router = APIRouter(prefix="/api/runs", tags=["runs"], responses=problem_responses(401, 403, 422))


def run_or_404(store: Store, run_id: str) -> RunInfo:
    try:
        return store.run(run_id)
    except RunNotFound:
        raise Problem(
            404, f"run {run_id!r} not found: list runs with GET /api/runs", type_="not-found"
        ) from None


def _accepted(response: Response, run_id: str, status: str) -> RunAccepted:
    location = f"/api/runs/{run_id}"
    response.headers["Location"] = location
    return RunAccepted(id=run_id, status=status, location=location, events=f"{location}/events")


@router.post(
    "",
    status_code=202,
    response_model=RunAccepted,
    responses=problem_responses(400, 503),
    summary="Submit a run over some postings (or all) for one candidate version",
)
async def submit_run(
    spec: RunCreate,
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
    executor: ExecutorDep,
    _who: Runner,
) -> RunAccepted:
    options = await asyncio.to_thread(_checked_options, spec, settings, store)
    run_id = await asyncio.to_thread(
        store.create_run,
        candidate_id=spec.candidate_id,
        out_dir=str(settings.out_dir.resolve()),
        jobs=[],
        options=options.stored(),
    )
    try:
        await executor.submit(run_id, options)
    except JobintelError as exc:
        # Never leave a pending run behind that nothing will execute (its event stream
        # would wait forever).
        await asyncio.to_thread(store.set_run_status, run_id, "failed")
        raise Problem(503, str(exc), type_="unavailable") from None
    return _accepted(response, run_id, "queued")


def _checked_options(spec: RunCreate, settings: Settings, store: Store) -> RunOptions:
    """The run's options, or a 422 naming the field that cannot work."""
    if spec.all == bool(spec.posting_ids):
        raise invalid("posting_ids", "give a non-empty posting_ids list or all: true (not both)")
    if queries.candidate_row(store.engine, spec.candidate_id) is None:
        raise invalid(
            "candidate_id",
            f"candidate {spec.candidate_id} not found: upload a CV with POST /api/candidates",
        )
    if spec.all:
        ids = queries.all_posting_ids(store.engine)
        if not ids:
            raise invalid("all", "no postings are stored: add some with POST /api/postings")
    else:
        ids = list(dict.fromkeys(spec.posting_ids or []))
        found = queries.postings_by_id(store.engine, ids)
        missing = [pid for pid in ids if pid not in found]
        if missing:
            shown = ", ".join(str(pid) for pid in missing[:10])
            raise invalid("posting_ids", f"posting(s) {shown} not found: see GET /api/postings")
    budget: dict[str, str | None] = {}
    for kind, usd in spec.budget.items():
        try:
            budget_limits(settings, **{f"per_{kind}_usd": usd})
        except (ValueError, ArithmeticError) as exc:
            raise invalid(f"budget.{kind}", str(exc)) from None
        budget[kind] = None if usd is None else str(usd)
    options = RunOptions(
        posting_ids=tuple(ids),
        concurrency=spec.concurrency,
        strategy=spec.strategy,
        budget=budget,
    )
    problems = check_routes(settings_for_run(settings, options))
    if problems:
        detail = "; ".join(f"{name}: {message}" for name, message in problems)
        raise invalid("strategy", f"the model routes cannot be used: {detail}")
    return options


@router.get("", response_model=RunList, summary="Recent runs, newest first")
async def list_runs(
    store: StoreDep, _who: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> RunList:
    runs = await asyncio.to_thread(store.runs, limit=limit)
    return RunList(runs=[summary_of(run) for run in runs])


def summary_of(run: RunInfo) -> RunSummaryOut:
    return RunSummaryOut(
        id=run.id,
        status=run.status,
        candidate_id=run.candidate_id,
        job_count=run.jobs,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.get(
    "/{run_id}",
    response_model=RunDetail,
    responses=problem_responses(404),
    summary="A run: status, options, jobs, each job's stages and cost",
)
async def get_run(run_id: str, store: StoreDep, _who: Reader) -> RunDetail:
    return await asyncio.to_thread(_detail, store, run_id)


def _detail(store: Store, run_id: str) -> RunDetail:
    run = run_or_404(store, run_id)
    costs = CostLedger(store.engine).job_costs(run_id)
    stages: dict[int, dict[str, StageOut]] = defaultdict(dict)
    for record in store.run_stage_results(run_id):
        stages[record.job_id][record.stage] = StageOut(
            status=record.status,
            strategy=record.strategy,
            started_at=record.started_at,
            finished_at=record.finished_at,
            duration_ms=record.duration_ms,
            attempts=record.attempts,
            reason=record.reason,
            error=record.error,
        )
    jobs = [
        JobOut(
            id=job.id,
            posting_id=job.posting_id,
            position=job.position,
            title=job.title,
            company=job.company,
            status=job.status,
            cost_usd=costs.get(job.id, Decimal(0)),
            stages=stages.get(job.id, {}),
        )
        for job in store.jobs(run_id)
    ]
    options = RunOptions.from_stored(run.options)
    problems = [e.message for e in store.events(run_id, kinds=[EventKind.INPUT_ERROR])]
    error = run.options.get("error")
    if isinstance(error, str) and error:
        problems.insert(0, error)
    return RunDetail(
        **summary_of(run).model_dump(),
        options=RunOptionsOut(
            postings=len(options.posting_ids) or run.jobs,
            concurrency=options.concurrency,
            strategy=options.strategy,
            budget=dict(options.budget),
        ),
        cost_usd=sum(costs.values(), Decimal(0)),
        jobs=jobs,
        problems=problems,
        trace_id=stored_trace_id(run.options),
    )


@router.post(
    "/{run_id}/cancel",
    response_model=RunSummaryOut,
    responses=problem_responses(404, 409),
    summary="Cancel a queued or running run (its checkpoints stay: it can be resumed)",
)
async def cancel_run(
    run_id: str, store: StoreDep, executor: ExecutorDep, _who: Runner
) -> RunSummaryOut:
    run = await asyncio.to_thread(run_or_404, store, run_id)
    if not await executor.cancel(run_id):
        if run.status in FINISHED:
            detail = f"run {run_id} is not running: it ended {run.status}"
        else:
            detail = f"run {run_id} is executed by another process: stop it there"
        raise Problem(409, detail, type_="not-running")
    return summary_of(await asyncio.to_thread(store.run, run_id))


@router.post(
    "/{run_id}/resume",
    status_code=202,
    response_model=RunAccepted,
    responses=problem_responses(404, 409, 503),
    summary="Continue a stopped run from its checkpoints",
)
async def resume_run(
    run_id: str, response: Response, store: StoreDep, executor: ExecutorDep, _who: Runner
) -> RunAccepted:
    run = await asyncio.to_thread(run_or_404, store, run_id)
    if run.status == "succeeded":
        raise Problem(
            409,
            f"run {run_id} already succeeded: nothing to resume; re-run a stage with "
            f"POST /api/runs/{run_id}/rerun",
            type_="nothing-to-resume",
        )
    await _start(executor.resume(run_id))
    return _accepted(response, run_id, "queued")


@router.post(
    "/{run_id}/rerun",
    status_code=202,
    response_model=RunAccepted,
    responses=problem_responses(400, 404, 409, 503),
    summary="Run one stage again (and every stage that depends on it)",
)
async def rerun_stage(
    run_id: str,
    spec: RerunRequest,
    response: Response,
    store: StoreDep,
    executor: ExecutorDep,
    _who: Runner,
) -> RunAccepted:
    await asyncio.to_thread(run_or_404, store, run_id)
    if spec.stage not in PIPELINE:
        raise invalid("stage", f"unknown stage {spec.stage!r}: one of {', '.join(PIPELINE.names)}")
    job_ids = list(dict.fromkeys(spec.job_ids or []))
    if job_ids:
        known = {job.id for job in await asyncio.to_thread(store.jobs, run_id)}
        unknown = [job for job in job_ids if job not in known]
        if unknown:
            raise invalid("job_ids", f"job(s) {unknown[:10]} are not in run {run_id}")
    await _start(executor.rerun(run_id, spec.stage, job_ids))
    return _accepted(response, run_id, "queued")


async def _start(work: Awaitable[None]) -> None:
    try:
        await work
    except (RunActive, RunBusyElsewhere) as exc:
        raise Problem(409, str(exc), type_="run-active") from None
    except JobintelError as exc:
        raise Problem(503, str(exc), type_="unavailable") from None
