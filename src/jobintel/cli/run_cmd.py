"""``jobintel run`` and ``jobintel rerun``: execute the pipeline with live progress."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import (
    EXIT_FAILED_JOBS,
    EXIT_USAGE,
    console,
    err_console,
    fail,
    open_store,
    settings_or_exit,
)
from jobintel.cli.progress import ProgressDisplay
from jobintel.errors import ConfigError, JobintelError
from jobintel.guard import Gateway
from jobintel.guard.budget import BudgetLimits
from jobintel.guard.ledger import CostLedger
from jobintel.guard.policies import budget_limits
from jobintel.observability.metrics import Metrics
from jobintel.observability.metrics_server import check_port_free, serving_metrics
from jobintel.observability.multiprocess import ENV as MULTIPROC_ENV
from jobintel.observability.multiprocess import mark_worker_dead, multiprocess_dir
from jobintel.observability.telemetry import Telemetry, settings_problems
from jobintel.pipeline import PIPELINE, EventBus, EventKind, PipelineRunner, RunSummary, plan_run
from jobintel.providers.registry import check_routes
from jobintel.settings import Settings
from jobintel.store import Store

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

Budget = Annotated[
    list[str] | None,
    typer.Option(
        "--budget",
        help="Override a budget for this run, KIND=USD (repeatable): call, stage, job, run, "
        "candidate, day, month; e.g. --budget run=2.50 --budget job=0.40",
    ),
]
Strategy = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        help="auto (LLM where configured), deterministic (no model calls) or llm",
    ),
]


def _free_metrics_port(port: int | None) -> int | None:
    """Refuse a busy --metrics-port before the run is planned."""
    if port is not None and multiprocess_dir() is not None:
        # Its samples already go to the shared directory that the service's /metrics sums:
        # serving them here as well would count every call twice.
        raise fail(
            ConfigError(
                [
                    (
                        "--metrics-port",
                        f"{MULTIPROC_ENV} is set, so this run's metrics already reach the "
                        "service's /metrics: drop --metrics-port, or unset the variable",
                    )
                ]
            )
        )
    if port is not None:
        try:
            check_port_free(port, option="--metrics-port")
        except JobintelError as exc:
            raise fail(exc) from None
    return port


MetricsPort = Annotated[
    int | None,
    typer.Option(
        "--metrics-port",
        min=1,
        max=65535,
        callback=_free_metrics_port,
        help="Serve this run's Prometheus metrics at http://127.0.0.1:PORT/metrics while it runs",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("rerun")(rerun)


def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Posting files (.md, .txt, .json, .jsonl) or directories of them"),
    ] = None,
    cv: Annotated[
        Path | None, typer.Option("--cv", help="Master CV (Markdown or JSON Resume)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory for dossiers")] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-j", min=1, max=256, help="Jobs at once")
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue an interrupted run by its id")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars")] = False,
    strategy: Strategy = None,
    budget: Budget = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Run the pipeline over postings and write a dossier for each."""
    overrides: dict[str, object] = {}
    if out is not None:
        overrides["out_dir"] = out
    if strategy is not None:
        overrides["strategy"] = strategy
    settings = _checked_settings(**overrides)
    budget_overrides = _overrides(budget or [])
    with open_store(settings) as store:
        bus = EventBus(store)
        if resume:
            if paths or cv:
                err_console.print(
                    "error: --resume continues a stored run; drop the paths and --cv",
                    highlight=False,
                )
                raise typer.Exit(EXIT_USAGE)
            run_id = resume
        else:
            if not paths or cv is None:
                err_console.print(
                    "error: give posting paths and --cv FILE, e.g. "
                    "`jobintel run examples/postings --cv examples/master-cv.md`",
                    highlight=False,
                )
                raise typer.Exit(EXIT_USAGE)
            try:
                planned = plan_run(
                    store, settings, bus, posting_paths=paths, cv_path=cv, out_dir=settings.out_dir
                )
            except JobintelError as exc:
                raise fail(exc) from None
            run_id = planned.run_id
            for error in planned.input_errors:
                err_console.print(
                    f"[yellow]skipped:[/yellow] {escape(str(error))}", highlight=False
                )

        try:
            limits = _run_limits(settings, store, run_id, budget_overrides)
        except JobintelError as exc:
            raise fail(exc) from None

        async def work() -> RunSummary:
            async with _observed(settings, store, bus, limits, metrics_port) as (gateway, tracer):
                runner = PipelineRunner(store, settings, bus=bus, gateway=gateway, tracer=tracer)
                return await runner.execute(run_id, concurrency=concurrency)

        summary = _execute(store, bus, run_id, work, quiet=quiet)
        _print_summary(store, summary)
        if summary.status != "succeeded" or store.events(run_id, kinds=[EventKind.INPUT_ERROR]):
            raise typer.Exit(EXIT_FAILED_JOBS)


