"""Gauges read from the store at scrape time: today's and this month's budget, runs, queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from prometheus_client import CollectorRegistry

from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.budget_types import scopes_for
from jobintel.guard.policies import budget_limits
from jobintel.inputs.cv import load_cv
from jobintel.observability import Metrics
from jobintel.settings import Settings, load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def spend(store: Store, settings: Settings, usd: str, at: datetime) -> None:
    budgets = SqlBudgets(store.engine)
    scopes = [s for s in scopes_for(budget_limits(settings), now=at) if s.kind in ("day", "month")]
    reservation = await budgets.reserve(scopes, Decimal(usd))
    await budgets.settle(reservation, Decimal(usd))


async def test_budget_gauges_show_the_current_day_and_month(tmp_path: Path) -> None:
    """Spent is the settled USD of the current day and month scopes (yesterday's day is not
    counted); limits come from the settings."""
    settings = load_settings(
        data_dir=tmp_path / "data", budget_day_usd=Decimal("5"), budget_month_usd=Decimal("50")
    )
    store = Store.open(settings.effective_database_url)
    try:
        await spend(store, settings, "1.25", NOW - timedelta(days=1))
        await spend(store, settings, "0.50", NOW)
        metrics = Metrics(registry := CollectorRegistry())
        await metrics.refresh_from_store(store, settings, now=NOW)
    finally:
        store.close()
    get = registry.get_sample_value
    assert get("jobintel_budget_spent_usd", {"scope": "day"}) == 0.5
    assert get("jobintel_budget_spent_usd", {"scope": "month"}) == 1.75
    assert get("jobintel_budget_limit_usd", {"scope": "day"}) == 5
    assert get("jobintel_budget_limit_usd", {"scope": "month"}) == 50


async def test_an_unlimited_scope_has_no_limit_series(tmp_path: Path) -> None:
    """Without a monthly limit there is no month limit series (not a misleading 0), and a
    limit lifted after a scrape disappears on the next one."""
    limited = load_settings(data_dir=tmp_path / "data")
    unlimited = load_settings(data_dir=tmp_path / "data", budget_month_usd=None)
    store = Store.open(limited.effective_database_url)
    try:
        metrics = Metrics(registry := CollectorRegistry())
        await metrics.refresh_from_store(store, limited, now=NOW)
        assert registry.get_sample_value("jobintel_budget_limit_usd", {"scope": "month"}) == 50
        await metrics.refresh_from_store(store, unlimited, now=NOW)
    finally:
        store.close()
    assert registry.get_sample_value("jobintel_budget_limit_usd", {"scope": "month"}) is None
    assert registry.get_sample_value("jobintel_budget_spent_usd", {"scope": "month"}) == 0


async def test_run_gauges_count_running_and_queued_runs_and_the_oldest_age(
    store: Store, settings: Settings
) -> None:
    """Running and queued runs are counted; the oldest running run's age is measured from its
    start to the scrape's ``now``; finished runs count in neither."""
    candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
    runs = [
        store.create_run(candidate_id=candidate, out_dir=str(settings.out_dir), jobs=[])
        for _ in range(4)
    ]
    store.set_run_status(runs[0], "running")
    store.set_run_status(runs[1], "queued")
    store.set_run_status(runs[2], "queued")
    store.set_run_status(runs[3], "succeeded")
    started = store.run(runs[0]).started_at
    assert started is not None
    metrics = Metrics(registry := CollectorRegistry())
    await metrics.refresh_from_store(store, settings, now=started + timedelta(seconds=90))
    assert registry.get_sample_value("jobintel_runs_running") == 1
    assert registry.get_sample_value("jobintel_service_queue_depth") == 2
    assert registry.get_sample_value("jobintel_run_oldest_running_seconds") == 90
    store.set_run_status(runs[0], "succeeded")
    await metrics.refresh_from_store(store, settings, now=started + timedelta(seconds=120))
    assert registry.get_sample_value("jobintel_runs_running") == 0
    assert registry.get_sample_value("jobintel_run_oldest_running_seconds") == 0
