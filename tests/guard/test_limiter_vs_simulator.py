"""Through the whole gateway, the rate limiter keeps a provider's 429s at zero.

The simulator enforces 12 requests per minute; 30 calls start at once. Time runs 20x
faster for the simulator and the limiter alike (both take a clock), so three one-minute
windows pass in a few seconds.

The limiter counts a request when it grants it, the simulator when it arrives. The
limiter's margin absorbs the difference, and at 20x a margin of 5 s is only 250 ms of
wall time, so the test keeps that difference the same in every window: connections are
opened before the burst, so the first window does not pay for them and the later ones
reuse them (a slow machine once drew three 429s that way with a 100 ms margin).
"""

from __future__ import annotations

import asyncio
import time

import httpx

from jobintel.guard import CallMeta, Gateway, Guard, RetryPolicy
from jobintel.guard.breaker import InMemoryCircuitBreaker
from jobintel.guard.budget import BudgetLimits, InMemoryBudgets
from jobintel.guard.ledger import InMemoryCostLedger
from jobintel.guard.pricing import PriceBook
from jobintel.guard.ratelimit import InMemoryRateLimiter, RateLimitPolicy
from jobintel.providers import ChatRequest, Message
from jobintel.providers.openai_chat import OpenAIChat
from jobintel.simulator import SimulatorConfig, start_simulator

RPM = 12
CALLS = 30
MODEL = "gpt-4o-mini"


class ScaledTime:
    """Seconds that run ``speedup`` times faster than the wall clock."""

    def __init__(self, speedup: float) -> None:
        self.speedup = speedup
        self._origin = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._origin) * self.speedup

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speedup)


def _guard(clock: ScaledTime, policies: dict[str, RateLimitPolicy], attempts: int) -> Guard:
    return Guard(
        budgets=InMemoryBudgets(),
        limiter=InMemoryRateLimiter(policies=policies, clock=clock, sleep=clock.sleep),
        breaker=InMemoryCircuitBreaker(clock=clock),
        prices=PriceBook(),
        ledger=InMemoryCostLedger(),
        limits=BudgetLimits(per_job_usd=None, per_run_usd=None, per_day_usd=None),
        retry=RetryPolicy(attempts=attempts, backoff_s=0.01, deadline_s=3600),
        sleep=clock.sleep,
    )


async def _burst(guard: Guard, clock: ScaledTime) -> tuple[int, int, int]:
    """(successes, 429s the simulator sent, requests it saw) for CALLS calls at once."""
    with start_simulator(SimulatorConfig(seed=3, rpm=RPM), clock=clock) as sim:
        async with httpx.AsyncClient(timeout=None) as http:
            provider = OpenAIChat(
                name="openai", base_url=sim.openai_base_url, api_key="sim", http_client=http
            )
            gateway = Gateway(chat={"openai": provider}, http_client=http, guard=guard)
            request = ChatRequest(
                model=MODEL,
                messages=(Message(role="user", content="Say ok."),),
                max_tokens=16,
                timeout_s=30,
            )
            # Warm up off the books: the SDK's first call pays for its imports, and RPM
            # calls at once open the connections every window of the burst then reuses.
            await asyncio.gather(*(provider.complete(request) for _ in range(RPM)))
            sim.reset()
            results = await asyncio.gather(
                *(gateway.call(CallMeta(stage="fit"), "openai", request) for _ in range(CALLS)),
                return_exceptions=True,
            )
            stats = sim.stats()
    ok = sum(1 for r in results if not isinstance(r, BaseException))
    return ok, stats.rate_limited, stats.total_requests


async def test_limiter_at_the_providers_limit_sees_no_429s() -> None:
    """With the limiter set to the provider's RPM every call succeeds and none is refused."""
    clock = ScaledTime(20)
    policy = RateLimitPolicy(rpm=RPM, max_wait_s=600, margin_s=5.0)
    ok, refused, seen = await _burst(_guard(clock, {f"openai:{MODEL}": policy}, 1), clock)
    assert (ok, refused, seen) == (CALLS, 0, CALLS)


async def test_without_a_limit_the_same_burst_draws_429s() -> None:
    """The same burst with no configured limit is refused by the provider (the test can fail)."""
    clock = ScaledTime(20)
    ok, refused, _ = await _burst(_guard(clock, {}, 1), clock)
    assert refused > 0 and ok == CALLS - refused
