"""The rate limiter's arithmetic: a sliding-window log with a FIFO queue of waiters.

Every granted request is an entry ``(at, requests, tokens)`` in a per-key log. A request
may start at time ``t`` only if the entries in ``(t - W, t]`` plus itself stay within the
request and token limits, where ``W`` is the provider's window plus a safety margin.
Checking that window at every grant bounds *every* window of length ``W``: the window
ending at any grant was checked when that grant was made, and no entry is ever dated
later than the moment it was granted.

Waiters queue in arrival order and only the head may start (no overtaking, so a large
request is never starved by small ones). ``plan`` tells each waiter the earliest time it
can start given everyone ahead of it: the wait bound is known up front, and a waiter
sleeps until then instead of polling. Refunds (actual tokens below the reservation) only
ever move those times earlier; penalties and tightening move them later.

Both backends (in-process and SQL) run these same pure functions over their state.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from jobintel.providers.base import RateLimitInfo

#: What decided a waiter's start time.
BoundBy = Literal["none", "rpm", "tpm", "retry_after"]

#: Provider-reported usage we did not cause is modelled as this many entries expiring
#: evenly until the reported reset, like a window that drains oldest-first.
PHANTOM_CHUNKS = 4


@dataclass(frozen=True, kw_only=True)
class WindowEntry:
    """Usage dated ``at``: one granted request, or usage reported by the provider."""

    at: float
    requests: int
    tokens: int


@dataclass(frozen=True, kw_only=True)
class WindowLimits:
    """Effective limits for one key; ``window_s`` already includes the safety margin."""

    requests: int | None
    tokens: int | None
    window_s: float


@dataclass(frozen=True, kw_only=True)
class Slot:
    """When a queued request can start, and which limit decided it."""

    at: float
    bound_by: BoundBy


def plan(
    entries: Iterable[WindowEntry],
    asks: Sequence[int],
    limits: WindowLimits,
    *,
    now: float,
    not_before: float = -math.inf,
) -> list[Slot]:
    """The earliest start of each queued request (its tokens in ``asks``), in queue order.

    ``entries`` are sorted by ``at`` and none is later than ``now``; they are read only when
    a limit applies (an unlimited key never pays for its history). Runs in
    O(len(entries) + len(asks)): start times never decrease along the queue, so the
    window's left edge only moves forward.
    """
    width = limits.window_s
    if limits.requests is None and limits.tokens is None:
        # Unlimited: only a provider's Retry-After can hold anyone back.
        at = max(now, not_before)
        free: BoundBy = "retry_after" if not_before > now else "none"
        return [Slot(at=at, bound_by=free)] * len(asks)
    window: deque[WindowEntry] = deque(e for e in entries if e.at > now - width)
    count = sum(e.requests for e in window)
    used = sum(e.tokens for e in window)
    start = max(now, not_before)
    bound: BoundBy = "retry_after" if not_before > now else "none"
    slots: list[Slot] = []
    for tokens in asks:
        while window and window[0].at + width <= start:
            gone = window.popleft()
            count -= gone.requests
            used -= gone.tokens
        while True:
            over_requests = limits.requests is not None and count + 1 > limits.requests
            over_tokens = limits.tokens is not None and used + tokens > limits.tokens
            if not (over_requests or over_tokens):
                break
            if not window:  # only a request larger than the token limit gets here
                return slots + [Slot(at=math.inf, bound_by="tpm")] * (len(asks) - len(slots))
            gone = window.popleft()
            count -= gone.requests
            used -= gone.tokens
            if gone.at + width > start:
                start = gone.at + width
                bound = "rpm" if over_requests else "tpm"
        window.append(WindowEntry(at=start, requests=1, tokens=tokens))
        count += 1
        used += tokens
        slots.append(Slot(at=start, bound_by=bound))
    return slots


def phantoms(
    entries: Sequence[WindowEntry],
    info: RateLimitInfo,
    limits: WindowLimits,
    *,
    as_of: float,
    now: float,
) -> list[WindowEntry]:
    """Entries for usage the provider reports beyond what our log holds.

    The provider's ``limit - remaining`` is what it counted in its window when it answered
    our request, which started at ``as_of``. Everything we granted from one (widened)
    window before ``as_of`` until ``now`` may be part of that count, so all of it is
    subtracted: jitter and reordering then never look like foreign usage. What is left is
    someone else's (another machine, a console session), and stays counted until the
    provider's reset time.
    """
    start = as_of - limits.window_s
    ours = [e for e in entries if start < e.at <= now]
    ours_requests = sum(e.requests for e in ours)
    ours_tokens = sum(e.tokens for e in ours)
    extra: list[WindowEntry] = []
    limit_requests = info.limit_requests or limits.requests
    if limit_requests is not None and info.remaining_requests is not None:
        surplus = limit_requests - info.remaining_requests - ours_requests
        extra += _spread(surplus, info.reset_requests_s, limits, now=now, tokens=False)
    limit_tokens = info.limit_tokens or limits.tokens
    if limit_tokens is not None and info.remaining_tokens is not None:
        surplus = limit_tokens - info.remaining_tokens - ours_tokens
        extra += _spread(surplus, info.reset_tokens_s, limits, now=now, tokens=True)
    return extra


def _spread(
    amount: int, reset_s: float | None, limits: WindowLimits, *, now: float, tokens: bool
) -> list[WindowEntry]:
    if amount <= 0:
        return []
    reset = limits.window_s if reset_s is None else min(max(reset_s, 0.0), limits.window_s)
    chunks = min(PHANTOM_CHUNKS, amount)
    out = []
    for i in range(1, chunks + 1):
        share = amount * i // chunks - amount * (i - 1) // chunks
        # Dated so that it leaves our window i/chunks of the way to the reset.
        at = now + reset * i / chunks - limits.window_s
        out.append(
            WindowEntry(at=at, requests=0 if tokens else share, tokens=share if tokens else 0)
        )
    return out
