"""What the run page shows: live stage bars, each job's timeline, costs and errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jobintel.guard.ledger import CostLedger
from jobintel.observability.tracing import earlier_trace_ids, stored_trace_id
from jobintel.pipeline import PIPELINE, EventKind
from jobintel.service.api.schemas import Progress
from jobintel.service.executor import FINISHED
from jobintel.service.progress import run_progress
from jobintel.service.web.charts import Span, timeline
from jobintel.store import JobInfo, RunInfo, StageRecord, Store

#: The SSE event kinds after which the progress fragment is fetched again.
REFRESH_EVENTS = (
    EventKind.RUN_STARTED,
    EventKind.JOB_STARTED,
    EventKind.JOB_FINISHED,
    EventKind.STAGE_STARTED,
    EventKind.STAGE_SUCCEEDED,
    EventKind.STAGE_DEGRADED,
    EventKind.STAGE_FAILED,
    EventKind.STAGE_SKIPPED,
    EventKind.STAGE_RESTORED,
    EventKind.RUN_FINISHED,
)


@dataclass(frozen=True, kw_only=True)
class StageBar:
    """One stage across the run's jobs: how many settled, and how."""

    name: str
    settled: int
    total: int
    done: int
    running: int
    degraded: int
    failed: int
    skipped: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.settled / self.total)


@dataclass(frozen=True, kw_only=True)
class LiveProgress:
    """The part of the run page that updates while the run goes."""

    run_id: str
    status: str
    live: bool
    percent: float
    bars: list[StageBar]
    progress: Progress

    @property
    def summary(self) -> str:
        done = sum(bar.settled for bar in self.bars)
        total = sum(bar.total for bar in self.bars)
        return f"Run {self.status}: {done} of {total} stage steps settled ({self.percent:.0f}%)."


@dataclass(frozen=True, kw_only=True)
class StageLine:
    """One stage of one job in the timeline: its checkpoint, its span and what it cost."""

    record: StageRecord
    span: Span
    cost_usd: Decimal
    calls: int


@dataclass(frozen=True, kw_only=True)
class JobTimeline:
    job: JobInfo
    lines: list[StageLine]
    cost_usd: Decimal


@dataclass(frozen=True, kw_only=True)
class RunPage:
    run: RunInfo
    live: LiveProgress
    jobs: list[JobTimeline]
    cost_usd: Decimal
    problems: list[str]
    notes: list[str]
    #: The OpenTelemetry trace of the latest execution (None: not traced), and earlier ones.
    trace_id: str | None = None
    earlier_traces: tuple[str, ...] = ()


def is_live(status: str) -> bool:
    """Whether the run may still change without anyone acting (queued, pending, running)."""
    return status not in FINISHED


def live_progress(store: Store, run_id: str) -> LiveProgress:
    progress = run_progress(store, run_id)
    bars = [
        StageBar(
            name=name,
            settled=s.done + s.failed + s.skipped,
            total=s.total,
            done=s.done,
            running=s.running,
            degraded=s.degraded,
            failed=s.failed,
            skipped=s.skipped,
        )
        for name, s in progress.stages.items()
    ]
    return LiveProgress(
        run_id=run_id,
        status=progress.status,
        live=is_live(progress.status),
        percent=progress.percent,
        bars=bars,
        progress=progress,
    )


def run_page(store: Store, run_id: str) -> RunPage:
    """Everything the run page shows (raises ``RunNotFound``)."""
    run = store.run(run_id)
    live = live_progress(store, run_id)
    spend: dict[tuple[int | None, str | None], tuple[Decimal, int]] = {}
    for entry in CostLedger(store.engine).entries(run_id=run_id):
        cost, calls = spend.get((entry.job_id, entry.stage), (Decimal(0), 0))
        spend[(entry.job_id, entry.stage)] = (cost + entry.cost_usd, calls + 1)
    by_job: dict[int, list[StageRecord]] = {}
    for record in store.run_stage_results(run_id):
        by_job.setdefault(record.job_id, []).append(record)
    order = {name: index for index, name in enumerate(PIPELINE.names)}
    jobs = []
    problems: list[str] = []
    error = run.options.get("error")
    if isinstance(error, str) and error:
        problems.append(f"The run stopped: {error}")
    for job in store.jobs(run_id):
        records = sorted(by_job.get(job.id, []), key=lambda r: order.get(r.stage, len(order)))
        spans = timeline([(r.stage, r.status, r.started_at, r.finished_at) for r in records])
        lines = []
        for record, span in zip(records, spans, strict=True):
            cost, calls = spend.get((job.id, record.stage), (Decimal(0), 0))
            lines.append(StageLine(record=record, span=span, cost_usd=cost, calls=calls))
        jobs.append(
            JobTimeline(
                job=job, lines=lines, cost_usd=sum((line.cost_usd for line in lines), Decimal(0))
            )
        )
        problems.extend(
            f"Job {job.id} ({job.title}): {r.stage} failed: {r.error or 'no reason recorded'}"
            for r in records
            if r.status == "failed"
        )
    notes = []
    for event in store.events(run_id, kinds=[EventKind.INPUT_ERROR, EventKind.DUPLICATE]):
        if event.kind == EventKind.INPUT_ERROR:
            problems.append(f"Bad input: {event.message}")
        else:
            notes.append(f"Duplicate: {event.message}")
    total = sum((cost for cost, _ in spend.values()), Decimal(0))
    return RunPage(
        run=run,
        live=live,
        jobs=jobs,
        cost_usd=total,
        problems=problems,
        notes=notes,
        trace_id=stored_trace_id(run.options),
        earlier_traces=tuple(earlier_trace_ids(run.options)),
    )
