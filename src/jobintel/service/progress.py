"""A run's progress from what the store holds: checkpoints for finished stages, the latest
stage events of the current attempt for running and skipped ones, the ledger for costs."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal

from jobintel.guard.ledger import CostLedger
from jobintel.pipeline import PIPELINE, EventKind
from jobintel.service.api.schemas import JobProgress, Progress, StageProgress
from jobintel.store import StageRecord, Store

#: Stage states that will not change in this attempt.
SETTLED = frozenset({"succeeded", "degraded", "failed", "skipped"})
_USABLE = frozenset({"succeeded", "degraded"})
_STAGE_EVENTS = [
    EventKind.RUN_STARTED,
    EventKind.STAGE_STARTED,
    EventKind.STAGE_SUCCEEDED,
    EventKind.STAGE_DEGRADED,
    EventKind.STAGE_FAILED,
    EventKind.STAGE_SKIPPED,
    EventKind.STAGE_RESTORED,
]


def run_progress(store: Store, run_id: str) -> Progress:
    """Percent done, per-stage counts and median durations, and each job's stage states."""
    run = store.run(run_id)
    jobs = store.jobs(run_id)
    records: dict[tuple[int, str], StageRecord] = {
        (r.job_id, r.stage): r for r in store.run_stage_results(run_id)
    }
    latest = _latest_stage_events(store, run_id)
    costs = CostLedger(store.engine).job_costs(run_id)
    names = PIPELINE.names

    def state(job_id: int, stage: str) -> str:
        record = records.get((job_id, stage))
        if record is not None:
            return record.status
        kind = latest.get((job_id, stage))
        if kind == EventKind.STAGE_STARTED and run.status == "running":
            return "running"
        if kind == EventKind.STAGE_SKIPPED:
            return "skipped"
        return "pending"

    grid = {job.id: {name: state(job.id, name) for name in names} for job in jobs}
    stages = {}
    for name in names:
        column = [grid[job.id][name] for job in jobs]
        durations = [
            r.duration_ms
            for (_, stage), r in records.items()
            if stage == name and r.status in _USABLE
        ]
        stages[name] = StageProgress(
            done=sum(s in _USABLE for s in column),
            total=len(jobs),
            running=column.count("running"),
            failed=column.count("failed"),
            degraded=column.count("degraded"),
            skipped=column.count("skipped"),
            p50_ms=round(statistics.median(durations), 3) if durations else None,
        )
    cells = len(jobs) * len(names)
    settled = sum(s in SETTLED for row in grid.values() for s in row.values())
    percent = (
        100.0 if run.status == "succeeded" else round(100 * settled / cells, 1) if cells else 0.0
    )
    return Progress(
        run_id=run_id,
        status=run.status,
        percent=percent,
        stages=stages,
        jobs=[
            JobProgress(
                id=job.id,
                title=job.title,
                company=job.company,
                status=job.status,
                stages=grid[job.id],
                cost_usd=costs.get(job.id, Decimal(0)),
            )
            for job in jobs
        ],
    )


def _latest_stage_events(store: Store, run_id: str) -> dict[tuple[int, str], str]:
    """The last stage event per (job, stage) since the run's latest start."""
    latest: dict[tuple[int, str], str] = defaultdict(str)
    for event in store.events(run_id, kinds=_STAGE_EVENTS):
        if event.kind == EventKind.RUN_STARTED:
            latest.clear()
        elif event.job_id is not None and event.stage is not None:
            latest[(event.job_id, event.stage)] = event.kind
    return dict(latest)
