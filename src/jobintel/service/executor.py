"""Executes runs off the request path, behind an interface a distributed queue can implement.

``InProcessExecutor`` runs each submitted run as an asyncio task in the server's loop, at
most ``settings.service_workers`` at once; the others wait with status ``queued``.
Cancelling a run cancels its task and marks it ``cancelled``; stopping the server marks
what it was doing ``interrupted``. Either way the checkpoints stay, and ``resume`` picks
the run up from its last completed stages.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from jobintel.errors import JobintelError
from jobintel.guard import Gateway
from jobintel.guard.budget import BudgetLimits

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer
from jobintel.guard.policies import budget_limits
from jobintel.pipeline import EventBus, EventKind, PipelineRunner
from jobintel.processes import pid_alive, this_host
from jobintel.service.planning import plan_jobs
from jobintel.settings import Settings
from jobintel.store import EventRecord, RunInfo, Store

log = logging.getLogger("jobintel.service")

#: Run statuses after which nothing more happens until someone resumes or re-runs it.
FINISHED = frozenset({"succeeded", "failed", "partial", "cancelled", "interrupted"})
#: Job statuses of work that was under way or waiting when a run stopped.
UNFINISHED_JOBS = frozenset({"pending", "running"})

Subscriber = Callable[[EventRecord], None]
GatewayFactory = Callable[
    [Settings, Store, BudgetLimits], AbstractAsyncContextManager[Gateway | None]
]


class RunActive(JobintelError):
    """The run is already queued or executing here."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"run {run_id} is already queued or running: wait for it to finish or cancel it"
        )


class RunBusyElsewhere(JobintelError):
    """Another live process (e.g. ``jobintel run``) is executing the run."""

    def __init__(self, run_id: str, pid: object) -> None:
        super().__init__(
            f"run {run_id} is being executed by process {pid} on this machine: wait for it "
            "to finish or stop it first"
        )


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """What a submitted run asked for; stored with the run so that resuming reuses it."""

    posting_ids: tuple[int, ...] = ()
    concurrency: int | None = None
    strategy: str | None = None
    #: Budget overrides: scope kind ("run", "job"...) -> USD as a decimal string, None: unlimited.
    budget: Mapping[str, str | None] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return {
            "posting_ids": list(self.posting_ids),
            "concurrency": self.concurrency,
            "strategy": self.strategy,
            "budget": dict(self.budget),
        }

    @classmethod
    def from_stored(cls, options: Mapping[str, Any]) -> RunOptions:
        budget = options.get("budget") or {}
        return cls(
            posting_ids=tuple(int(p) for p in options.get("posting_ids") or ()),
            concurrency=options.get("concurrency"),
            strategy=options.get("strategy"),
            budget={str(k): None if v is None else str(v) for k, v in budget.items()},
        )


def run_settings(settings: Settings, options: RunOptions) -> Settings:
    """The server's settings with this run's strategy."""
    if options.strategy is None:
        return settings
    return settings.model_copy(update={"strategy": options.strategy})


def run_limits(settings: Settings, options: RunOptions) -> BudgetLimits:
    """The budget limits with this run's overrides; ``ValueError`` names a bad one."""
    overrides: dict[str, Decimal | None] = {
        f"per_{kind}_usd": None if usd is None else Decimal(usd)
        for kind, usd in options.budget.items()
    }
    return budget_limits(settings, **overrides)


@asynccontextmanager
async def default_gateway(
    settings: Settings, store: Store, limits: BudgetLimits
) -> AsyncIterator[Gateway | None]:
    """The gateway with no observers beyond the stored guard events (the app passes its
    ``Telemetry.gateway`` instead)."""
    from jobintel.observability.telemetry import Telemetry

    async with Telemetry().gateway(settings, store, limits) as gateway:
        yield gateway


