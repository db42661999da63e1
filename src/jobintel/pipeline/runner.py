"""Runs the stage DAG for every job of a run, checkpointing each stage as it completes."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from jobintel import context
from jobintel.errors import JobintelError, StrategyUnavailable
from jobintel.guard import CallMeta, Gateway
from jobintel.models import MasterCV, Published
from jobintel.observability.tracing import (
    run_span,
    stage_outcome,
    stage_span,
    trace_id_of,
    with_trace_id,
)
from jobintel.pipeline.dag import StageGraph
from jobintel.pipeline.events import EventBus, EventKind
from jobintel.pipeline.llm import StageLLM, StageResearch
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages import PIPELINE
from jobintel.processes import pid_alive, this_host
from jobintel.providers.registry import stage_route
from jobintel.settings import Settings
from jobintel.store import JobInfo, Store
from jobintel.store.tables import utcnow

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

log = logging.getLogger(__name__)

#: Checkpoint statuses whose output later stages can build on.
USABLE = frozenset({"succeeded", "degraded"})


class RunBusy(JobintelError):
    """Another live process is executing this run."""


@dataclass(frozen=True, kw_only=True)
class JobOutcome:
    job_id: int
    title: str
    company: str
    status: str
    output_dir: str | None
    stage_status: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    run_id: str
    status: str
    jobs: tuple[JobOutcome, ...]


class PipelineRunner:
    """Executes runs stored in ``store``; safe to call again on an interrupted run."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        bus: EventBus | None = None,
        graph: StageGraph = PIPELINE,
        gateway: Gateway | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.bus = bus or EventBus(store)
        self.graph = graph
        self.gateway = gateway
        #: Spans for the run and its stages; None (tracing off) makes none at all.
        self.tracer = tracer

    async def execute(self, run_id: str, *, concurrency: int | None = None) -> RunSummary:
        """Run (or resume) every job of ``run_id``; completed stages are restored, not redone."""
        with run_span(self.tracer, run_id, "run") as span:
            return await self._execute(run_id, concurrency, span)

    async def _execute(self, run_id: str, concurrency: int | None, span: Span | None) -> RunSummary:
        run = await asyncio.to_thread(self.store.run, run_id)
        _refuse_if_live_elsewhere(run_id, run.status, run.options)
        options = with_trace_id(
            {**run.options, "pid": os.getpid(), "host": this_host()}, trace_id_of(span)
        )
        await asyncio.to_thread(self.store.set_run_status, run_id, "running", options=options)
        await self.bus.apublish(run_id, EventKind.RUN_STARTED, message=f"{run.jobs} job(s)")
        cv = await asyncio.to_thread(self.store.candidate, run.candidate_id)
        jobs = await asyncio.to_thread(self.store.jobs, run_id)
        limit = asyncio.Semaphore(concurrency or self.settings.concurrency)

        async def bounded(job: JobInfo) -> JobOutcome:
            async with limit:
                with context.bind(run_id=run_id, job_id=job.id):
                    return await self._execute_job(run_id, job, cv, run.candidate_id)

        try:
            outcomes = await asyncio.gather(*(bounded(job) for job in jobs))
        except BaseException:
            # Shielded: a cancelled run still records that it stopped.
            await asyncio.shield(
                asyncio.to_thread(self.store.set_run_status, run_id, "interrupted")
            )
            raise
        status = _run_status([o.status for o in outcomes])
        if span is not None:
            span.set_attributes({"jobintel.jobs": len(jobs), "jobintel.outcome": status})
        await asyncio.to_thread(self.store.set_run_status, run_id, status)
        await self.bus.apublish(run_id, EventKind.RUN_FINISHED, message=status)
        return RunSummary(run_id=run_id, status=status, jobs=tuple(outcomes))

    async def rerun(
        self,
        run_id: str,
        stage: str,
        *,
        job_ids: Sequence[int] = (),
        concurrency: int | None = None,
    ) -> RunSummary:
        """Forget ``stage`` and everything downstream of it, then execute the run again."""
        stages = self.graph.descendants([stage])  # raises KeyError naming the valid stages
        with run_span(self.tracer, run_id, "rerun", rerun_stage=stage) as span:
            ids = list(job_ids) or [
                job.id for job in await asyncio.to_thread(self.store.jobs, run_id)
            ]
            await asyncio.to_thread(self.store.forget_stages, ids, stages)
            return await self._execute(run_id, concurrency, span)

    async def _execute_job(
        self, run_id: str, job: JobInfo, cv: MasterCV, candidate_id: int
    ) -> JobOutcome:
        records = await asyncio.to_thread(self.store.stage_results, job.id)
        posting = await asyncio.to_thread(self.store.posting, job.posting_id)
        results: dict[str, BaseModel] = {}
        status: dict[str, str] = {}
        strategies: dict[str, str] = {}
        degraded: dict[str, str] = {}
        for spec in self.graph.order:
            record = records.get(spec.name)
            deps_ok = all(status.get(need) in USABLE for need in spec.needs)
            if (
                record is not None
                and record.status in USABLE
                and deps_ok
                and record.output is not None
            ):
                results[spec.name] = spec.output.model_validate(record.output)
                status[spec.name] = record.status
                strategies[spec.name] = record.strategy
                if record.reason:
                    degraded[spec.name] = record.reason
                await self.bus.apublish(
                    run_id,
                    EventKind.STAGE_RESTORED,
                    job_id=job.id,
                    stage=spec.name,
                    duration_ms=record.duration_ms,
                    message="completed in an earlier attempt",
                )
        pending = [spec for spec in self.graph.order if spec.name not in results]
        if not pending:
            return await self._finish_job(run_id, job, status, announce=False)

        await asyncio.to_thread(self.store.set_job_status, job.id, "running")
        await self.bus.apublish(
            run_id,
            EventKind.JOB_STARTED,
            job_id=job.id,
            message=f"{posting.title} — {posting.company}",
        )
        done: dict[str, asyncio.Event] = {spec.name: asyncio.Event() for spec in pending}
        for name in results:
            done[name] = asyncio.Event()
            done[name].set()

        async def run_stage(name: str) -> None:
            spec = self.graph[name]
            try:
                for need in spec.needs:
                    await done[need].wait()
                blocked = [n for n in spec.needs if status.get(n) not in USABLE]
                if blocked:
                    status[name] = "skipped"
                    with stage_span(self.tracer, run_id, job.id, name) as skipped:
                        stage_outcome(skipped, "skipped")
                    await self.bus.apublish(
                        run_id,
                        EventKind.STAGE_SKIPPED,
                        job_id=job.id,
                        stage=name,
                        message=f"needs {', '.join(blocked)}, which did not complete",
                    )
                    return
                ctx = StageContext(
                    run_id=run_id,
                    job_id=job.id,
                    posting=posting,
                    cv=cv,
                    output_dir=_output_dir(job, self.settings),
                    settings=self.settings,
                    results=dict(results),
                    strategies=dict(strategies),
                    degraded=dict(degraded),
                    candidate_id=candidate_id,
                    store=self.store,
                )
                await self.bus.apublish(run_id, EventKind.STAGE_STARTED, job_id=job.id, stage=name)
                started = utcnow()
                ids = {"run_id": run_id, "job_id": job.id, "stage": name}
                logged = False
                try:
                    with (
                        stage_span(self.tracer, run_id, job.id, name) as span,
                        context.bind(stage=name),
                    ):
                        try:
                            output, strategy, reason = await self._run_strategies(spec, ctx)
                        except Exception:
                            # Logged inside the stage's span: the line carries its span id.
                            log.exception("stage failed", extra=ids)
                            logged = True
                            raise
                        stage_outcome(
                            span,
                            "degraded" if reason else "succeeded",
                            strategy=strategy,
                            reason=reason,
                        )
                except Exception as exc:
                    finished = utcnow()
                    if not logged:  # the span or the context failed, not the stage
                        log.exception("stage failed", extra=ids)
                    error = f"{type(exc).__name__}: {exc}"
                    failed_event = await asyncio.to_thread(
                        self.store.save_stage_result,
                        job_id=job.id,
                        stage=name,
                        status="failed",
                        strategy="-",
                        output=None,
                        started_at=started,
                        finished_at=finished,
                        error=error,
                        event=(run_id, EventKind.STAGE_FAILED.value, error),
                    )
                    status[name] = "failed"
                    if failed_event is not None:
                        self.bus.notify(failed_event)
                    return
                finished = utcnow()
                artifacts = output.artifacts if isinstance(output, Published) else ()
                stage_status = "degraded" if reason else "succeeded"
                kind = EventKind.STAGE_DEGRADED if reason else EventKind.STAGE_SUCCEEDED
                # Commit before dependents start: a crash after this line never repeats it.
                succeeded_event = await asyncio.to_thread(
                    self.store.save_stage_result,
                    job_id=job.id,
                    stage=name,
                    status=stage_status,
                    strategy=strategy,
                    output=output.model_dump(mode="json"),
                    started_at=started,
                    finished_at=finished,
                    reason=reason,
                    artifacts=artifacts,
                    event=(run_id, kind.value, reason or strategy),
                )
                results[name] = output
                status[name] = stage_status
                strategies[name] = strategy
                if reason:
                    degraded[name] = reason
                if succeeded_event is not None:
                    self.bus.notify(succeeded_event)
            finally:
                done[name].set()

        await asyncio.gather(*(run_stage(spec.name) for spec in pending))
        return await self._finish_job(run_id, job, status, announce=True)

    async def _run_strategies(
        self, spec: StageSpec, ctx: StageContext
    ) -> tuple[BaseModel, str, str | None]:
        """Output, strategy name and degradation reason (None when nothing degraded).

        The LLM strategy runs when the stage has one and a route is configured; when it
        raises ``StrategyUnavailable`` the deterministic strategy runs instead and the
        reason is kept, so a run never fails or hangs because a provider said no.
        """
        route = stage_route(self.settings, spec.name) if spec.llm is not None else None
        gateway = self.gateway
        if spec.llm is not None and route is not None and gateway is not None:
            meta = CallMeta(
                run_id=ctx.run_id, job_id=ctx.job_id, stage=spec.name, candidate_id=ctx.candidate_id
            )
            llm = StageLLM(
                gateway=gateway,
                meta=meta,
                route=route,
                timeout_s=self.settings.llm_timeout_s,
                stream=self.settings.llm_stream,
            )
            research = (
                StageResearch(gateway=gateway, meta=meta, services=gateway.research_services)
                if gateway.research_services
                else None
            )
            llm_ctx = replace(ctx, llm=llm, research=research)
            if route.provider in gateway.chat_services:
                try:
                    return await spec.llm(llm_ctx), f"llm:{route}", None
                except StrategyUnavailable as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "stage degraded to deterministic: %s",
                        reason,
                        extra={"run_id": ctx.run_id, "job_id": ctx.job_id, "stage": spec.name},
                    )
                    output = await asyncio.to_thread(spec.deterministic, ctx)
                    return output, "deterministic", reason
        return await asyncio.to_thread(spec.deterministic, ctx), "deterministic", None

    async def _finish_job(
        self, run_id: str, job: JobInfo, status: dict[str, str], *, announce: bool
    ) -> JobOutcome:
        values = [status.get(name, "skipped") for name in self.graph.names]
        if all(v == "succeeded" for v in values):
            job_status = "succeeded"
        elif all(v in USABLE for v in values):
            job_status = "degraded"
        else:
            job_status = "failed"
        await asyncio.to_thread(self.store.set_job_status, job.id, job_status)
        if announce:
            await self.bus.apublish(
                run_id, EventKind.JOB_FINISHED, job_id=job.id, message=job_status
            )
        return JobOutcome(
            job_id=job.id,
            title=job.title,
            company=job.company,
            status=job_status,
            output_dir=job.output_dir,
            stage_status=dict(status),
        )


def _output_dir(job: JobInfo, settings: Settings) -> Path:
    return Path(job.output_dir) if job.output_dir else settings.out_dir / f"job-{job.id}"


def _run_status(job_statuses: Sequence[str]) -> str:
    if not job_statuses:
        return "succeeded"
    if all(s == "failed" for s in job_statuses):
        return "failed"
    if any(s == "failed" for s in job_statuses):
        return "partial"
    return "succeeded"


def _refuse_if_live_elsewhere(run_id: str, status: str, options: dict[str, object]) -> None:
    if status != "running":
        return
    pid = options.get("pid")
    if not isinstance(pid, int) or options.get("host") != this_host():
        return
    if pid == os.getpid() or not pid_alive(pid):
        return
    raise RunBusy(
        f"run {run_id} is being executed by process {pid} on this machine: wait for it to finish "
        "or stop it before resuming"
    )
