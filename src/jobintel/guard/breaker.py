"""Circuit breakers per service (or service:model): fail fast while a provider is down.

``allow(key)`` returns a ``Ticket`` or raises ``CircuitOpen``; after the call,
``record(ticket, classify(exc))`` reports what happened. While open, calls fail at once
and the stage degrades to its deterministic strategy; after the cool-down exactly one
caller probes the service, and its outcome closes or re-opens the breaker. Transitions
are ``GuardEvent(kind="breaker_transition")``.

``InMemoryCircuitBreaker`` serves one process; ``jobintel.guard.breaker_sql
.SqlCircuitBreaker`` shares breakers between processes (one probe across all of them).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeVar

from jobintel.errors import StrategyUnavailable
from jobintel.guard.breaker_rules import (
    BreakerPolicy,
    BreakerRecord,
    BreakerStateName,
    Outcome,
    Refusal,
    Ticket,
    Transition,
    admit,
    apply_outcome,
    classify,
)
from jobintel.guard.events import EventSink, GuardEvent, ignore_events

T = TypeVar("T")
Severity = Literal["info", "warning", "critical"]

__all__ = [
    "BreakerPolicy",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "InMemoryCircuitBreaker",
    "Outcome",
    "Ticket",
    "classify",
]


@dataclass(frozen=True, kw_only=True)
class BreakerState:
    """One breaker as a health page shows it."""

    key: str
    state: BreakerStateName
    failures: int  # consecutive failures counted so far
    opened_at: datetime | None
    next_probe_at: datetime | None
    reason: str = ""


class CircuitOpen(StrategyUnavailable):
    """The breaker for a service refuses calls for now."""

    def __init__(
        self,
        key: str,
        *,
        state: BreakerStateName,
        opened_at: datetime | None,
        next_probe_at: datetime | None,
        reason: str,
        probe_in_s: float | None,
    ) -> None:
        self.key = key
        self.state = state
        self.opened_at = opened_at
        self.next_probe_at = next_probe_at
        self.reason = reason
        since = f"open since {_hhmmss(opened_at)}" if opened_at else "open"
        why = f" after {reason}" if reason else ""
        if state == "half_open":
            when = "a probe call is testing it now; other calls fail fast until it succeeds"
        else:
            when = (
                f"the next probe call is at {_hhmmss(next_probe_at)} (in {probe_in_s or 0:.0f} s)"
            )
        super().__init__(
            f"circuit breaker for {key} is {since}{why}: {when}; the stage falls back to its "
            "deterministic strategy meanwhile (tune the breaker policy for this service if "
            "it opens too eagerly)"
        )


class BreakerStore(Protocol):
    """Where breakers live; each method is one atomic step. ``CircuitBreaker`` holds the
    policies, the clock and the event sink."""

    #: True when methods do blocking database work (they then run in a worker thread).
    blocking: bool

    def admit(
        self, key: str, policy: BreakerPolicy, now: float
    ) -> tuple[Ticket | Refusal, list[Transition]]: ...

    def record(
        self, ticket: Ticket, outcome: Outcome, policy: BreakerPolicy, now: float
    ) -> list[Transition]: ...

    def records(self) -> list[tuple[str, BreakerRecord]]: ...


class CircuitBreaker:
    """Per-key breakers over a store; use ``InMemoryCircuitBreaker`` or ``SqlCircuitBreaker``.

    ``policies`` maps ``service:model`` or ``service`` keys; a key without its own policy
    uses its service's, then ``default``.
    """

    def __init__(
        self,
        store: BreakerStore,
        *,
        policies: Mapping[str, BreakerPolicy] | None = None,
        default: BreakerPolicy | None = None,
        clock: Callable[[], float],
        on_event: EventSink = ignore_events,
    ) -> None:
        self._store = store
        self._policies = dict(policies or {})
        self._default = default or BreakerPolicy()
        self._clock = clock
        self._on_event = on_event

    def policy_for(self, key: str) -> BreakerPolicy:
        found = self._policies.get(key) or self._policies.get(key.partition(":")[0])
        return found or self._default

    def classify(self, key: str, exc: BaseException | None) -> Outcome:
        """``classify`` under ``key``'s policy."""
        return classify(exc, self.policy_for(key))

    async def allow(self, key: str) -> Ticket:
        """A ticket for one call on ``key``, or ``CircuitOpen`` when it must fail fast."""
        now = self._clock()
        verdict, moves = await self._run(self._store.admit, key, self.policy_for(key), now)
        self._emit(moves)
        if isinstance(verdict, Ticket):
            return verdict
        wall = self._wall_converter()
        raise CircuitOpen(
            key,
            state=verdict.state,
            opened_at=wall(verdict.opened_at),
            next_probe_at=wall(verdict.next_probe_at),
            reason=verdict.reason,
            probe_in_s=None if verdict.next_probe_at is None else verdict.next_probe_at - now,
        )

    async def record(self, ticket: Ticket, outcome: Outcome) -> None:
        """Report how the call on ``ticket`` went ("ignored" also frees an unused probe)."""
        if outcome == "ignored" and not ticket.probe:
            return
        policy = self.policy_for(ticket.key)
        moves = await self._run(self._store.record, ticket, outcome, policy, self._clock())
        self._emit(moves)

    @asynccontextmanager
    async def attempt(self, key: str) -> AsyncIterator[Ticket]:
        """``allow`` on entry; on exit ``record`` the outcome ``classify`` gives the exception.

        A cancelled call is recorded as "ignored", which frees the half-open probe slot.
        """
        ticket = await self.allow(key)
        try:
            yield ticket
        except BaseException as exc:
            await self.record(ticket, self.classify(key, exc))
            raise
        await self.record(ticket, "success")

    async def snapshot(self) -> list[BreakerState]:
        """Every breaker that has seen a call, for health pages."""
        records = await self._run(self._store.records)
        wall = self._wall_converter()
        return [
            BreakerState(
                key=key,
                state=rec.state,
                failures=rec.consecutive_failures,
                opened_at=wall(rec.opened_at),
                next_probe_at=wall(rec.next_probe_at),
                reason=rec.reason,
            )
            for key, rec in sorted(records, key=lambda item: item[0])
        ]

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        if self._store.blocking:
            return await asyncio.to_thread(fn, *args)
        return fn(*args)

    def _wall_converter(self) -> Callable[[float | None], datetime | None]:
        """Turns times on our clock (monotonic by default) into UTC datetimes."""
        offset = time.time() - self._clock()

        def wall(at: float | None) -> datetime | None:
            return None if at is None else datetime.fromtimestamp(at + offset, UTC)

        return wall

    def _emit(self, moves: list[Transition]) -> None:
        for move in moves:
            severity: Severity = "critical" if move.after == "open" else "info"
            self._on_event(
                GuardEvent(
                    kind="breaker_transition",
                    subject=move.key,
                    message=f"circuit breaker for {move.key}: {move.before} -> {move.after} "
                    f"({move.reason})",
                    severity=severity,
                    data={"from": move.before, "to": move.after, "reason": move.reason},
                )
            )