def rerun(
    run_id: Annotated[str, typer.Argument(help="The run to re-run a stage of")],
    stage: Annotated[str, typer.Argument(help=f"One of: {', '.join(PIPELINE.names)}")],
    job: Annotated[
        list[int] | None, typer.Option("--job", help="Only this job id (repeatable)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars")] = False,
    strategy: Strategy = None,
    budget: Budget = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Re-run one stage (and every stage that depends on it) of a stored run."""
    if stage not in PIPELINE:
        err_console.print(
            f"error: unknown stage {stage!r}: expected one of {', '.join(PIPELINE.names)}",
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE)
    settings = _checked_settings(**({"strategy": strategy} if strategy else {}))
    budget_overrides = _overrides(budget or [])
    with open_store(settings) as store:
        try:
            jobs = store.jobs(store.run(run_id).id)
        except JobintelError as exc:
            raise fail(exc) from None
        wanted = set(job or [])
        unknown = wanted - {j.id for j in jobs}
        if unknown:
            err_console.print(
                f"error: job(s) {sorted(unknown)} are not in run {run_id}: see `jobintel show {run_id}`",
                highlight=False,
            )
            raise typer.Exit(EXIT_USAGE)
        console.print(f"re-running {', '.join(PIPELINE.descendants([stage]))}", highlight=False)
        bus = EventBus(store)
        job_ids = [j.id for j in jobs if j.id in wanted]
        limits = _run_limits(settings, store, run_id, budget_overrides)

        async def work() -> RunSummary:
            async with _observed(settings, store, bus, limits, metrics_port) as (gateway, tracer):
                runner = PipelineRunner(store, settings, bus=bus, gateway=gateway, tracer=tracer)
                return await runner.rerun(run_id, stage, job_ids=job_ids)

        summary = _execute(store, bus, run_id, work, quiet=quiet)
        _print_summary(store, summary)
        if summary.status != "succeeded":
            raise typer.Exit(EXIT_FAILED_JOBS)


def _checked_settings(**overrides: object) -> Settings:
    """Settings whose model routes are usable, or exit 2 naming the setting to fix."""
    settings = settings_or_exit(**overrides)
    problems = check_routes(settings)
    problems.extend(settings_problems(settings))
    if problems:
        raise fail(ConfigError(problems))
    return settings


#: Budgets a run may override for itself; day, month and candidate budgets are shared by
#: every run and process, so they change only in the settings.
RUN_SCOPES = ("call", "stage", "job", "run")


def _overrides(budgets: list[str]) -> dict[str, str | None]:
    """``--budget KIND=USD`` flags as ``BudgetLimits`` overrides (``per_run_usd``...)."""
    overrides: dict[str, str | None] = {}
    for item in budgets:
        kind, sep, amount = item.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in RUN_SCOPES:
            raise fail(
                ConfigError(
                    [
                        (
                            "--budget",
                            f"{item!r} is not KIND=USD with KIND one of {', '.join(RUN_SCOPES)} "
                            "(day, month and candidate budgets are set in the settings), "
                            "e.g. --budget run=2.50",
                        )
                    ]
                )
            )
        value = amount.strip()
        overrides[f"per_{kind}_usd"] = None if value.lower() in {"", "none", "unlimited"} else value
    return overrides


def _run_limits(
    settings: Settings, store: Store, run_id: str, overrides: dict[str, str | None]
) -> BudgetLimits:
    """The limits for ``run_id``: settings, then the run's stored overrides, then new ones.

    Overrides are kept in the run's options, so a resumed or re-run run keeps them.
    """
    run = store.run(run_id)
    stored = run.options.get("budget_overrides")
    merged = {**(stored if isinstance(stored, dict) else {}), **overrides}
    try:
        limits = budget_limits(settings, **merged)
    except (ValueError, ArithmeticError) as exc:
        raise fail(ConfigError([("--budget", str(exc))])) from None
    if merged != stored:
        store.set_run_status(
            run_id, run.status, options={**run.options, "budget_overrides": merged}
        )
    return limits


@asynccontextmanager
async def _observed(
    settings: Settings,
    store: Store,
    bus: EventBus,
    limits: BudgetLimits,
    metrics_port: int | None = None,
) -> AsyncIterator[tuple[Gateway | None, Tracer | None]]:
    """The run's gateway and tracer, with alerts (and metrics, tracing) following the run."""
    shared = multiprocess_dir()
    # Under PROMETHEUS_MULTIPROC_DIR the samples go to that directory, which the service's
    # /metrics sums; otherwise only a --metrics-port shows them.
    metrics = Metrics() if metrics_port is not None or shared is not None else None
    telemetry = Telemetry.from_settings(settings, store, metrics=metrics)  # settings checked
    stop = telemetry.subscribe(bus)
    try:
        with serving_metrics(
            metrics, metrics_port, store=store, settings=settings, option="--metrics-port"
        ):
            async with telemetry.running(), telemetry.gateway(settings, store, limits) as gateway:
                yield gateway, telemetry.tracer
    finally:
        stop()
        if shared is not None:
            mark_worker_dead(os.getpid(), shared)  # its in-flight gauge leaves with it


def _execute(
    store: Store,
    bus: EventBus,
    run_id: str,
    work: Callable[[], Coroutine[Any, Any, RunSummary]],
    *,
    quiet: bool,
) -> RunSummary:
    """Run ``work`` with a live display (unless quiet or not a terminal)."""
    try:
        jobs = store.jobs(store.run(run_id).id)
    except JobintelError as exc:
        raise fail(exc) from None
    console.print(f"run [bold]{run_id}[/bold]: {len(jobs)} job(s)", highlight=False)
    try:
        if quiet or not console.is_terminal:
            return asyncio.run(work())
        with ProgressDisplay(console, jobs, PIPELINE.names) as display:
            unsubscribe = bus.subscribe(display)
            try:
                return asyncio.run(work())
            finally:
                unsubscribe()
    except JobintelError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted: continue with `jobintel run --resume {run_id}`", highlight=False
        )
        raise typer.Exit(130) from None


