"""The rate limiter's state for one process: logs, queues and daily counters in memory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from jobintel.guard.ratelimit_types import (
    Ask,
    Attempt,
    Granted,
    LearnedLimits,
    QuotaSpent,
    RateLimitPolicy,
    Waiting,
)
from jobintel.guard.ratelimit_window import WindowEntry, phantoms, plan
from jobintel.providers.base import RateLimitInfo


@dataclass(kw_only=True)
class _Key:
    # Grants and reported usage by id, kept in ``at`` order.
    entries: dict[int, WindowEntry] = field(default_factory=dict)
    # Waiters by id, in arrival (FIFO) order: id -> reserved tokens.
    waiters: dict[int, int] = field(default_factory=dict)
    not_before: float = float("-inf")
    learned: LearnedLimits = field(default_factory=LearnedLimits)
    #: Longest window seen, to know which entries can be forgotten.
    keep_s: float = 0.0


class InMemoryLimiterState:
    """Exact and asyncio-safe: every method runs to completion without awaiting."""

    shared = False

    def __init__(self) -> None:
        self._keys: dict[str, _Key] = {}
        self._daily: dict[tuple[str, str], list[int]] = {}
        self._ids = itertools.count(1)

    def attempt(self, ask: Ask, policy: RateLimitPolicy, clock: Callable[[], float]) -> Attempt:
        now = clock()
        state = self._keys.setdefault(ask.key, _Key())
        limits = policy.limits(state.learned)
        # Keep two windows of history: tighten() compares the provider's window with ours.
        state.keep_s = max(state.keep_s, 2 * limits.window_s)
        self._prune(state, now)
        waiter_id = ask.waiter_id
        if waiter_id is not None and waiter_id not in state.waiters:
            waiter_id = None  # left already; treat as new
        queue = list(state.waiters.items())
        if waiter_id is None:
            queue.append((-1, ask.tokens))
        position = next(i for i, (wid, _) in enumerate(queue) if wid in (waiter_id, -1))
        slots = plan(
            state.entries.values(),
            [tokens for _, tokens in queue[: position + 1]],
            limits,
            now=now,
            not_before=state.not_before,
        )
        mine = slots[position]
        # Checked on every attempt, not only at the head of the queue: a caller whose
        # quota is already spent should not wait its turn just to hear so.
        spent = self._quota_refusal(ask)
        if spent is not None:
            if waiter_id is not None:
                del state.waiters[waiter_id]
            return spent
        if position == 0 and mine.at <= now:
            grant_id = next(self._ids)
            state.entries[grant_id] = WindowEntry(at=now, requests=1, tokens=ask.tokens)
            day = self._daily.setdefault((ask.service, ask.day), [0, 0])
            day[0] += 1
            day[1] += ask.credits
            if waiter_id is not None:
                del state.waiters[waiter_id]
            return Granted(grant_id=grant_id, at=now)
        if waiter_id is None:
            waiter_id = next(self._ids)
            state.waiters[waiter_id] = ask.tokens
        return Waiting(waiter_id=waiter_id, at=mine.at, bound_by=mine.bound_by, limits=limits)

    def leave(self, key: str, waiter_id: int) -> None:
        state = self._keys.get(key)
        if state is not None:
            state.waiters.pop(waiter_id, None)

    def settle(
        self, key: str, grant_id: int, tokens: int, *, service: str, day: str, credits_delta: int
    ) -> None:
        state = self._keys.get(key)
        if state is not None and grant_id in state.entries:
            state.entries[grant_id] = replace(state.entries[grant_id], tokens=tokens)
        counters = self._daily.get((service, day))
        if counters is not None:
            counters[1] = max(counters[1] + credits_delta, 0)

    def release(self, key: str, grant_id: int, *, service: str, day: str, credits: int) -> None:
        state = self._keys.get(key)
        if state is not None:
            state.entries.pop(grant_id, None)
        counters = self._daily.get((service, day))
        if counters is not None:
            counters[0] = max(counters[0] - 1, 0)
            counters[1] = max(counters[1] - credits, 0)

    def tighten(
        self, key: str, info: RateLimitInfo, policy: RateLimitPolicy, *, as_of: float, now: float
    ) -> None:
        state = self._keys.setdefault(key, _Key())
        state.learned = LearnedLimits(
            requests=info.limit_requests or state.learned.requests,
            tokens=info.limit_tokens or state.learned.tokens,
        )
        extra = phantoms(
            list(state.entries.values()),
            info,
            policy.limits(state.learned),
            as_of=as_of,
            now=now,
        )
        if extra:
            merged = [*state.entries.items(), *((next(self._ids), e) for e in extra)]
            state.entries = dict(sorted(merged, key=lambda item: item[1].at))

    def penalize(self, key: str, until: float) -> None:
        state = self._keys.setdefault(key, _Key())
        state.not_before = max(state.not_before, until)

    def _quota_refusal(self, ask: Ask) -> QuotaSpent | None:
        used_requests, used_credits = self._daily.get((ask.service, ask.day), (0, 0))
        if ask.daily_requests is not None and used_requests + 1 > ask.daily_requests:
            return QuotaSpent(
                limit="daily_requests", used=used_requests, allowed=ask.daily_requests
            )
        if ask.daily_credits is not None and used_credits + ask.credits > ask.daily_credits:
            return QuotaSpent(limit="daily_credits", used=used_credits, allowed=ask.daily_credits)
        return None

    @staticmethod
    def _prune(state: _Key, now: float) -> None:
        stale = []
        for gid, entry in state.entries.items():  # in ``at`` order: stop at the first live one
            if entry.at + state.keep_s > now:
                break
            stale.append(gid)
        for gid in stale:
            del state.entries[gid]
