"""Rate limiter behaviour on every backend: reservations, refunds, bounds, 429s, quotas."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jobintel.errors import StrategyUnavailable
from jobintel.guard.events import GuardEvent
from jobintel.guard.ratelimit import RateLimitPolicy, RateLimitWaitExceeded
from jobintel.providers.base import RateLimitInfo
from tests.guard.limiter_support import (
    BACKENDS,
    VirtualTime,
    engine_for,
    make_limiter,
    pg_database,
    sleepers,
)

KEY = "openai:gpt-4o-mini"


@pytest.fixture(scope="module")
def pg() -> Iterator[Engine]:
    with pg_database() as engine:
        yield engine


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path, pg: Engine) -> Iterator[Engine | None]:
    with engine_for(request.param, tmp_path, pg) as made:
        yield made


def policy(**changes: object) -> RateLimitPolicy:
    base: dict[str, object] = {"rpm": 3, "tpm": 1000, "max_wait_s": 120.0, "margin_s": 0.0}
    return RateLimitPolicy(**{**base, **changes})  # type: ignore[arg-type]


async def test_requests_beyond_rpm_wait_for_the_window(engine: Engine | None) -> None:
    """The 4th request under rpm=3 starts exactly when the 1st leaves the 60 s window."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy()})
    start = time.now
    for offset in (0.0, 10.0, 20.0):
        await time.advance(offset - (time.now - start))
        await limiter.acquire(KEY, tokens=10)
    fourth = asyncio.create_task(limiter.acquire(KEY, tokens=10))
    await sleepers(time, 1)
    await time.advance(39.0)  # t = 59: the first grant (t = 0) still counts
    assert not fourth.done()
    await time.advance(1.0)
    permit = await fourth
    assert permit.granted_at == start + 60.0
    assert permit.waited_s == 40.0


async def test_tokens_are_reserved_up_front_and_refunded_on_settle(engine: Engine | None) -> None:
    """A caller blocked by another's worst-case reservation starts as soon as it settles lower."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=None)})
    first = await limiter.acquire(KEY, tokens=700)
    second = asyncio.create_task(limiter.acquire(KEY, tokens=700))
    await sleepers(time, 1)
    assert not second.done()
    await first.settle(200)  # 500 tokens come back: 200 + 700 fits in 1000
    permit = await asyncio.wait_for(second, 10)
    assert permit.granted_at == first.granted_at  # no virtual time passed


async def test_settling_above_the_reservation_charges_the_difference(engine: Engine | None) -> None:
    """Actual use above the estimate counts: the next caller waits for it to leave the window."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=None)})
    first = await limiter.acquire(KEY, tokens=100)
    await first.settle(900)
    with pytest.raises(RateLimitWaitExceeded) as refused:
        await limiter.acquire(KEY, tokens=200, max_wait_s=30)
    assert refused.value.limit == "tpm"
    assert refused.value.needed_s == 60.0


async def test_wait_past_the_bound_fails_at_once_with_a_clear_error(engine: Engine | None) -> None:
    """Past the wait bound the caller fails immediately, told the limit, the wait and the fix."""
    time = VirtualTime()
    events: list[GuardEvent] = []
    limiter = make_limiter(
        engine, time, policies={KEY: policy(rpm=1, max_wait_s=5)}, on_event=events.append
    )
    await limiter.acquire(KEY, tokens=1)
    before = time.now
    with pytest.raises(RateLimitWaitExceeded) as refused:
        await limiter.acquire(KEY, tokens=1)
    assert time.now == before  # not a moment of waiting
    error = refused.value
    assert isinstance(error, StrategyUnavailable)
    assert (error.limit, error.needed_s, error.max_wait_s) == ("rpm", 60.0, 5)
    message = str(error)
    assert KEY in message and "1 requests per minute" in message and "60.0 s" in message
    assert "rate_limit_max_wait_s" in message
    assert [e.kind for e in events] == ["rate_limited"] and events[0].subject == KEY


