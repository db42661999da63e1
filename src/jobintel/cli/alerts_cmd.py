"""``jobintel alerts``: the alert history, newest first, with each channel's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import console, open_store, settings_or_exit
from jobintel.observability.alerts.store import AlertHistory, StoredAlert

_STATES = ("firing", "resolved")


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)


def alerts(
    state: Annotated[
        str | None, typer.Option("--state", "-s", help="Only firing or only resolved alerts")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many alerts, most recent first")
    ] = 30,
) -> None:
    """Show alerts: rule, subject, severity, state, when, how often sent, and deliveries."""
    if state is not None and state not in _STATES:
        raise typer.BadParameter(
            f"unknown state {state}: use one of {', '.join(_STATES)}", param_hint="--state"
        )
    settings = settings_or_exit()
    with open_store(settings) as store:
        rows = AlertHistory(store.engine).recent(limit=limit, state=state)
    if not rows:
        console.print("no alerts yet: alerts are recorded as rules fire during runs")
        return
    table = Table(title="alerts (times in UTC)", title_justify="left")
    for column in (
        "rule", "subject", "severity", "state", "first", "last sent",
        "resolved", "sends", "deliveries", "message",
    ):  # fmt: skip
        table.add_column(column)
    for row in rows:
        table.add_row(
            escape(row.rule),
            escape(row.subject),
            row.severity,
            row.state,
            _when(row.first_at),
            _when(row.last_sent_at),
            _when(row.resolved_at),
            str(row.sends),
            escape(_deliveries(row)),
            escape(row.message),
        )
    console.print(table)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


def _deliveries(row: StoredAlert) -> str:
    """``slack ok, email failed`` for the latest notification of each channel."""
    latest: dict[str, str] = {}
    for delivery in row.deliveries:
        latest[delivery.channel] = delivery.outcome
    return ", ".join(f"{channel} {outcome}" for channel, outcome in latest.items())
