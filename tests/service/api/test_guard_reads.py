"""Costs, budgets, breaker and limiter health, and alerts, as the guard recorded them."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from jobintel.guard.breaker import BreakerPolicy
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEvent
from jobintel.guard.ledger import CostLedger, LedgerEntry
from jobintel.store.limiter_tables import RateLimitGrantRow
from tests.service.api.conftest import Api, running_api, service_settings


def _spend(api: Api) -> None:
    ledger = CostLedger(api.store.engine)
    for model, stage, cost in (
        ("gpt-4o-mini", "extract", "0.010"),
        ("claude-haiku", "cv", "0.030"),
    ):
        ledger.record(
            LedgerEntry(
                service="openai" if model.startswith("gpt") else "anthropic",
                operation="chat",
                model=model,
                stage=stage,
                run_id="r1",
                job_id=1,
                input_tokens=1000,
                output_tokens=200,
                cost_usd=Decimal(cost),
            )
        )


async def test_costs_group_the_ledger_by_each_dimension(api: Api) -> None:
    """/api/costs sums the ledger per model (or provider, stage, job, run, day) exactly."""
    _spend(api)
    by_model = (await api.client.get("/api/costs?by=model", headers=api.auth("read"))).json()
    assert {row["key"]: Decimal(row["cost_usd"]) for row in by_model["rows"]} == {
        "openai:gpt-4o-mini": Decimal("0.01"),
        "anthropic:claude-haiku": Decimal("0.03"),
    }
    assert Decimal(by_model["total_usd"]) == Decimal("0.04")
    for by in ("day", "provider", "stage", "job", "run"):
        report = (await api.client.get(f"/api/costs?by={by}", headers=api.auth("read"))).json()
        assert Decimal(report["total_usd"]) == Decimal("0.04")
    bad = await api.client.get("/api/costs?by=week", headers=api.auth("read"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "by"


async def test_budgets_show_the_configured_limits_and_today(api: Api) -> None:
    """/api/budgets lists every scope kind's limit and today's and this month's budgets
    even before the first call."""
    report = (await api.client.get("/api/budgets", headers=api.auth("read"))).json()
    assert set(report["limits"]) == {"call", "stage", "job", "run", "candidate", "day", "month"}
    kinds = {b["kind"] for b in report["budgets"]}
    assert {"day", "month"} <= kinds
    today = next(b for b in report["budgets"] if b["kind"] == "day")
    assert Decimal(today["spent_usd"]) == 0


async def test_health_reports_breakers_and_limiter_headroom(tmp_path: Path) -> None:
    """An open breaker shows as open with its failures, and a key with an rpm limit shows
    what was used over the last window and what is left."""
    settings = service_settings(tmp_path, rate_limits={"openai": {"rpm": 10, "tpm": 5000}})
    async with running_api(settings) as api:
        breaker = SqlCircuitBreaker(
            api.store.engine, default=BreakerPolicy(consecutive_failures=1, min_calls=1)
        )
        ticket = await breaker.allow("openai")
        await breaker.record(ticket, "failure")
        with api.store.engine.begin() as conn:
            conn.execute(
                RateLimitGrantRow.__table__.insert().values(
                    key="openai", at=time.time(), requests=3, tokens=1200
                )
            )
        health = (await api.client.get("/api/health", headers=api.auth("read"))).json()
        [opened] = health["breakers"]
        assert (opened["key"], opened["state"], opened["failures"]) == ("openai", "open", 1)
        [limit] = health["limiter"]
        assert limit == {
            "key": "openai",
            "rpm": 10,
            "tpm": 5000,
            "requests_last_minute": 3,
            "tokens_last_minute": 1200,
            "requests_headroom": 7,
            "tokens_headroom": 3800,
            "daily_requests": None,
            "requests_today": None,
            "backoff_until": None,
        }


async def test_guard_events_are_listed_newest_first(api: Api) -> None:
    """/api/guard-events returns the stored guard events, newest first, filterable by kind."""
    log = GuardEventLog(api.store.engine)
    log(GuardEvent(kind="budget_threshold", subject="day:2026-01-01", message="80% of the day"))
    log(GuardEvent(kind="breaker_transition", subject="openai", message="closed -> open"))
    read = api.auth("read")
    events = (await api.client.get("/api/guard-events", headers=read)).json()["events"]
    assert [a["kind"] for a in events] == ["breaker_transition", "budget_threshold"]
    only = await api.client.get("/api/guard-events?kind=budget_threshold", headers=read)
    assert [a["subject"] for a in only.json()["events"]] == ["day:2026-01-01"]
