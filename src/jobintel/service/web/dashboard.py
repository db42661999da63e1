"""The dashboard: today's runs, budgets as gauges, breaker states and recent alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.budget_types import SCOPE_KINDS
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.ledger import CostLedger
from jobintel.guard.policies import budget_limits
from jobintel.service.api.deps import Reader, SettingsDep, StoreDep
from jobintel.service.web.gauges import budget_gauges
from jobintel.service.web.rendering import page
from jobintel.store import RunInfo, Store

router = APIRouter(include_in_schema=False)


def todays_runs(store: Store, now: datetime) -> list[RunInfo]:
    """Runs created on ``now``'s calendar day in ``now``'s time zone, newest first."""
    zone = now.tzinfo or UTC
    today = now.astimezone(zone).date()
    return [
        run
        for run in store.runs(limit=200)
        if (run.created_at if run.created_at.tzinfo else run.created_at.replace(tzinfo=UTC))
        .astimezone(zone)
        .date()
        == today
    ]


@router.get("/", response_class=HTMLResponse)
async def dashboard(
    request: Request, principal: Reader, settings: SettingsDep, store: StoreDep
) -> HTMLResponse:
    limits = budget_limits(settings)
    # "Today" is the budgets' day, as the day gauge and the ledger count it.
    now = datetime.now(ZoneInfo(limits.timezone))
    runs = await asyncio.to_thread(todays_runs, store, now)
    ledger = CostLedger(store.engine)
    run_costs = {
        row.key: row.cost_usd
        for row in await asyncio.to_thread(ledger.summary, "run", since=now.date())
    }
    stored = await SqlBudgets(store.engine).status(limit=500)
    gauges = budget_gauges(stored, limits, now=now, run_ids=[run.id for run in runs[:5]])
    breakers = await SqlCircuitBreaker(store.engine).snapshot()
    alerts = await asyncio.to_thread(GuardEventLog(store.engine).recent, limit=8)
    per_kind = {kind: limits.limit(kind)[0] for kind in SCOPE_KINDS}
    return page(
        request,
        "dashboard.html",
        principal,
        title="Dashboard",
        runs=runs,
        run_costs=run_costs,
        gauges=gauges,
        per_kind=per_kind,
        timezone=limits.timezone,
        breakers=breakers,
        alerts=alerts,
        today=now.date().isoformat(),
    )
