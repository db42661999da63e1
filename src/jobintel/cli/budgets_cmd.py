"""``jobintel budgets``: every budget's limit, what is spent and held, and what is left."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import console, open_store, settings_or_exit
from jobintel.guard.budget_rules import ScopeTotals, status_of
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.budget_types import (
    SCOPE_KINDS,
    BudgetLimits,
    BudgetStatus,
    format_usd,
    scopes_for,
)
from jobintel.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("budgets")(budgets)


def budgets(
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", help=f"Only these scope kinds ({', '.join(SCOPE_KINDS[1:])})"),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many scopes, most recent first")
    ] = 30,
) -> None:
    """Show budgets: limit, spent, reserved (held by calls in flight), remaining, % used."""
    settings = settings_or_exit()
    unknown = sorted(set(kind or ()) - set(SCOPE_KINDS[1:]))
    if unknown:
        raise typer.BadParameter(
            f"unknown kind {', '.join(unknown)}: use one of {', '.join(SCOPE_KINDS[1:])}",
            param_hint="--kind",
        )
    limits = configured_limits(settings)
    with open_store(settings) as store:
        stored = asyncio.run(SqlBudgets(store.engine).status(kinds=kind, limit=limit))
    rows = _with_current_calendar(stored, limits, kind)
    table = Table(title=f"budgets (days and months in {limits.timezone})", title_justify="left")
    for column in ("scope", "limit", "spent", "reserved", "remaining", "% used"):
        table.add_column(column, justify="left" if column == "scope" else "right")
    with_tokens = any(r.limit_tokens is not None for r in rows)
    if with_tokens:
        table.add_column("tokens (spent/limit)", justify="right")
    for row in rows:
        cells = [
            escape(row.key),
            _money(row.limit_usd),
            format_usd(row.spent_usd),
            format_usd(row.reserved_usd),
            _money(row.remaining_usd),
            _pct(row.pct),
        ]
        if with_tokens:
            cells.append(_tokens(row))
        table.add_row(*cells)
    console.print(table)
    if not stored:
        console.print("no spend recorded yet: budgets fill as LLM and research calls are made")


def configured_limits(settings: Settings) -> BudgetLimits:
    """The limits in effect: the JOBINTEL_BUDGET_* settings."""
    from jobintel.guard.policies import budget_limits

    return budget_limits(settings)


def _with_current_calendar(
    stored: list[BudgetStatus], limits: BudgetLimits, kinds: list[str] | None
) -> list[BudgetStatus]:
    """Today's and this month's budgets always show, even before the first call."""
    seen = {row.key for row in stored}
    current = [
        status_of(scope.key, ScopeTotals.fresh(scope))
        for scope in scopes_for(limits, now=datetime.now(UTC))
        if scope.kind in ("day", "month")
        and scope.key not in seen
        and (kinds is None or scope.kind in kinds)
    ]
    return current + stored


def _money(value: Decimal | None) -> str:
    return "unlimited" if value is None else format_usd(value)


def _pct(pct: float | None) -> str:
    if pct is None:
        return ""
    colour = "red" if pct >= 100 else "yellow" if pct >= 80 else "green"
    return f"[{colour}]{pct:.0f}%[/{colour}]"


def _tokens(row: BudgetStatus) -> str:
    limit = "∞" if row.limit_tokens is None else f"{row.limit_tokens:,}"
    return f"{row.spent_tokens:,}/{limit}"
