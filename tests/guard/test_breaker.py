"""Circuit breaker behaviour on every backend: opening, fail-fast, one probe, recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jobintel.errors import StrategyUnavailable
from jobintel.guard.breaker import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitOpen,
    Ticket,
    classify,
)
from jobintel.guard.events import GuardEvent
from jobintel.providers.errors import (
    FetchRefused,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from tests.guard.limiter_support import BACKENDS, VirtualTime, engine_for, make_breaker, pg_database

KEY = "openai"
FAST = BreakerPolicy(consecutive_failures=3, min_calls=100, cooldown_s=30, probe_timeout_s=60)


@pytest.fixture(scope="module")
def pg() -> Iterator[Engine]:
    with pg_database() as engine:
        yield engine


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path, pg: Engine) -> Iterator[Engine | None]:
    with engine_for(request.param, tmp_path, pg) as made:
        yield made


async def fail(breaker: CircuitBreaker, times: int, key: str = KEY) -> None:
    for _ in range(times):
        await breaker.record(await breaker.allow(key), "failure")


def moves(events: list[GuardEvent]) -> list[tuple[str, str]]:
    assert all(e.kind == "breaker_transition" for e in events)
    return [(e.data["from"], e.data["to"]) for e in events]


async def test_consecutive_failures_open_the_breaker(engine: Engine | None) -> None:
    """N failures in a row open it; calls then fail fast naming the service, since and probe time."""
    clock = VirtualTime()
    events: list[GuardEvent] = []
    breaker = make_breaker(engine, clock, default=FAST, on_event=events.append)
    await fail(breaker, 2)
    await breaker.allow(KEY)  # still closed after 2
    await fail(breaker, 1)
    with pytest.raises(CircuitOpen) as refused:
        await breaker.allow(KEY)
    error = refused.value
    assert isinstance(error, StrategyUnavailable)
    assert error.state == "open" and error.opened_at is not None
    assert error.next_probe_at is not None
    assert (error.next_probe_at - error.opened_at).total_seconds() == pytest.approx(30)
    assert "circuit breaker for openai is open since" in str(error)
    assert "3 consecutive failures" in str(error) and "next probe call" in str(error)
    assert moves(events) == [("closed", "open")]
    assert events[0].subject == KEY and events[0].severity == "critical"


async def test_a_success_resets_the_failure_streak(engine: Engine | None) -> None:
    """Failures separated by a success do not add up to a streak."""
    breaker = make_breaker(engine, VirtualTime(), default=FAST)
    for _ in range(5):
        await fail(breaker, 2)
        await breaker.record(await breaker.allow(KEY), "success")
    await breaker.allow(KEY)


async def test_client_errors_and_429s_never_open_it(engine: Engine | None) -> None:
    """400/401/404 and 429 answers are ignored by the breaker, however many there are."""
    breaker = make_breaker(engine, VirtualTime(), default=FAST)
    errors: list[BaseException] = [
        ProviderRejected("openai", "bad request", status=400),
        ProviderRejected("openai", "bad key", status=401),
        ProviderRejected("openai", "no such model", status=404),
        ProviderRateLimited("openai", "slow down", retry_after_s=1.0),
    ]
    for _ in range(10):
        for exc in errors:
            await breaker.record(await breaker.allow(KEY), breaker.classify(KEY, exc))
    await breaker.allow(KEY)
    assert (await breaker.snapshot())[0].failures == 0


async def test_failure_rate_over_the_window_opens_it_once_min_calls_are_seen(
    engine: Engine | None,
) -> None:
    """Alternating failures open it at the min_calls-th call (rate 50%), not before."""
    policy = BreakerPolicy(consecutive_failures=99, min_calls=10, failure_rate=0.5, window_s=60)
    clock = VirtualTime()
    breaker = make_breaker(engine, clock, default=policy)
    for i in range(9):
        await breaker.record(await breaker.allow(KEY), "failure" if i % 2 == 0 else "success")
    await breaker.allow(KEY)  # 9 calls, 5 failures: below min_calls
    await breaker.record(await breaker.allow(KEY), "success")  # 10 calls, 5 failures
    with pytest.raises(CircuitOpen, match="5 of 10 calls failed"):
        await breaker.allow(KEY)


async def test_calls_outside_the_window_do_not_count(engine: Engine | None) -> None:
    """Failures older than window_s drop out of the failure rate."""
    policy = BreakerPolicy(consecutive_failures=99, min_calls=4, failure_rate=0.5, window_s=60)
    clock = VirtualTime()
    breaker = make_breaker(engine, clock, default=policy)
    await fail(breaker, 2)
    await breaker.record(await breaker.allow(KEY), "success")
    await clock.advance(61)
    await breaker.record(await breaker.allow(KEY), "success")
    await breaker.record(await breaker.allow(KEY), "failure")  # 1 of 2 counted calls
    await breaker.record(await breaker.allow(KEY), "success")
    await breaker.record(await breaker.allow(KEY), "success")
    await breaker.allow(KEY)


async def test_after_the_cooldown_one_probe_decides(engine: Engine | None) -> None:
    """Half-open admits one probe while others fail fast; success closes, failure re-opens."""
    clock = VirtualTime()
    events: list[GuardEvent] = []
    breaker = make_breaker(engine, clock, default=FAST, on_event=events.append)
    await fail(breaker, 3)
    await clock.advance(29.9)
    with pytest.raises(CircuitOpen):
        await breaker.allow(KEY)
    await clock.advance(0.1)
    probe = await breaker.allow(KEY)
    assert probe.probe
    with pytest.raises(CircuitOpen, match="a probe call is testing it now"):
        await breaker.allow(KEY)
    await breaker.record(probe, "failure")  # re-opens with a fresh cool-down
    with pytest.raises(CircuitOpen):
        await breaker.allow(KEY)
    await clock.advance(30)
    probe = await breaker.allow(KEY)
    await breaker.record(probe, "success")
    ticket = await breaker.allow(KEY)
    assert not ticket.probe
    assert moves(events) == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


async def test_a_lost_probe_does_not_wedge_the_breaker(engine: Engine | None) -> None:
    """A probe never reported expires after probe_timeout_s and the next caller probes."""
    clock = VirtualTime()
    breaker = make_breaker(engine, clock, default=FAST)
    await fail(breaker, 3)
    await clock.advance(30)
    lost = await breaker.allow(KEY)
    await clock.advance(59)
    with pytest.raises(CircuitOpen):
        await breaker.allow(KEY)
    await clock.advance(1)
    probe = await breaker.allow(KEY)
    await breaker.record(lost, "success")  # too late: replaced, changes nothing
    with pytest.raises(CircuitOpen):
        await breaker.allow(KEY)
    await breaker.record(probe, "success")
    await breaker.allow(KEY)


async def test_a_cancelled_probe_frees_the_slot_at_once(engine: Engine | None) -> None:
    """A probe cancelled inside ``attempt`` is recorded as ignored: the next caller probes."""
    clock = VirtualTime()
    breaker = make_breaker(engine, clock, default=FAST)
    await fail(breaker, 3)
    await clock.advance(30)
    started = asyncio.Event()

    async def probe_call() -> None:
        async with breaker.attempt(KEY):
            started.set()
            await asyncio.Event().wait()  # a provider that never answers

    task = asyncio.create_task(probe_call())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with breaker.attempt(KEY) as ticket:
        assert ticket.probe
    assert (await breaker.snapshot())[0].state == "closed"


async def test_outcomes_of_calls_from_before_a_transition_are_ignored(
    engine: Engine | None,
) -> None:
    """A slow call admitted while closed cannot close or re-open the breaker later."""
    clock = VirtualTime()
    breaker = make_breaker(engine, clock, default=FAST)
    slow = await breaker.allow(KEY)
    await fail(breaker, 3)
    await breaker.record(slow, "success")
    with pytest.raises(CircuitOpen):
        await breaker.allow(KEY)


async def test_attempt_classifies_what_the_call_raised(engine: Engine | None) -> None:
    """``attempt`` records 5xx as failures and lets the exception through unchanged."""
    breaker = make_breaker(engine, VirtualTime(), default=FAST)
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            async with breaker.attempt(KEY):
                raise ProviderUnavailable("openai", "HTTP 503", status=503)
    with pytest.raises(CircuitOpen):
        async with breaker.attempt(KEY):
            pytest.fail("an open breaker must not run the call")


async def test_keys_have_their_own_breakers_and_policies(engine: Engine | None) -> None:
    """A model key opens alone under its own policy, and the snapshot lists both."""
    clock = VirtualTime()
    breaker = make_breaker(
        engine,
        clock,
        default=FAST,
        policies={"openai:gpt-x": BreakerPolicy(consecutive_failures=1, cooldown_s=5)},
    )
    await fail(breaker, 1, key="openai:gpt-x")
    await breaker.record(await breaker.allow(KEY), "success")
    with pytest.raises(CircuitOpen):
        await breaker.allow("openai:gpt-x")
    states = {s.key: s for s in await breaker.snapshot()}
    assert states[KEY].state == "closed" and states[KEY].opened_at is None
    opened = states["openai:gpt-x"]
    assert opened.state == "open" and opened.failures == 1
    assert opened.opened_at is not None and opened.next_probe_at is not None
    assert (opened.next_probe_at - opened.opened_at).total_seconds() == pytest.approx(5)


async def test_exactly_one_probe_among_concurrent_callers(engine: Engine | None) -> None:
    """50 callers arriving together at a half-open breaker: exactly one gets the probe."""
    clock = VirtualTime()
    breaker = make_breaker(engine, clock, default=FAST)
    await fail(breaker, 3)
    await clock.advance(30)

    async def ask() -> Ticket | None:
        try:
            return await breaker.allow(KEY)
        except CircuitOpen:
            return None

    tickets = [t for t in await asyncio.gather(*(ask() for _ in range(50))) if t is not None]
    assert len(tickets) == 1 and tickets[0].probe


def test_classify_follows_what_each_error_means() -> None:
    """5xx, timeouts and malformed answers count; 4xx, 429, refusals and our own bugs do not."""
    assert classify(None) == "success"
    for counted in (
        ProviderUnavailable("s", "503", status=503),
        ProviderTimeout("s", "deadline"),
        ProviderMalformed("s", "bad json"),
        TimeoutError(),
    ):
        assert classify(counted) == "failure"
    for ignored in (
        ProviderRejected("s", "401", status=401),
        ProviderRateLimited("s", "429", retry_after_s=None),
        FetchRefused("s", "private address"),
        ValueError("a bug of ours"),
        asyncio.CancelledError(),
    ):
        assert classify(ignored) == "ignored"
    policy = BreakerPolicy(failure_statuses=frozenset({404}))
    assert classify(ProviderRejected("s", "model down", status=404), policy) == "failure"


def test_policy_values_are_checked() -> None:
    """Nonsense breaker policies are rejected."""
    with pytest.raises(ValueError, match="failure_rate"):
        BreakerPolicy(failure_rate=0)
    with pytest.raises(ValueError, match="consecutive_failures"):
        BreakerPolicy(consecutive_failures=0)