async def test_a_request_larger_than_the_token_limit_is_refused(engine: Engine | None) -> None:
    """A reservation that can never fit the TPM limit fails at once and says what to lower."""
    limiter = make_limiter(engine, VirtualTime(), policies={KEY: policy()})
    with pytest.raises(RateLimitWaitExceeded, match="can never fit") as refused:
        await limiter.acquire(KEY, tokens=1001)
    assert "max_tokens" in str(refused.value)


async def test_callers_queue_first_come_first_served(engine: Engine | None) -> None:
    """A small request does not overtake a large one that is waiting ahead of it."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=None)})
    await limiter.acquire(KEY, tokens=800)
    order: list[str] = []

    async def call(name: str, tokens: int) -> None:
        await limiter.acquire(KEY, tokens=tokens)
        order.append(name)

    large = asyncio.create_task(call("large", 900))
    await sleepers(time, 1)
    small = asyncio.create_task(call("small", 100))  # would fit now, but must queue
    await sleepers(time, 2)
    assert order == []
    await time.advance(60.0)
    await asyncio.wait_for(asyncio.gather(large, small), 10)
    assert order == ["large", "small"]


async def test_a_429_makes_every_caller_hold_back(engine: Engine | None) -> None:
    """After penalize, nobody starts before the Retry-After time; short bounds fail at once."""
    time = VirtualTime()
    events: list[GuardEvent] = []
    limiter = make_limiter(engine, time, policies={KEY: policy()}, on_event=events.append)
    start = time.now
    await limiter.penalize(KEY, 10.0)
    with pytest.raises(RateLimitWaitExceeded) as refused:
        await limiter.acquire(KEY, tokens=1, max_wait_s=5)
    assert refused.value.limit == "retry_after"
    waiting = asyncio.create_task(limiter.acquire(KEY, tokens=1))
    await sleepers(time, 1)
    await time.advance(10.0)
    permit = await asyncio.wait_for(waiting, 10)
    assert permit.granted_at == start + 10.0
    assert events[0].kind == "rate_limited" and events[0].data["retry_after_s"] == 10.0


async def test_headers_reporting_foreign_usage_tighten_the_limiter(engine: Engine | None) -> None:
    """Usage the provider reports beyond ours holds callers back until its reset time."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=100)})
    permit = await limiter.acquire(KEY, tokens=1)
    # The provider counted 100 requests (ours was 1 of them) and resets in 8 s.
    info = RateLimitInfo(limit_requests=100, remaining_requests=0, reset_requests_s=8.0)
    await limiter.tighten(KEY, info, as_of=permit.granted_at)
    with pytest.raises(RateLimitWaitExceeded) as refused:
        await limiter.acquire(KEY, tokens=1, max_wait_s=1.0)
    assert 1.0 < refused.value.needed_s <= 8.0


async def test_headers_matching_our_own_usage_change_nothing(engine: Engine | None) -> None:
    """Remaining counts that only reflect our own requests do not hold anyone back."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=10)})
    for remaining in (9, 8):
        permit = await limiter.acquire(KEY, tokens=1, max_wait_s=0)
        info = RateLimitInfo(limit_requests=10, remaining_requests=remaining, reset_requests_s=60)
        await limiter.tighten(KEY, info, as_of=permit.granted_at)
    for _ in range(8):
        await limiter.acquire(KEY, tokens=1, max_wait_s=0)


async def test_a_lower_limit_reported_by_the_provider_is_adopted(engine: Engine | None) -> None:
    """When headers say the limit is lower than configured, the lower one applies."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=50)})
    permit = await limiter.acquire(KEY, tokens=1)
    info = RateLimitInfo(limit_requests=2, remaining_requests=1, reset_requests_s=60)
    await limiter.tighten(KEY, info, as_of=permit.granted_at)
    await limiter.acquire(KEY, tokens=1, max_wait_s=0)
    with pytest.raises(RateLimitWaitExceeded):
        await limiter.acquire(KEY, tokens=1, max_wait_s=0)


