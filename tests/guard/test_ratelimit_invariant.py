"""The window invariant, exactness and fairness, under random interleavings (hypothesis)."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from jobintel.guard.ratelimit import InMemoryRateLimiter, RateLimitPolicy
from jobintel.guard.ratelimit_memory import InMemoryLimiterState
from jobintel.guard.ratelimit_types import Ask, Granted, QuotaSpent, Waiting
from jobintel.guard.ratelimit_window import WindowEntry, WindowLimits, plan
from jobintel.providers.base import RateLimitInfo
from tests.guard.limiter_support import VirtualTime

KEY = "svc:model"


def windows_within(
    grants: list[tuple[float, int]], *, window_s: float, rpm: int, tpm: int
) -> tuple[int, int]:
    """The largest request count and token sum over every window ending at a grant."""
    most_requests = most_tokens = 0
    for end, _ in grants:
        inside = [tokens for at, tokens in grants if at <= end < at + window_s]
        most_requests = max(most_requests, len(inside))
        most_tokens = max(most_tokens, sum(inside))
    assert most_requests <= rpm and most_tokens <= tpm, (most_requests, most_tokens)
    return most_requests, most_tokens


async def test_many_concurrent_callers_never_exceed_either_limit() -> None:
    """60 tasks x 4 calls with refunds: no 60 s window ever holds > rpm requests or > tpm tokens."""
    time = VirtualTime()
    limiter = InMemoryRateLimiter(
        policies={KEY: RateLimitPolicy(rpm=20, tpm=3000, max_wait_s=1e6, margin_s=0)},
        clock=time,
        sleep=time.sleep,
    )
    rng = random.Random(7)
    grants: list[tuple[float, int]] = []

    async def job() -> None:
        for _ in range(4):
            reserved = rng.randint(50, 400)
            permit = await limiter.acquire(KEY, tokens=reserved)
            await time.sleep(rng.uniform(0.0, 3.0))  # the call itself
            actual = rng.randint(reserved // 4, reserved)
            await permit.settle(actual)
            grants.append((permit.granted_at, actual))

    tasks = [asyncio.create_task(job()) for _ in range(60)]
    await time.run(tasks)
    assert len(grants) == 240
    most_requests, most_tokens = windows_within(grants, window_s=60, rpm=20, tpm=3000)
    assert most_requests == 20 or most_tokens > 2600  # and it does use the capacity


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.floats(0, 100), st.integers(0, 2), st.integers(0, 500)), max_size=12
    ),
    tokens=st.integers(0, 1000),
    rpm=st.one_of(st.none(), st.integers(1, 6)),
    tpm=st.one_of(st.none(), st.integers(1000, 1500)),
    not_before=st.floats(90, 130),
)
def test_plan_finds_the_earliest_start_that_fits(
    entries: list[tuple[float, int, int]],
    tokens: int,
    rpm: int | None,
    tpm: int | None,
    not_before: float,
) -> None:
    """For one request, ``plan`` returns exactly the earliest time at which the window fits it."""
    now, width = 100.0, 60.0
    log = sorted(
        (WindowEntry(at=at, requests=r, tokens=t) for at, r, t in entries), key=lambda e: e.at
    )
    limits = WindowLimits(requests=rpm, tokens=tpm, window_s=width)

    def fits(t: float) -> bool:
        inside = [e for e in log if e.at <= t < e.at + width]
        return (rpm is None or sum(e.requests for e in inside) + 1 <= rpm) and (
            tpm is None or sum(e.tokens for e in inside) + tokens <= tpm
        )

    # Usage only ever leaves the window, so the answer is the start or an expiry time.
    candidates = sorted({max(now, not_before)} | {e.at + width for e in log})
    expected = next((t for t in candidates if t >= max(now, not_before) and fits(t)), float("inf"))
    (slot,) = plan(log, [tokens], limits, now=now, not_before=not_before)
    assert slot.at == expected


class LimiterMachine(RuleBasedStateMachine):
    """Random acquire / retry / leave / settle / tighten / time steps on the in-process state."""

    WINDOW = 60.0
    RPM = 5
    TPM = 1000

    @initialize()
    def setup(self) -> None:
        self.state = InMemoryLimiterState()
        self.policy = RateLimitPolicy(rpm=self.RPM, tpm=self.TPM, margin_s=0)
        self.now = 0.0
        self.waiting: list[tuple[int, int]] = []  # (waiter id, tokens), in arrival order
        self.grants: list[list[float]] = []  # [at, tokens, grant id]
        self.unchanged_since: float | None = None

    def _ask(self, tokens: int, waiter_id: int | None = None) -> Ask:
        return Ask(
            key=KEY,
            service="svc",
            day="2026-01-01",
            tokens=tokens,
            credits=0,
            daily_requests=None,
            daily_credits=None,
            waiter_id=waiter_id,
        )

    def _apply(self, tokens: int, waiter_id: int | None) -> Granted | Waiting:
        outcome = self.state.attempt(self._ask(tokens, waiter_id), self.policy, lambda: self.now)
        assert not isinstance(outcome, QuotaSpent)
        if isinstance(outcome, Granted):
            # Only the first in line ever starts.
            assert (waiter_id is None and not self.waiting) or self.waiting[0][0] == waiter_id
            if waiter_id is not None:
                self.waiting.pop(0)
            self.grants.append([self.now, tokens, outcome.grant_id])
        elif waiter_id is None:
            self.waiting.append((outcome.waiter_id, tokens))
        return outcome

    @rule(tokens=st.integers(0, 600))
    def acquire(self, tokens: int) -> None:
        self._apply(tokens, None)

    @precondition(lambda self: self.waiting)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        waiter_id, tokens = data.draw(st.sampled_from(self.waiting))
        self._apply(tokens, waiter_id)

    @precondition(lambda self: self.waiting)
    @rule()
    def head_starts_exactly_at_its_slot(self) -> None:
        waiter_id, tokens = self.waiting[0]
        outcome = self._apply(tokens, waiter_id)
        if isinstance(outcome, Waiting):
            self.now = outcome.at  # nothing else changes meanwhile: it must start then
            assert isinstance(self._apply(tokens, waiter_id), Granted)

    @precondition(lambda self: self.waiting)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        waiter = data.draw(st.sampled_from(self.waiting))
        self.state.leave(KEY, waiter[0])
        self.waiting.remove(waiter)

    @precondition(lambda self: self.grants)
    @rule(data=st.data(), share=st.floats(0, 1))
    def settle(self, data: st.DataObject, share: float) -> None:
        grant = data.draw(st.sampled_from(self.grants))
        grant[1] = int(grant[1] * share)
        self.state.settle(
            KEY, int(grant[2]), int(grant[1]), service="svc", day="d", credits_delta=0
        )

    @rule(remaining=st.integers(0, 5), reset=st.floats(0, 60))
    def tighten(self, remaining: int, reset: float) -> None:
        info = RateLimitInfo(
            limit_requests=self.RPM, remaining_requests=remaining, reset_requests_s=reset
        )
        self.state.tighten(KEY, info, self.policy, as_of=self.now, now=self.now)

    @rule(seconds=st.floats(0, 40))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @invariant()
    def no_window_exceeds_the_limits(self) -> None:
        if hasattr(self, "grants"):
            grants = [(at, int(tokens)) for at, tokens, _ in self.grants]
            windows_within(grants, window_s=self.WINDOW, rpm=self.RPM, tpm=self.TPM)


LimiterMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
test_limiter_state_machine = LimiterMachine.TestCase
