"""Dashboard, costs, health and alerts pages, read straight from the guard's stores."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from jobintel.guard.breaker import BreakerPolicy
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.budget_types import scopes_for
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEvent
from jobintel.guard.ledger import CostLedger, LedgerEntry
from jobintel.guard.policies import budget_limits, rate_limit_policies
from jobintel.guard.ratelimit_sql import SqlRateLimiter
from jobintel.inputs import load_cv
from jobintel.service.app import create_app
from jobintel.service.web.dashboard import todays_runs
from jobintel.settings import RateLimitSpec, Settings
from jobintel.store import Store
from jobintel.store.tables import RunRow
from tests.conftest import EXAMPLES
from tests.service.web.conftest import logged_in, make_user


def _spend(store: Store, service: str, model: str, stage: str, usd: str) -> None:
    CostLedger(store.engine).record(
        LedgerEntry(
            service=service,
            operation="chat",
            model=model,
            stage=stage,
            run_id="r1",
            input_tokens=1000,
            output_tokens=200,
            cost_usd=Decimal(usd),
        )
    )


async def test_costs_page_draws_a_bar_per_provider_scaled_to_the_largest(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """Spend by provider, model, stage and day is drawn as bars (largest full width) with
    the figures beside them and in a table."""
    _spend(store, "openai", "gpt-4o-mini", "extract", "0.0400")
    _spend(store, "anthropic", "claude-haiku", "cv", "0.0100")
    page = (await browser_client.get("/costs")).text
    assert "$0.05" in page  # the total
    provider = page[page.index('id="cost-provider-h"') : page.index('id="cost-model-h"')]
    widths = re.findall(r'<rect class="bar" x="0" y="0" width="([\d.]+)"', provider)
    assert [float(w) for w in widths] == [1000.0, 250.0]
    labels = re.findall(r'<span class="bar-label">([^<]+)</span>', provider)
    assert labels == ["openai", "anthropic"]
    assert "claude-haiku" in page and "extract" in page
    assert '<td class="num">1,000</td>' in page


async def test_costs_page_without_calls_says_deterministic_runs_are_free(
    browser_client: httpx.AsyncClient,
) -> None:
    """With nothing in the ledger the page says so instead of drawing empty charts."""
    page = (await browser_client.get("/costs?days=0")).text
    assert "deterministic runs cost nothing" in page
    assert "Total (all time)" in page


async def test_dashboard_shows_todays_spend_against_the_daily_budget(
    browser_client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    """Settled spend shows on the day and month gauges as <meter> against their limits."""
    limits = budget_limits(settings)
    budgets = SqlBudgets(store.engine)
    scopes = scopes_for(limits, run_id="r1", now=datetime.now(UTC))
    reservation = await budgets.reserve(scopes, Decimal("0.40"))
    await budgets.settle(reservation, Decimal("0.25"))
    page = (await browser_client.get("/")).text
    today = datetime.now(UTC).date().isoformat()
    day = re.search(rf'<meter id="gauge-day-{today}" min="0" max="([\d.]+)" value="([\d.]+)"', page)
    assert day is not None
    assert Decimal(day.group(1)) == limits.per_day_usd
    assert Decimal(day.group(2)) == Decimal("0.25")
    assert re.search(r'<meter id="gauge-month-\d{4}-\d{2}"', page)
    assert "$0.25 of $5.00 (5%)" in page


async def test_health_page_shows_open_breakers_and_limiter_headroom(
    settings: Settings, store: Store
) -> None:
    """An open breaker and a rate-limit key's used and remaining requests both show."""
    limited = settings.model_copy(
        update={"rate_limits": {"openai:gpt-4o-mini": RateLimitSpec(rpm=60, tpm=10_000)}}
    )
    breaker = SqlCircuitBreaker(store.engine, default=BreakerPolicy(consecutive_failures=1))
    await breaker.record(await breaker.allow("anthropic"), "failure")
    limiter = SqlRateLimiter(store.engine, policies=rate_limit_policies(limited))
    permit = await limiter.acquire("openai:gpt-4o-mini", tokens=500)
    await permit.settle(450)
    app = create_app(limited, store=store)
    async with (
        app.router.lifespan_context(app),
        await logged_in(app, store, make_user(store)) as client,
    ):
        page = (await client.get("/health")).text
    assert re.search(
        r'<th scope="row">anthropic</th>\s*<td data-label="State"><span class="badge status-open">',
        page,
    )
    assert "1 of 60 requests used · <strong>59 left</strong>" in page
    assert "450 of 10,000 tokens used · <strong>9,550 left</strong>" in page


async def test_alerts_page_lists_guard_events_and_filters_by_kind(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """Guard events are listed newest first with their severity; the kind filter narrows."""
    log = GuardEventLog(store.engine)
    log(
        GuardEvent(
            kind="budget_threshold",
            subject="day:2026-11-29",
            message="daily budget reached 80%",
            severity="warning",
        )
    )
    log(
        GuardEvent(
            kind="breaker_transition",
            subject="openai",
            message="breaker opened after 5 failures",
            severity="critical",
        )
    )
    page = (await browser_client.get("/alerts")).text
    assert page.index("breaker opened after 5 failures") < page.index("daily budget reached 80%")
    assert 'class="badge sev-critical"' in page
    filtered = (await browser_client.get("/alerts?kind=budget_threshold")).text
    assert "daily budget reached 80%" in filtered
    assert "breaker opened" not in filtered
    assert '<option value="budget_threshold" selected>' in filtered
    dashboard = (await browser_client.get("/")).text
    assert "breaker opened after 5 failures" in dashboard


async def test_dashboard_lists_todays_runs(app: FastAPI, store: Store, tmp_path: Path) -> None:
    """Today's runs appear on the dashboard with a link to each."""
    async with await logged_in(app, store, make_user(store)) as client:
        empty = (await client.get("/")).text
        assert "No runs today." in empty
        candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
        run_id = store.create_run(candidate_id=candidate, out_dir=str(tmp_path), jobs=[])
        page = (await client.get("/")).text
    assert f'<a href="/runs/{run_id}"><code>{run_id}</code></a>' in page


def test_todays_runs_are_those_of_the_budgets_day(store: Store, tmp_path: Path) -> None:
    """A run at 20:00 UTC on the 28th is "today" on the 29th in Tokyo (UTC+9), the day
    the budgets and the ledger count there, and not "today" on the 29th in UTC."""
    candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
    run_id = store.create_run(candidate_id=candidate, out_dir=str(tmp_path), jobs=[])
    with store.engine.begin() as conn:
        conn.execute(
            update(RunRow)
            .where(RunRow.id == run_id)
            .values(created_at=datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
        )
    tokyo_morning = datetime(2026, 11, 29, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert [run.id for run in todays_runs(store, tokyo_morning)] == [run_id]
    assert todays_runs(store, tokyo_morning.astimezone(UTC)) == []