class Executor(Protocol):
    """Where runs execute. In-process today; a distributed queue implements the same."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Live progress events of every run (possibly called from another thread)."""
        ...

    def is_active(self, run_id: str) -> bool:
        """Queued or executing here."""
        ...

    async def start(self) -> None:
        """Take over from a previous server: runs it left queued or running become
        ``interrupted`` (resumable)."""
        ...

    async def submit(self, run_id: str, options: RunOptions) -> None:
        """Plan and execute a stored pending run; returns at once."""
        ...

    async def cancel(self, run_id: str) -> bool:
        """Stop the run (``cancelled``); False when it is not queued or running here."""
        ...

    async def resume(self, run_id: str) -> None:
        """Execute a stopped run again from its checkpoints; returns at once."""
        ...

    async def rerun(self, run_id: str, stage: str, job_ids: Sequence[int] = ()) -> None:
        """Forget ``stage`` and its dependents (for ``job_ids``, or all), then execute."""
        ...

    async def aclose(self) -> None:
        """Stop every run (``interrupted``: resumable) and release resources."""
        ...


Action = Callable[[PipelineRunner, RunOptions], Awaitable[object]]


class InProcessExecutor:
    """Runs as asyncio tasks in this process, ``settings.service_workers`` at a time."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        gateway_factory: GatewayFactory = default_gateway,
        tracer: Tracer | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.bus = EventBus(store)
        self._gateway_factory = gateway_factory
        #: Spans of each run and its stages (the app passes ``Telemetry.tracer``).
        self._tracer = tracer
        self._slots = asyncio.Semaphore(settings.service_workers)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._claimed: set[str] = set()
        self._closing = False

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        return self.bus.subscribe(subscriber)

    def is_active(self, run_id: str) -> bool:
        return run_id in self._tasks or run_id in self._claimed

    async def start(self) -> None:
        try:
            orphans = await asyncio.to_thread(self._orphans)
        except Exception:
            # An unreachable or unmigrated database: /readyz reports it; start anyway.
            log.exception("could not look for runs a stopped server left unfinished")
            return
        for run_id in orphans:
            log.warning(
                "run %s was left unfinished by a stopped server: it is marked interrupted; "
                "resume it with POST /api/runs/%s/resume",
                run_id,
                run_id,
                extra={"run_id": run_id},
            )
            await asyncio.to_thread(self._mark_interrupted, run_id)

    def _orphans(self) -> list[str]:
        """Runs queued or running under a process of this host that no longer exists."""
        host = this_host()
        found = []
        for run in self.store.runs(limit=1000):
            if run.status not in {"queued", "running"} or run.options.get("host") != host:
                continue
            pid = run.options.get("pid")
            if isinstance(pid, int) and pid != os.getpid() and not pid_alive(pid):
                found.append(run.id)
        return found

    async def submit(self, run_id: str, options: RunOptions) -> None:
        async def execute(runner: PipelineRunner, opts: RunOptions) -> object:
            return await runner.execute(run_id, concurrency=opts.concurrency)

        await self._enqueue(run_id, options, execute)

    async def resume(self, run_id: str) -> None:
        run = await asyncio.to_thread(self.store.run, run_id)
        self._refuse_if_busy(run)

        async def execute(runner: PipelineRunner, opts: RunOptions) -> object:
            return await runner.execute(run_id, concurrency=opts.concurrency)

        await self._enqueue(run_id, RunOptions.from_stored(run.options), execute)

    async def rerun(self, run_id: str, stage: str, job_ids: Sequence[int] = ()) -> None:
        run = await asyncio.to_thread(self.store.run, run_id)
        self._refuse_if_busy(run)
        ids = list(job_ids)

        async def again(runner: PipelineRunner, opts: RunOptions) -> object:
            return await runner.rerun(run_id, stage, job_ids=ids, concurrency=opts.concurrency)

        await self._enqueue(run_id, RunOptions.from_stored(run.options), again)

    async def cancel(self, run_id: str) -> bool:
        task = self._tasks.get(run_id)
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
            return True
        run = await asyncio.to_thread(self.store.run, run_id)
        if run.status in {"queued", "pending"}:
            # Queued by a server that is gone: nothing runs it, so cancelling is bookkeeping.
            await asyncio.to_thread(self._mark_cancelled, run_id)
            return True
        return False

    async def aclose(self) -> None:
        self._closing = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    # --- the work ------------------------------------------------------------------------

    def _refuse_if_busy(self, run: RunInfo) -> None:
        if run.id in self._tasks:
            raise RunActive(run.id)
        if run.status != "running":
            return
        pid = run.options.get("pid")
        if not isinstance(pid, int) or pid == os.getpid():
            return
        if run.options.get("host") != this_host() or not pid_alive(pid):
            return  # elsewhere we cannot tell; here, its process died: ours to resume
        raise RunBusyElsewhere(run.id, pid)

    async def _enqueue(self, run_id: str, options: RunOptions, action: Action) -> None:
        # Claimed before the first await: concurrent resumes of one run cannot both start it.
        if run_id in self._tasks or run_id in self._claimed:
            raise RunActive(run_id)
        if self._closing:
            raise JobintelError("the server is shutting down: submit the run again later")
        self._claimed.add(run_id)
        try:
            await asyncio.to_thread(self._mark_queued, run_id, options)
            task = asyncio.create_task(self._drive(run_id, options, action), name=f"run-{run_id}")
            self._tasks[run_id] = task
            task.add_done_callback(lambda done: self._forget(run_id, done))
        finally:
            self._claimed.discard(run_id)

    def _forget(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(run_id) is task:
            del self._tasks[run_id]

    def _mark_queued(self, run_id: str, options: RunOptions) -> None:
        run = self.store.run(run_id)
        # Who queued it: a later server can tell a run whose process died from a live one.
        owner = {"pid": os.getpid(), "host": this_host()}
        stored = {**run.options, **options.stored(), **owner}
        stored.pop("error", None)
        self.store.set_run_status(run_id, "queued", options=stored)

    async def _drive(self, run_id: str, options: RunOptions, action: Action) -> None:
        try:
            # Planned before waiting for a slot, so a queued run already lists its jobs.
            await asyncio.to_thread(plan_jobs, self.store, self.bus, run_id, options.posting_ids)
            async with self._slots:
                settings = run_settings(self.settings, options)
                limits = run_limits(settings, options)
                async with self._gateway_factory(settings, self.store, limits) as gateway:
                    runner = PipelineRunner(
                        self.store, settings, bus=self.bus, gateway=gateway, tracer=self._tracer
                    )
                    await action(runner, options)
        except asyncio.CancelledError:
            if self._closing:
                await asyncio.to_thread(self._mark_interrupted, run_id)
            else:
                await asyncio.to_thread(self._mark_cancelled, run_id)
            raise
        except Exception as exc:
            log.exception("run failed to execute", extra={"run_id": run_id})
            # Our own errors are written for users; anything else may hold internals.
            reason = str(exc) if isinstance(exc, JobintelError) else type(exc).__name__
            await asyncio.to_thread(self._mark_failed, run_id, reason)

    def _mark_cancelled(self, run_id: str) -> None:
        self._stop_jobs(run_id, "cancelled")
        self.store.set_run_status(run_id, "cancelled")
        self.bus.publish(run_id, EventKind.RUN_FINISHED, message="cancelled")

    def _mark_interrupted(self, run_id: str) -> None:
        self.store.set_run_status(run_id, "interrupted")

    def _mark_failed(self, run_id: str, reason: str) -> None:
        run = self.store.run(run_id)
        self._stop_jobs(run_id, "failed")
        self.store.set_run_status(run_id, "failed", options={**run.options, "error": reason})
        self.bus.publish(run_id, EventKind.RUN_FINISHED, message=f"failed: {reason}")

    def _stop_jobs(self, run_id: str, status: str) -> None:
        for job in self.store.jobs(run_id):
            if job.status in UNFINISHED_JOBS:
                self.store.set_job_status(job.id, status)