class _Calls:
    """Recent counted outcomes of one key, oldest first."""

    def __init__(self) -> None:
        self.items: deque[tuple[float, bool]] = deque()
        self.failed = 0  # kept in step with ``items`` so stats() is O(expired), not O(window)

    def add(self, at: float, failed: bool) -> None:
        self.items.append((at, failed))
        self.failed += failed

    def stats(self, since: float) -> tuple[int, int]:
        while self.items and self.items[0][0] <= since:
            _, failed = self.items.popleft()
            self.failed -= failed
        return len(self.items), self.failed

    def clear(self) -> None:
        self.items.clear()
        self.failed = 0


class InMemoryBreakerStore:
    """Breakers of one process; a lock makes each step atomic for threads too."""

    blocking = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, BreakerRecord] = {}
        self._calls: dict[str, _Calls] = {}

    def admit(
        self, key: str, policy: BreakerPolicy, now: float
    ) -> tuple[Ticket | Refusal, list[Transition]]:
        with self._lock:
            return admit(key, self._records.setdefault(key, BreakerRecord()), policy, now)

    def record(
        self, ticket: Ticket, outcome: Outcome, policy: BreakerPolicy, now: float
    ) -> list[Transition]:
        with self._lock:
            rec = self._records.setdefault(ticket.key, BreakerRecord())
            calls = self._calls.setdefault(ticket.key, _Calls())
            moves = apply_outcome(rec, ticket, outcome, policy, now, calls)
            calls.stats(now - policy.window_s)  # forget what left the window
            return moves

    def records(self) -> list[tuple[str, BreakerRecord]]:
        with self._lock:
            return [(key, BreakerRecord(**vars(rec))) for key, rec in self._records.items()]


class InMemoryCircuitBreaker(CircuitBreaker):
    """Circuit breakers for one process."""

    def __init__(
        self,
        *,
        policies: Mapping[str, BreakerPolicy] | None = None,
        default: BreakerPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_event: EventSink = ignore_events,
    ) -> None:
        super().__init__(
            InMemoryBreakerStore(),
            policies=policies,
            default=default,
            clock=clock,
            on_event=on_event,
        )


def _hhmmss(at: datetime | None) -> str:
    return "?" if at is None else at.strftime("%H:%M:%S UTC")