def _print_summary(store: Store, summary: RunSummary) -> None:
    table = Table(title=f"run {summary.run_id}: {summary.status}", title_justify="left")
    costs = CostLedger(store.engine).job_costs(summary.run_id)
    columns = ("job", "company", "role", "status", "fit", "cost", "degraded / failed", "dossier")
    for column in columns:
        table.add_column(column, overflow="fold")
    for outcome in summary.jobs:
        records = store.stage_results(outcome.job_id)
        fit = records.get("fit")
        score = str(fit.output.get("score", "")) if fit and fit.output else ""
        trouble = ", ".join(
            f"{name}:{status}"
            for name, status in outcome.stage_status.items()
            if status not in {"succeeded"}
        )
        table.add_row(
            str(outcome.job_id),
            outcome.company,
            outcome.title,
            outcome.status,
            score,
            f"${costs.get(outcome.job_id, 0):.4f}",
            trouble or "-",
            outcome.output_dir or "",
        )
    console.print(table)
    if costs:
        console.print(f"total cost of this run: ${sum(costs.values()):.4f}", highlight=False)
    for event in store.events(summary.run_id, kinds=[EventKind.INPUT_ERROR, EventKind.DUPLICATE]):
        label = "bad input" if event.kind == EventKind.INPUT_ERROR else "duplicate"
        console.print(f"[yellow]{label}:[/yellow] {escape(event.message)}", highlight=False)
