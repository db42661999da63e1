"""The costs page: spend by day, provider, model and stage as bar charts with tables."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jobintel.guard.ledger import CostLedger, CostRow, SummaryBy
from jobintel.service.api.deps import Reader, SettingsDep, StoreDep
from jobintel.service.web.charts import Bar, bar_chart
from jobintel.service.web.rendering import page, usd

router = APIRouter(include_in_schema=False)

#: The periods the page offers, in days (0: everything recorded).
PERIODS = (7, 30, 90, 0)
DIMENSIONS: tuple[tuple[SummaryBy, str], ...] = (
    ("day", "By day"),
    ("provider", "By provider"),
    ("model", "By model"),
    ("stage", "By stage"),
)


@dataclass(frozen=True, kw_only=True)
class CostSection:
    by: str
    title: str
    rows: list[CostRow]
    bars: list[Bar]


def since_for(days: int, today: date) -> date | None:
    """The first day of a period of ``days`` ending today (None: all time)."""
    return None if days <= 0 else today - timedelta(days=days - 1)


def cost_sections(ledger: CostLedger, since: date | None) -> list[CostSection]:
    sections = []
    for by, title in DIMENSIONS:
        rows = ledger.summary(by, since=since)
        if by != "day":
            rows = sorted(rows, key=lambda r: (-r.cost_usd, r.key))
        bars = bar_chart([(row.key, row.cost_usd, usd(row.cost_usd)) for row in rows])
        sections.append(CostSection(by=by, title=title, rows=rows, bars=bars))
    return sections


@router.get("/costs", response_class=HTMLResponse)
async def costs(
    request: Request,
    principal: Reader,
    settings: SettingsDep,
    store: StoreDep,
    days: Annotated[int, Query(ge=0, le=3660)] = 30,
) -> HTMLResponse:
    # The ledger's days are the budgets' days (JOBINTEL_BUDGET_TIMEZONE).
    today = datetime.now(ZoneInfo(settings.budget_timezone)).date()
    since = since_for(days, today)
    sections = await asyncio.to_thread(cost_sections, CostLedger(store.engine), since)
    totals = sections[0].rows
    return page(
        request,
        "costs.html",
        principal,
        title="Costs",
        days=days,
        periods=PERIODS,
        since=since,
        sections=sections,
        total_usd=sum((r.cost_usd for r in totals), Decimal(0)),
        total_calls=sum(r.calls for r in totals),
        total_failed=sum(r.failed for r in totals),
        total_input=sum(r.input_tokens for r in totals),
        total_output=sum(r.output_tokens for r in totals),
    )
