"""The guard as the settings configure it: limits, policies, prices and shared state."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from jobintel.guard.breaker import BreakerPolicy, InMemoryCircuitBreaker
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.budget import BudgetLimits, InMemoryBudgets
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.call import Guard, RetryPolicy
from jobintel.guard.events import EventSink, ignore_events
from jobintel.guard.ledger import CostLedger, InMemoryCostLedger
from jobintel.guard.pricing import ModelPrice, PriceBook
from jobintel.guard.ratelimit import InMemoryRateLimiter, RateLimitPolicy
from jobintel.guard.ratelimit_sql import SqlRateLimiter
from jobintel.settings import Settings


def budget_limits(settings: Settings, **overrides: Decimal | int | str | None) -> BudgetLimits:
    """The budget limits in effect, with per-run ``overrides`` (e.g. ``per_run_usd``)."""
    tokens = {f"per_{kind}_tokens": value for kind, value in settings.budget_tokens.items()}
    limits = BudgetLimits(
        per_call_usd=settings.budget_call_usd,
        per_stage_usd=settings.budget_stage_usd,
        per_job_usd=settings.budget_job_usd,
        per_run_usd=settings.budget_run_usd,
        per_candidate_usd=settings.budget_candidate_usd,
        per_day_usd=settings.budget_day_usd,
        per_month_usd=settings.budget_month_usd,
        timezone=settings.budget_timezone,
        **tokens,
    )
    return limits.with_overrides(**overrides) if overrides else limits


def rate_limit_policies(settings: Settings) -> dict[str, RateLimitPolicy]:
    wait = settings.rate_limit_max_wait_s
    return {
        key: RateLimitPolicy(
            rpm=spec.rpm,
            tpm=spec.tpm,
            daily_requests=spec.daily_requests,
            daily_credits=spec.daily_credits,
            max_wait_s=wait,
        )
        for key, spec in settings.rate_limits.items()
    }


def breaker_policy(settings: Settings) -> BreakerPolicy:
    return BreakerPolicy(
        consecutive_failures=settings.breaker_failures,
        window_s=settings.breaker_window_s,
        min_calls=settings.breaker_min_calls,
        failure_rate=settings.breaker_failure_rate,
        cooldown_s=settings.breaker_cooldown_s,
        probe_timeout_s=max(120.0, settings.llm_timeout_s * 2),
    )


def price_book(settings: Settings, *, on_event: EventSink = ignore_events) -> PriceBook:
    overrides: Mapping[str, ModelPrice] = {
        key: ModelPrice(**{k: v for k, v in fields.items() if v is not None})
        for key, fields in settings.prices.items()
    }
    return PriceBook(overrides, on_event=on_event)


def build_guard(
    settings: Settings,
    *,
    engine: Engine | None = None,
    on_event: EventSink = ignore_events,
    limits: BudgetLimits | None = None,
) -> Guard:
    """The guard for these settings: shared through ``engine`` unless guard_state=memory."""
    zone = ZoneInfo(settings.budget_timezone)
    policies = rate_limit_policies(settings)
    default_limits = RateLimitPolicy(max_wait_s=settings.rate_limit_max_wait_s)
    retry = RetryPolicy(
        attempts=settings.retry_attempts,
        backoff_s=settings.retry_backoff_s,
        max_backoff_s=settings.retry_max_backoff_s,
        deadline_s=settings.call_deadline_s,
    )
    ttl = max(settings.budget_reservation_ttl_s, settings.call_deadline_s + 60)
    if engine is not None and settings.guard_state == "store":
        return Guard(
            budgets=SqlBudgets(engine, on_event=on_event, reservation_ttl_s=ttl),
            limiter=SqlRateLimiter(
                engine, policies=policies, default=default_limits, timezone=zone, on_event=on_event
            ),
            breaker=SqlCircuitBreaker(engine, default=breaker_policy(settings), on_event=on_event),
            prices=price_book(settings, on_event=on_event),
            ledger=CostLedger(engine, zone=zone),
            limits=limits or budget_limits(settings),
            retry=retry,
        )
    # The ledger is the user's record of spend: it goes to the store whenever there is one.
    return Guard(
        budgets=InMemoryBudgets(on_event=on_event, reservation_ttl_s=ttl),
        limiter=InMemoryRateLimiter(
            policies=policies, default=default_limits, timezone=zone, on_event=on_event
        ),
        breaker=InMemoryCircuitBreaker(default=breaker_policy(settings), on_event=on_event),
        prices=price_book(settings, on_event=on_event),
        ledger=CostLedger(engine, zone=zone)
        if engine is not None
        else InMemoryCostLedger(zone=zone),
        limits=limits or budget_limits(settings),
        retry=retry,
    )


def in_memory_guard(
    *,
    prices: Mapping[str, ModelPrice] | None = None,
    limits: BudgetLimits | None = None,
    retry: RetryPolicy | None = None,
    on_event: EventSink = ignore_events,
) -> Guard:
    """A guard with default policies whose state lives in this process only."""
    return Guard(
        budgets=InMemoryBudgets(on_event=on_event),
        limiter=InMemoryRateLimiter(on_event=on_event),
        breaker=InMemoryCircuitBreaker(on_event=on_event),
        prices=PriceBook(prices, on_event=on_event),
        ledger=InMemoryCostLedger(),
        limits=limits or BudgetLimits(),
        retry=retry or RetryPolicy(),
    )
