"""``jobintel runs`` and ``jobintel show``: what ran, how it went, where the dossiers are."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import console, fail, open_store, settings_or_exit
from jobintel.errors import JobintelError
from jobintel.observability.tracing import stored_trace_id
from jobintel.pipeline import PIPELINE, EventKind

_STATUS_MARK = {
    "succeeded": "[green]✓[/green]",
    "degraded": "[yellow]~[/yellow]",
    "failed": "[red]✗[/red]",
}


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)
    app.command("show")(show)


def runs(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs")] = 20,
) -> None:
    """List recent runs, newest first."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        table = Table(title="runs", title_justify="left")
        for column in ("run", "status", "jobs", "created", "finished", "output"):
            table.add_column(column, overflow="fold")
        for info in store.runs(limit=limit):
            table.add_row(
                info.id,
                info.status,
                str(info.jobs),
                info.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                info.finished_at.strftime("%Y-%m-%d %H:%M:%S") if info.finished_at else "",
                info.out_dir,
            )
        console.print(table)


def show(run_id: Annotated[str, typer.Argument(help="Run id from `jobintel runs`")]) -> None:
    """Show one run: each job's stages, fit score, artifacts and any bad inputs."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        try:
            info = store.run(run_id)
        except JobintelError as exc:
            raise fail(exc) from None
        console.print(
            f"run [bold]{info.id}[/bold] · {info.status} · {info.jobs} job(s) · out {escape(info.out_dir)}",
            highlight=False,
        )
        trace_id = stored_trace_id(info.options)
        if trace_id is not None:
            console.print(f"trace {trace_id}", highlight=False)
        table = Table(title_justify="left")
        table.add_column("job")
        table.add_column("role", overflow="fold")
        table.add_column("status")
        table.add_column("fit")
        for name in PIPELINE.names:
            table.add_column(name[:7], justify="center")
        table.add_column("ms", justify="right")
        artifacts: dict[int, list[str]] = {}
        for artifact in store.artifacts(run_id):
            artifacts.setdefault(artifact.job_id, []).append(artifact.path)
        for job in store.jobs(run_id):
            records = store.stage_results(job.id)
            fit = records.get("fit")
            score = str(fit.output.get("score", "")) if fit and fit.output else ""
            marks = [
                _STATUS_MARK.get(records[name].status, "?") if name in records else "·"
                for name in PIPELINE.names
            ]
            total_ms = sum(r.duration_ms for r in records.values())
            table.add_row(
                str(job.id),
                escape(f"{job.company} · {job.title}"),
                job.status,
                score,
                *marks,
                f"{total_ms:.0f}",
            )
        console.print(table)
        for job in store.jobs(run_id):
            failed = [r for r in store.stage_results(job.id).values() if r.status == "failed"]
            for record in failed:
                console.print(
                    f"[red]job {job.id} {record.stage} failed:[/red] {escape(record.error or '')}",
                    highlight=False,
                )
            if job.output_dir and job.id in artifacts:
                console.print(f"job {job.id}: {escape(job.output_dir)}", highlight=False)
        for event in store.events(run_id, kinds=[EventKind.INPUT_ERROR, EventKind.DUPLICATE]):
            label = "bad input" if event.kind == EventKind.INPUT_ERROR else "duplicate"
            console.print(f"[yellow]{label}:[/yellow] {escape(event.message)}", highlight=False)