async def test_retry_after_in_headers_acts_like_a_429(engine: Engine | None) -> None:
    """A Retry-After carried in the rate-limit info holds callers back like penalize."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy()})
    await limiter.tighten(KEY, RateLimitInfo(retry_after_s=3.0))
    with pytest.raises(RateLimitWaitExceeded) as refused:
        await limiter.acquire(KEY, tokens=1, max_wait_s=1)
    assert refused.value.needed_s == 3.0


async def test_daily_credits_reset_on_the_next_calendar_day(engine: Engine | None) -> None:
    """A per-service credit quota refuses once spent, counts actual credits, and resets at midnight."""
    berlin = timezone(timedelta(hours=1))
    time = VirtualTime(datetime(2026, 3, 1, 23, 0, tzinfo=berlin).timestamp())
    limiter = make_limiter(
        engine, time, policies={"firecrawl": RateLimitPolicy(daily_credits=10, max_wait_s=60)}
    )
    limiter._tz = berlin  # the calendar day is the configured zone's, not UTC's
    first = await limiter.acquire("firecrawl", tokens=0, credits=6)
    with pytest.raises(RateLimitWaitExceeded) as refused:
        await limiter.acquire("firecrawl:scrape", tokens=0, credits=6)
    assert refused.value.limit == "daily_credits"
    assert "6 of 10 credits" in str(refused.value) and "daily_credits" in str(refused.value)
    await first.settle(0, actual_credits=2)  # it used only 2
    await limiter.acquire("firecrawl", tokens=0, credits=6)
    with pytest.raises(RateLimitWaitExceeded):
        await limiter.acquire("firecrawl", tokens=0, credits=6)
    await time.advance(3600.0)  # midnight in Berlin (still 23:00 UTC)
    await limiter.acquire("firecrawl", tokens=0, credits=6)


async def test_daily_request_quota_counts_per_service(engine: Engine | None) -> None:
    """Two models of one service share the service's daily request quota."""
    time = VirtualTime(datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp())
    limiter = make_limiter(engine, time, policies={"svc": RateLimitPolicy(daily_requests=2)})
    await limiter.acquire("svc:a", tokens=1)
    await limiter.acquire("svc:b", tokens=1)
    with pytest.raises(RateLimitWaitExceeded, match="2 of 2 requests"):
        await limiter.acquire("svc:a", tokens=1)


async def test_a_cancelled_waiter_gives_up_its_place(engine: Engine | None) -> None:
    """Cancelling a queued caller lets the one behind it start as if it had never queued."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=None)})
    first = await limiter.acquire(KEY, tokens=600)
    blocked = asyncio.create_task(limiter.acquire(KEY, tokens=900))
    await sleepers(time, 1)
    behind = asyncio.create_task(limiter.acquire(KEY, tokens=300))
    await sleepers(time, 2)
    blocked.cancel()
    permit = await asyncio.wait_for(behind, 10)
    assert permit.granted_at == first.granted_at
    with pytest.raises(asyncio.CancelledError):
        await blocked


async def test_release_returns_the_whole_reservation(engine: Engine | None) -> None:
    """A permit whose request was never sent gives back its request and tokens."""
    time = VirtualTime()
    limiter = make_limiter(engine, time, policies={KEY: policy(rpm=1)})
    permit = await limiter.acquire(KEY, tokens=900)
    await permit.release()
    await permit.settle(900)  # too late: the permit is finished
    await limiter.acquire(KEY, tokens=900, max_wait_s=0)


def test_daily_quotas_on_a_model_key_are_refused() -> None:
    """Quotas count per service, so a policy that sets one on service:model is an error."""
    with pytest.raises(ValueError, match="set daily_requests/daily_credits on 'firecrawl'"):
        make_limiter(
            None, VirtualTime(), policies={"firecrawl:x": RateLimitPolicy(daily_credits=5)}
        )


def test_policy_values_are_checked() -> None:
    """Nonsense limits are rejected with the field's name."""
    with pytest.raises(ValueError, match="rpm"):
        RateLimitPolicy(rpm=0)
    with pytest.raises(ValueError, match="max_wait_s"):
        RateLimitPolicy(max_wait_s=-1)
