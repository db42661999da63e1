"""``jobintel costs``: what the external calls cost, by day, provider, model, stage, job or run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import EXIT_USAGE, console, err_console, fail, open_store, settings_or_exit
from jobintel.errors import JobintelError
from jobintel.guard.ledger import CostLedger, CostRow


class By(StrEnum):
    day = "day"
    provider = "provider"
    model = "model"
    stage = "stage"
    job = "job"
    run = "run"


def register(app: typer.Typer) -> None:
    app.command("costs")(costs)


def costs(
    by: Annotated[
        By,
        typer.Option(
            "--by",
            help="Group by day (in JOBINTEL_BUDGET_TIMEZONE), provider, model, stage, job or run",
        ),
    ] = By.day,
    run: Annotated[
        str | None, typer.Option("--run", help="Only this run (id from `jobintel runs`)")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this day on (in JOBINTEL_BUDGET_TIMEZONE), YYYY-MM-DD"),
    ] = None,
) -> None:
    """Show the cost of every external call: attempts, failures, tokens and USD, with totals."""
    start = _parse_day(since) if since is not None else None
    settings = settings_or_exit()
    with open_store(settings) as store:
        if run is not None:
            try:
                store.run(run)
            except JobintelError as exc:
                raise fail(exc) from None
        rows = CostLedger(store.engine).summary(by.value, since=start, run_id=run)
    if not rows:
        scope = "".join(
            part for part in (f" for run {run}" if run else "", f" since {start}" if start else "")
        )
        console.print(f"no external calls recorded{scope or ' yet'}", highlight=False)
        return
    console.print(_table(by.value, rows))


def _table(by: str, rows: list[CostRow]) -> Table:
    table = Table(title=f"costs by {by}", title_justify="left", show_footer=True)
    total = CostRow(
        key="total",
        calls=sum(r.calls for r in rows),
        failed=sum(r.failed for r in rows),
        input_tokens=sum(r.input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        credits=sum(r.credits for r in rows),
        cost_usd=sum((r.cost_usd for r in rows), Decimal(0)),
    )
    cells = _cells(total)
    table.add_column(by, footer=cells[0], overflow="fold")
    for name, footer in zip(
        ("calls", "failed", "in tok", "out tok", "credits", "USD"), cells[1:], strict=True
    ):
        table.add_column(name, footer=footer, justify="right")
    for row in rows:
        table.add_row(*_cells(row))
    return table


def _cells(row: CostRow) -> list[str]:
    return [
        escape(row.key),
        f"{row.calls:,}",
        f"{row.failed:,}",
        f"{row.input_tokens:,}",
        f"{row.output_tokens:,}",
        f"{row.credits:,}",
        f"{row.cost_usd:,.6f}",
    ]


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(
            f"[red]error:[/red] --since {escape(text)} is not a day: write YYYY-MM-DD, e.g. 2026-11-29",
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE) from None
