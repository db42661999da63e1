"""What the guard knows: spend (the cost ledger), budgets, breaker and limiter health, and
guard events, newest first (the alert history is ``/api/alerts``, in routes/alerts.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.budget_rules import ScopeTotals, status_of
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.budget_types import SCOPE_KINDS, BudgetStatus, scopes_for
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.ledger import CostLedger
from jobintel.guard.policies import budget_limits
from jobintel.guard.ratelimit_health import limiter_headroom
from jobintel.service.api.deps import Reader, SettingsDep, StoreDep
from jobintel.service.api.schemas import (
    BreakerOut,
    BudgetOut,
    BudgetReport,
    CostDimension,
    CostReport,
    CostRowOut,
    GuardEventList,
    GuardEventOut,
    HealthReport,
    LimiterOut,
)
from jobintel.service.problems import problem_responses

router = APIRouter(tags=["costs"], responses=problem_responses(401, 403, 422))


@router.get("/api/costs", response_model=CostReport, summary="Spend from the cost ledger")
async def costs(
    store: StoreDep,
    _who: Reader,
    by: Annotated[CostDimension, Query(description="Group by this dimension")] = "day",
    since: Annotated[
        date | None, Query(description="Only days from this one (days in JOBINTEL_BUDGET_TIMEZONE)")
    ] = None,
    run_id: Annotated[str | None, Query(max_length=64, description="Only this run")] = None,
) -> CostReport:
    rows = await asyncio.to_thread(CostLedger(store.engine).summary, by, since=since, run_id=run_id)
    return CostReport(
        by=by,
        rows=[
            CostRowOut(
                key=row.key,
                calls=row.calls,
                failed=row.failed,
                input_tokens=row.input_tokens,
                output_tokens=row.output_tokens,
                credits=row.credits,
                cost_usd=row.cost_usd,
            )
            for row in rows
        ],
        total_usd=sum((row.cost_usd for row in rows), Decimal(0)),
    )


@router.get(
    "/api/budgets",
    response_model=BudgetReport,
    summary="Every budget: limit, spent, reserved (calls in flight) and what is left",
)
async def budgets(
    store: StoreDep,
    settings: SettingsDep,
    _who: Reader,
    limit: Annotated[int, Query(ge=1, le=500, description="Most recent scopes")] = 50,
) -> BudgetReport:
    limits = budget_limits(settings)
    stored = await SqlBudgets(store.engine).status(limit=limit)
    seen = {row.key for row in stored}
    # Today's and this month's budgets show before the first call of the day.
    current = [
        status_of(scope.key, ScopeTotals.fresh(scope))
        for scope in scopes_for(limits, now=datetime.now(UTC))
        if scope.kind in ("day", "month") and scope.key not in seen
    ]
    return BudgetReport(
        timezone=limits.timezone,
        limits={kind: getattr(limits, f"per_{kind}_usd") for kind in SCOPE_KINDS},
        budgets=[_budget(row) for row in current + stored],
    )


def _budget(row: BudgetStatus) -> BudgetOut:
    return BudgetOut(
        key=row.key,
        kind=row.kind,
        limit_usd=row.limit_usd,
        spent_usd=row.spent_usd,
        reserved_usd=row.reserved_usd,
        remaining_usd=row.remaining_usd,
        pct=row.pct,
        limit_tokens=row.limit_tokens,
        spent_tokens=row.spent_tokens,
    )


@router.get(
    "/api/health",
    response_model=HealthReport,
    summary="Circuit breakers and rate-limit headroom per service",
)
async def health(store: StoreDep, settings: SettingsDep, _who: Reader) -> HealthReport:
    breakers = await SqlCircuitBreaker(store.engine).snapshot()
    limiter = await asyncio.to_thread(limiter_headroom, store.engine, settings)
    return HealthReport(
        breakers=[
            BreakerOut(
                key=b.key,
                state=b.state,
                failures=b.failures,
                opened_at=b.opened_at,
                next_probe_at=b.next_probe_at,
                reason=b.reason,
            )
            for b in breakers
        ],
        limiter=[LimiterOut.model_validate(row, from_attributes=True) for row in limiter],
    )


@router.get(
    "/api/guard-events", response_model=GuardEventList, summary="Guard events, newest first"
)
async def guard_events(
    store: StoreDep,
    _who: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    kind: Annotated[list[str] | None, Query(description="Only these event kinds")] = None,
) -> GuardEventList:
    events = await asyncio.to_thread(GuardEventLog(store.engine).recent, limit=limit, kinds=kind)
    return GuardEventList(
        events=[
            GuardEventOut(
                id=e.id,
                at=e.at,
                kind=e.kind,
                subject=e.subject,
                severity=e.severity,
                message=e.message,
            )
            for e in events
        ]
    )
