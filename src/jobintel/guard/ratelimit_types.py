"""Rate-limit policies, the refusal a caller can meet, and what a limiter state answers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jobintel.errors import StrategyUnavailable
from jobintel.guard.ratelimit_window import BoundBy, WindowLimits
from jobintel.providers.base import RateLimitInfo

#: Settings a user changes when a limit refuses them (the lead maps these onto policies).
WAIT_SETTING = "rate_limit_max_wait_s"
LIMITS_SETTING = "rate_limits"


@dataclass(frozen=True, kw_only=True)
class RateLimitPolicy:
    """Limits for one ``service`` or ``service:model`` key; ``None`` means unlimited.

    ``rpm``/``tpm`` hold per key over any ``window_s`` window; ``daily_requests`` and
    ``daily_credits`` hold per service per calendar day, so set them on the service key
    ("firecrawl"). ``margin_s`` widens our window beyond the provider's so that requests
    granted a little apart never land in one provider window because of network jitter.
    """

    rpm: int | None = None
    tpm: int | None = None
    daily_requests: int | None = None
    daily_credits: int | None = None
    max_wait_s: float = 30.0
    window_s: float = 60.0
    margin_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"rate limit {name} must be at least 1 (or unset), got {value}")
        for name in ("daily_requests", "daily_credits"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"rate limit {name} must not be negative, got {value}")
        if not self.max_wait_s >= 0:
            raise ValueError(f"max_wait_s must be zero or more seconds, got {self.max_wait_s}")
        if not self.window_s > 0 or not self.margin_s >= 0:
            raise ValueError("window_s must be positive and margin_s zero or more")

    def limits(self, learned: LearnedLimits | None = None) -> WindowLimits:
        """The window limits, lowered to what the provider says it allows."""
        learned = learned or LearnedLimits()
        return WindowLimits(
            requests=_lowest(self.rpm, learned.requests),
            tokens=_lowest(self.tpm, learned.tokens),
            window_s=self.window_s + self.margin_s,
        )


@dataclass(frozen=True, kw_only=True)
class LearnedLimits:
    """Limits a provider reported in its headers (``x-ratelimit-limit-*``)."""

    requests: int | None = None
    tokens: int | None = None


def _lowest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


class RateLimitWaitExceeded(StrategyUnavailable):
    """A call would have to wait longer than its bound for a rate limit (or a quota)."""

    def __init__(
        self,
        key: str,
        message: str,
        *,
        limit: str,
        needed_s: float,
        max_wait_s: float,
        setting: str,
    ) -> None:
        self.key = key
        self.limit = limit
        self.needed_s = needed_s
        self.max_wait_s = max_wait_s
        self.setting = setting
        super().__init__(message)


def wait_exceeded(
    key: str,
    bound_by: BoundBy,
    limits: WindowLimits,
    *,
    tokens: int,
    needed_s: float,
    max_wait_s: float,
) -> RateLimitWaitExceeded:
    """The refusal for a request whose start is ``needed_s`` away, past ``max_wait_s``."""
    if math.isinf(needed_s):
        return RateLimitWaitExceeded(
            key,
            f"rate limit for {key}: a request of {tokens} tokens can never fit the limit of "
            f"{limits.tokens} tokens per minute: lower max_tokens for this stage, or raise "
            f"tpm for {key!r} in {LIMITS_SETTING} if your provider allows more",
            limit="tpm",
            needed_s=needed_s,
            max_wait_s=max_wait_s,
            setting=LIMITS_SETTING,
        )
    what = {
        "rpm": f"the limit of {limits.requests} requests per minute is in use",
        "tpm": f"the limit of {limits.tokens} tokens per minute is in use "
        f"(this request reserves {tokens})",
        "retry_after": "the provider asked us to back off (HTTP 429 / Retry-After)",
        "none": "callers ahead of this one hold the capacity",
    }[bound_by]
    return RateLimitWaitExceeded(
        key,
        f"rate limit for {key}: {what}; the call would have to wait {needed_s:.1f} s, more "
        f"than the {max_wait_s:g} s allowed: raise {WAIT_SETTING}, run fewer jobs at once, "
        f"or raise the limits for {key!r} in {LIMITS_SETTING} if your provider allows more",
        limit=bound_by,
        needed_s=needed_s,
        max_wait_s=max_wait_s,
        setting=WAIT_SETTING,
    )


@dataclass(frozen=True, kw_only=True)
class Ask:
    """One caller's request to a limiter state: reserve 1 request, ``tokens`` and ``credits``."""

    key: str
    service: str
    day: str
    tokens: int
    credits: int
    daily_requests: int | None
    daily_credits: int | None
    #: Set once the caller holds a place in the queue.
    waiter_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class Granted:
    """Go: the grant's id and time (read under the state's lock, so grants are in order)."""

    grant_id: int
    at: float


@dataclass(frozen=True, kw_only=True)
class Waiting:
    """Not yet: the caller's place in the queue and when it can start."""

    waiter_id: int
    at: float
    bound_by: BoundBy
    limits: WindowLimits


@dataclass(frozen=True, kw_only=True)
class QuotaSpent:
    """A daily quota cannot cover the request; it resets at the next calendar day."""

    limit: str  # "daily_requests" or "daily_credits"
    used: int
    allowed: int


Attempt = Granted | Waiting | QuotaSpent


class LimiterState(Protocol):
    """Where a limiter keeps its log, queue and quotas; each method is one atomic step.

    The methods are synchronous: ``RateLimiter`` runs a shared (SQL) state in a worker
    thread and an in-process state inline.
    """

    #: True when other processes change the state too: waiters then re-check it regularly.
    shared: bool

    def attempt(self, ask: Ask, policy: RateLimitPolicy, clock: Callable[[], float]) -> Attempt:
        """Grant now if the caller is first in line and fits, else queue it (or keep it).

        The time is read from ``clock`` only once the step holds its lock: a grant is never
        dated earlier than one made before it, which the window invariant relies on.
        """
        ...

    def leave(self, key: str, waiter_id: int) -> None:
        """Drop a waiter that gave up or was cancelled."""
        ...

    def settle(
        self, key: str, grant_id: int, tokens: int, *, service: str, day: str, credits_delta: int
    ) -> None:
        """Set a grant's tokens to the actual count and correct the day's credits."""
        ...

    def release(self, key: str, grant_id: int, *, service: str, day: str, credits: int) -> None:
        """Undo a grant whose request was never sent."""
        ...

    def tighten(
        self, key: str, info: RateLimitInfo, policy: RateLimitPolicy, *, as_of: float, now: float
    ) -> None:
        """Adopt what the provider's headers say about limits and remaining capacity."""
        ...

    def penalize(self, key: str, until: float) -> None:
        """Let nobody start on ``key`` before ``until``."""
        ...
