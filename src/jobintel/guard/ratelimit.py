"""Rate limits per service and model: reserve before a call, refund after, wait fairly.

``acquire`` reserves one request and a worst-case token count against a sliding-window
log (see ``ratelimit_window``) and returns a ``Permit`` once the call may start; callers
queue first come, first served and sleep until their computed start time. If that start
is further away than the wait bound, ``RateLimitWaitExceeded`` is raised at once, without
waiting. ``Permit.settle`` refunds (or charges) the difference to the actual tokens.
Provider headers (``tighten``) and 429s (``penalize``) make everyone sharing the limiter
hold back.

``InMemoryRateLimiter`` serves one process; ``jobintel.guard.ratelimit_sql.SqlRateLimiter``
shares the same state through the store, for several processes on one machine (SQLite)
or several machines (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from jobintel.guard.events import EventSink, GuardEvent, ignore_events
from jobintel.guard.ratelimit_memory import InMemoryLimiterState
from jobintel.guard.ratelimit_types import (
    LIMITS_SETTING,
    Ask,
    Attempt,
    Granted,
    LimiterState,
    QuotaSpent,
    RateLimitPolicy,
    RateLimitWaitExceeded,
    Waiting,
    wait_exceeded,
)
from jobintel.providers.base import RateLimitInfo

__all__ = [
    "InMemoryRateLimiter",
    "Permit",
    "RateLimitPolicy",
    "RateLimitWaitExceeded",
    "RateLimiter",
]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(eq=False, kw_only=True)
class Permit:
    """Leave to make one call: 1 request and ``tokens`` (and ``credits``) are reserved."""

    key: str
    tokens: int
    credits: int
    granted_at: float
    waited_s: float
    _limiter: RateLimiter = field(repr=False)
    _grant_id: int = field(repr=False)
    _day: str = field(repr=False)
    _finished: bool = field(default=False, repr=False)

    async def settle(self, actual_tokens: int, *, actual_credits: int | None = None) -> None:
        """Count what the call really used instead of the reservation (first call wins)."""
        if self._finished:
            return
        self._finished = True
        credits_delta = 0 if actual_credits is None else actual_credits - self.credits
        await self._limiter._settle(self, max(actual_tokens, 0), credits_delta)

    async def release(self) -> None:
        """Give the reservation back entirely: the request was never sent."""
        if self._finished:
            return
        self._finished = True
        await self._limiter._release(self)


class RateLimiter:
    """Per-key limits over a shared state; use ``InMemoryRateLimiter`` or ``SqlRateLimiter``.

    ``policies`` maps ``service:model`` or ``service`` keys to limits; a key without a
    policy of its own uses its service's, then ``default``. Daily quotas count per service
    and per calendar day in ``timezone``.
    """

    def __init__(
        self,
        state: LimiterState,
        *,
        policies: Mapping[str, RateLimitPolicy] | None = None,
        default: RateLimitPolicy | None = None,
        clock: Callable[[], float],
        wall_clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        timezone: tzinfo = UTC,
        on_event: EventSink = ignore_events,
        poll_s: float,
        handoff_s: float,
    ) -> None:
        self._policies = dict(policies or {})
        for key, policy in self._policies.items():
            if ":" in key and (
                policy.daily_requests is not None or policy.daily_credits is not None
            ):
                service = key.partition(":")[0]
                raise ValueError(
                    f"rate limit policy {key!r} sets a daily quota, but quotas count per "
                    f"service: set daily_requests/daily_credits on {service!r} in {LIMITS_SETTING}"
                )
        self._default = default or RateLimitPolicy()
        self._state = state
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._tz = timezone
        self._on_event = on_event
        self._poll_s = poll_s
        self._handoff_s = handoff_s
        # This process's waiters per key, oldest first: whoever frees capacity wakes the
        # oldest, and each one that starts wakes the next (no thundering herd).
        self._local: dict[str, dict[object, asyncio.Event]] = {}

    def policy_for(self, key: str) -> RateLimitPolicy:
        """The policy that applies to ``key``: its own, its service's, or the default."""
        found = self._policies.get(key) or self._policies.get(_service(key))
        return found or self._default

    async def acquire(
        self, key: str, *, tokens: int, credits: int = 0, max_wait_s: float | None = None
    ) -> Permit:
        """Reserve 1 request, ``tokens`` and ``credits`` on ``key``, waiting up to the bound."""
        if tokens < 0 or credits < 0:
            raise ValueError(f"tokens and credits must not be negative, got {tokens}, {credits}")
        policy = self.policy_for(key)
        bound = policy.max_wait_s if max_wait_s is None else max_wait_s
        quota = self._policies.get(_service(key)) or self._default
        service, day = _service(key), self._today()
        ask = Ask(
            key=key,
            service=service,
            day=day,
            tokens=tokens,
            credits=credits,
            daily_requests=quota.daily_requests,
            daily_credits=quota.daily_credits,
        )
        if policy.tpm is not None and tokens > policy.tpm:
            raise self._refuse(
                wait_exceeded(
                    key, "tpm", policy.limits(), tokens=tokens, needed_s=math.inf, max_wait_s=bound
                )
            )
        started = self._clock()
        granted = False
        # Granted on the first look means no wait, whatever the state's round trip took.
        queued = False
        wake = asyncio.Event()
        me = object()
        self._local.setdefault(key, {})[me] = wake
        try:
            while True:
                wake.clear()  # a wake-up during the attempt below is not lost: it stays set
                outcome = await self._attempt(ask, policy)
                if isinstance(outcome, Granted):
                    granted = True
                    return Permit(
                        key=key,
                        tokens=tokens,
                        credits=credits,
                        granted_at=outcome.at,
                        waited_s=outcome.at - started if queued else 0.0,
                        _limiter=self,
                        _grant_id=outcome.grant_id,
                        _day=day,
                    )
                if isinstance(outcome, QuotaSpent):
                    raise self._refuse(self._quota_exceeded(key, service, outcome, bound))
                queued = True
                ask = replace(ask, waiter_id=outcome.waiter_id)
                if outcome.at - started > bound:
                    raise self._refuse(
                        wait_exceeded(
                            key,
                            outcome.bound_by,
                            outcome.limits,
                            tokens=tokens,
                            needed_s=outcome.at - started,
                            max_wait_s=bound,
                        )
                    )
                # Sleep until our start, or until whoever is ahead of us is done (they
                # wake us); a shared state also changes under us, so look again at least
                # every poll_s, and soon when only callers in other processes are ahead.
                delay = outcome.at - self._clock()
                await self._wait(wake, min(delay, self._poll_s) if delay > 0 else self._handoff_s)
        finally:
            local = self._local[key]
            del local[me]
            if not local:
                del self._local[key]
            if not granted and ask.waiter_id is not None:
                await asyncio.shield(self._run(self._state.leave, key, ask.waiter_id))
            self._notify(key)  # the next in line may start now

    async def _attempt(self, ask: Ask, policy: RateLimitPolicy) -> Attempt:
        if not self._state.shared:
            return self._state.attempt(ask, policy, self._clock)
        step = asyncio.ensure_future(
            asyncio.to_thread(self._state.attempt, ask, policy, self._clock)
        )
        try:
            return await asyncio.shield(step)
        except asyncio.CancelledError:
            # The step runs on in its thread: wait for it, then undo what it did so that a
            # cancelled caller holds neither a place in the queue nor a grant.
            outcome = await step
            if isinstance(outcome, Waiting) and ask.waiter_id is None:
                await asyncio.to_thread(self._state.leave, ask.key, outcome.waiter_id)
            elif isinstance(outcome, Granted):
                await asyncio.to_thread(
                    self._state.release,
                    ask.key,
                    outcome.grant_id,
                    service=ask.service,
                    day=ask.day,
                    credits=ask.credits,
                )
            raise

    async def tighten(self, key: str, info: RateLimitInfo, *, as_of: float | None = None) -> None:
        """Hold back by what the provider's rate-limit headers say.

        ``as_of`` is when the request that brought ``info`` started (its
        ``Permit.granted_at``), so our own usage in the provider's window is not counted
        twice; a ``retry_after_s`` in ``info`` acts like ``penalize``.
        """
        now = self._clock()
        policy = self.policy_for(key)
        await self._run(
            self._state.tighten, key, info, policy, as_of=now if as_of is None else as_of, now=now
        )
        if info.retry_after_s is not None:
            await self.penalize(key, info.retry_after_s)
        self._notify(key)

    async def penalize(self, key: str, retry_after_s: float) -> None:
        """After a 429: nobody sharing this limiter starts a call on ``key`` for a while."""
        wait = max(float(retry_after_s), 0.0)
        await self._run(self._state.penalize, key, self._clock() + wait)
        self._on_event(
            GuardEvent(
                kind="rate_limited",
                subject=key,
                message=f"{key} answered 429: every caller holds back for {wait:g} s",
                severity="info",
                data={"retry_after_s": wait},
            )
        )
        self._notify(key)

    async def _settle(self, permit: Permit, tokens: int, credits_delta: int) -> None:
        await self._run(
            self._state.settle,
            permit.key,
            permit._grant_id,
            tokens,
            service=_service(permit.key),
            day=permit._day,
            credits_delta=credits_delta,
        )
        if tokens < permit.tokens:
            self._notify(permit.key)

    async def _release(self, permit: Permit) -> None:
        await self._run(
            self._state.release,
            permit.key,
            permit._grant_id,
            service=_service(permit.key),
            day=permit._day,
            credits=permit.credits,
        )
        self._notify(permit.key)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._state.shared:  # database work: keep it off the event loop
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    async def _wait(self, changed: asyncio.Event, delay: float) -> None:
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    def _notify(self, key: str) -> None:
        waiters = self._local.get(key)
        if waiters:
            next(iter(waiters.values())).set()

    def _today(self) -> str:
        return datetime.fromtimestamp(self._wall_clock(), self._tz).date().isoformat()

    def _quota_exceeded(
        self, key: str, service: str, spent: QuotaSpent, bound: float
    ) -> RateLimitWaitExceeded:
        now = datetime.fromtimestamp(self._wall_clock(), self._tz)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), self._tz)
        needed = (midnight - now).total_seconds()
        unit = "requests" if spent.limit == "daily_requests" else "credits"
        return RateLimitWaitExceeded(
            key,
            f"daily quota for {service} is used up: {spent.used} of {spent.allowed} {unit} on "
            f"{now.date().isoformat()}; it resets at midnight ({self._tz}) in "
            f"{needed / 3600:.1f} h: raise {spent.limit} for {service!r} in {LIMITS_SETTING} "
            "or try again tomorrow",
            limit=spent.limit,
            needed_s=needed,
            max_wait_s=bound,
            setting=LIMITS_SETTING,
        )

    def _refuse(self, error: RateLimitWaitExceeded) -> RateLimitWaitExceeded:
        self._on_event(
            GuardEvent(
                kind="rate_limited",
                subject=error.key,
                message=str(error),
                data={
                    "limit": error.limit,
                    "needed_s": error.needed_s,
                    "max_wait_s": error.max_wait_s,
                },
            )
        )
        return error


class InMemoryRateLimiter(RateLimiter):
    """A rate limiter for one process (all its asyncio tasks)."""

    def __init__(
        self,
        *,
        policies: Mapping[str, RateLimitPolicy] | None = None,
        default: RateLimitPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        timezone: tzinfo = UTC,
        on_event: EventSink = ignore_events,
    ) -> None:
        super().__init__(
            InMemoryLimiterState(),
            policies=policies,
            default=default,
            clock=clock,
            wall_clock=wall_clock,
            sleep=sleep,
            timezone=timezone,
            on_event=on_event,
            # Waiters are woken by whoever frees capacity; these are only a safety net.
            poll_s=30.0,
            handoff_s=30.0,
        )


def _service(key: str) -> str:
    return key.partition(":")[0]
