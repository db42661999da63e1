"""Rate-limit headroom per key, read from the limiter's shared state in the store.

A snapshot for health pages and metrics: what each ``service[:model]`` key may use per window (the
configured limit, lowered to what the provider reported), what it used over the last
window, and what is left. The limiter itself decides admissions; this only reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from jobintel.guard.policies import rate_limit_policies
from jobintel.guard.ratelimit import RateLimitPolicy
from jobintel.guard.ratelimit_types import LearnedLimits
from jobintel.settings import Settings
from jobintel.store.limiter_tables import RateLimitDailyRow, RateLimitGrantRow, RateLimitKeyRow


@dataclass(frozen=True, kw_only=True)
class LimiterHeadroom:
    """One key's per-minute limits (None: unlimited), use and what is left."""

    key: str
    rpm: int | None
    tpm: int | None
    requests_last_minute: int
    tokens_last_minute: int
    requests_headroom: int | None
    tokens_headroom: int | None
    daily_requests: int | None = None
    requests_today: int | None = None
    backoff_until: datetime | None = None


def limiter_headroom(
    engine: Engine, settings: Settings, *, now: float | None = None
) -> list[LimiterHeadroom]:
    """One row per configured or used key, sorted by key."""
    at = time.time() if now is None else now
    policies = rate_limit_policies(settings)
    default = RateLimitPolicy()
    today = datetime.fromtimestamp(at, ZoneInfo(settings.budget_timezone)).date().isoformat()
    with engine.connect() as conn:
        keys = {row.key: row for row in conn.execute(select(RateLimitKeyRow))}
        daily = {
            row.service: row.requests
            for row in conn.execute(select(RateLimitDailyRow).where(RateLimitDailyRow.day == today))
        }
        out = []
        for key in sorted(set(policies) | set(keys)):
            service = key.partition(":")[0]
            policy = policies.get(key) or policies.get(service) or default
            stored = keys.get(key)
            learned = LearnedLimits(
                requests=stored.limit_requests if stored is not None else None,
                tokens=stored.limit_tokens if stored is not None else None,
            )
            window = policy.limits(learned)
            requests, tokens = conn.execute(
                select(
                    func.coalesce(func.sum(RateLimitGrantRow.requests), 0),
                    func.coalesce(func.sum(RateLimitGrantRow.tokens), 0),
                ).where(RateLimitGrantRow.key == key, RateLimitGrantRow.at > at - window.window_s)
            ).one()
            not_before = stored.not_before if stored is not None else 0.0
            out.append(
                LimiterHeadroom(
                    key=key,
                    rpm=window.requests,
                    tpm=window.tokens,
                    requests_last_minute=int(requests),
                    tokens_last_minute=int(tokens),
                    requests_headroom=_left(window.requests, int(requests)),
                    tokens_headroom=_left(window.tokens, int(tokens)),
                    daily_requests=policy.daily_requests,
                    requests_today=daily.get(service) if ":" not in key else None,
                    backoff_until=datetime.fromtimestamp(not_before, UTC)
                    if not_before > at
                    else None,
                )
            )
    return out


def _left(limit: int | None, used: int) -> int | None:
    return None if limit is None else max(limit - used, 0)
