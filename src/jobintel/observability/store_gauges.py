"""What the store-backed gauges show: current budget scopes, running and queued runs,
breaker states and rate-limit headroom (all shared state, so every process agrees)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.guard.budget_types import scopes_for
from jobintel.guard.policies import budget_limits
from jobintel.settings import Settings
from jobintel.store import Store
from jobintel.store.tables import RunRow


@dataclass(frozen=True, kw_only=True)
class StoreGauges:
    #: Spent (settled) USD of the current "day" and "month" scopes.
    spent_usd: dict[str, Decimal] = field(default_factory=dict)
    #: Limits of those scopes; a scope without a USD limit is absent.
    limit_usd: dict[str, Decimal] = field(default_factory=dict)
    running: int = 0
    queued: int = 0
    oldest_running_s: float = 0.0
    #: State of every breaker that has seen a call, by key.
    breakers: dict[str, str] = field(default_factory=dict)
    #: Free fraction of each limiter key's per-minute window, by (key, "requests"|"tokens");
    #: a kind without a limit is absent, and a key told to back off has 0.
    headroom: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Every configured or used limiter key.
    limiter_keys: tuple[str, ...] = ()


async def read_gauges(
    store: Store, settings: Settings, *, now: datetime | None = None
) -> StoreGauges:
    """Read the gauges' values; ``now`` (naive means UTC) fixes the current day and month."""
    at = now or datetime.now(UTC)
    if at.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        at = at.replace(tzinfo=UTC)
    limits = budget_limits(settings)
    # scopes_for names the current periods' keys in the budget time zone ("day:2026-11-29").
    keys: dict[str, str] = {
        scope.kind: scope.key
        for scope in scopes_for(limits, now=at)
        if scope.kind in ("day", "month")
    }
    periods = {"day": limits.per_day_usd, "month": limits.per_month_usd}
    limit_usd = {kind: limit for kind, limit in periods.items() if limit is not None}
    statuses = await SqlBudgets(store.engine).status(kinds=["day", "month"])
    spent = {kind: Decimal(0) for kind in ("day", "month")}
    for status in statuses:
        if keys.get(status.kind) == status.key:
            spent[status.kind] = status.spent_usd
    running, queued, oldest = await asyncio.to_thread(_runs, store, at)
    breakers = await SqlCircuitBreaker(store.engine).snapshot()
    headroom, limiter_keys = await asyncio.to_thread(_headroom, store, settings, at)
    return StoreGauges(
        spent_usd=spent,
        limit_usd=limit_usd,
        running=running,
        queued=queued,
        oldest_running_s=oldest,
        breakers={breaker.key: breaker.state for breaker in breakers},
        headroom=headroom,
        limiter_keys=limiter_keys,
    )


def _headroom(
    store: Store, settings: Settings, now: datetime
) -> tuple[dict[tuple[str, str], float], tuple[str, ...]]:
    # The health page's reading of the limiter's shared state, as ratios.
    from jobintel.guard.ratelimit_health import limiter_headroom

    ratios: dict[tuple[str, str], float] = {}
    rows = limiter_headroom(store.engine, settings, now=now.timestamp())
    for row in rows:
        for kind, limit, left in (
            ("requests", row.rpm, row.requests_headroom),
            ("tokens", row.tpm, row.tokens_headroom),
        ):
            if limit and left is not None:
                ratios[(row.key, kind)] = 0.0 if row.backoff_until else left / limit
    return ratios, tuple(row.key for row in rows)


def _runs(store: Store, now: datetime) -> tuple[int, int, float]:
    counts = (
        select(RunRow.status, func.count(), func.min(RunRow.started_at))
        .where(RunRow.status.in_(["running", "queued"]))
        .group_by(RunRow.status)
    )
    with store.engine.connect() as conn:
        rows = {status: (count, started) for status, count, started in conn.execute(counts)}
    running, started = rows.get("running", (0, None))
    queued = rows.get("queued", (0, None))[0]
    oldest = 0.0
    if running and started is not None:
        # SQLite hands back naive datetimes; the store writes UTC.
        aware = started if started.tzinfo else started.replace(tzinfo=UTC)
        oldest = max((now - aware).total_seconds(), 0.0)
    return int(running), int(queued), oldest
