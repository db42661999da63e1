"""Budgets that cannot be overshot: reserve the worst case first, settle to the actual cost.

Before a call, ``Budgets.reserve`` holds a worst-case amount against every scope that
applies (call, stage, job, run, candidate, calendar day and month) at once; if any scope
cannot cover it, nothing is held and ``BudgetExceeded`` names that scope. After the call
``settle`` turns the hold into the actual spend and frees the rest, so for every scope
``spent + reserved <= limit`` however many calls run at once.

``InMemoryBudgets`` serves one process; ``jobintel.guard.budget_sql.SqlBudgets`` shares
budgets through the store (SQLite for one machine, PostgreSQL for several).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Protocol

from jobintel.guard.budget_rules import (
    ScopeTotals,
    apply_release,
    apply_reserve,
    apply_settle,
    check_tokens,
    dedupe_tracked,
    exceeded_event,
    expired_event,
    first_refusal,
    overrun_event,
    status_of,
    threshold_events,
    to_usd,
)
from jobintel.guard.budget_types import (
    SCOPE_KINDS,
    BudgetExceeded,
    BudgetLimits,
    BudgetScope,
    BudgetStatus,
    Reservation,
    ScopeKind,
    process_holder,
    scopes_for,
)
from jobintel.guard.events import EventSink, GuardEvent, ignore_events

__all__ = [
    "SCOPE_KINDS",
    "BudgetExceeded",
    "BudgetLimits",
    "BudgetScope",
    "BudgetStatus",
    "Budgets",
    "InMemoryBudgets",
    "Reservation",
    "ScopeKind",
    "process_holder",
    "scopes_for",
]

#: How long a reservation may stay open before it counts as abandoned by a crashed
#: holder. It must exceed the longest single attempt (the gateway's per-call deadline).
DEFAULT_RESERVATION_TTL_S = 600.0


class Budgets(Protocol):
    """Reservations against budget scopes; both backends implement this."""

    async def reserve(
        self,
        scopes: Sequence[BudgetScope],
        amount_usd: Decimal,
        tokens: int = 0,
        *,
        holder: str | None = None,
    ) -> Reservation:
        """Hold ``amount_usd``/``tokens`` against every scope, or raise ``BudgetExceeded``."""
        ...

    async def settle(self, reservation: Reservation, actual_usd: Decimal, tokens: int = 0) -> None:
        """Record the actual spend and free the rest of the hold (idempotent)."""
        ...

    async def release(
        self, reservation: Reservation, *, actual_usd: Decimal = Decimal(0), tokens: int = 0
    ) -> None:
        """Free the hold after an error or cancellation, keeping any partial spend known."""
        ...

    async def reclaim_expired(self, now: float | None = None) -> int:
        """Free the holds of holders that never came back; returns how many."""
        ...

    async def status(
        self, *, kinds: Iterable[str] | None = None, limit: int | None = None
    ) -> list[BudgetStatus]:
        """Every tracked scope's limits and totals, most recently used first."""
        ...


class InMemoryBudgets:
    """Budgets for one process: exact, safe across asyncio tasks and threads.

    A plain ``threading.Lock`` guards the state: no operation awaits while holding it,
    so it never blocks the event loop for longer than a few dictionary updates, and it
    also covers callers on other threads (which an ``asyncio.Lock`` would not).
    """

    def __init__(
        self,
        *,
        on_event: EventSink = ignore_events,
        clock: Callable[[], float] = time.monotonic,
        reservation_ttl_s: float = DEFAULT_RESERVATION_TTL_S,
    ) -> None:
        if reservation_ttl_s <= 0:
            raise ValueError(f"reservation_ttl_s must be positive, got {reservation_ttl_s}")
        self._on_event = on_event
        self._clock = clock
        self._ttl = reservation_ttl_s
        self._lock = threading.Lock()
        self._scopes: dict[str, ScopeTotals] = {}
        self._open: dict[str, Reservation] = {}
        # Reclaimed holds whose holder may still report a late actual cost.
        self._expired: dict[str, Reservation] = {}

    async def reserve(
        self,
        scopes: Sequence[BudgetScope],
        amount_usd: Decimal,
        tokens: int = 0,
        *,
        holder: str | None = None,
    ) -> Reservation:
        amount = to_usd(amount_usd, "amount_usd")
        check_tokens(tokens)
        events: list[GuardEvent] = []
        refusal: BudgetExceeded | None = None
        with self._lock:
            now = self._clock()
            events += self._reclaim_locked(now)
            tracked = dedupe_tracked(scopes)
            for scope in tracked:
                totals = self._scopes.get(scope.key)
                if totals is None:
                    totals = self._scopes[scope.key] = ScopeTotals.fresh(scope)
                else:
                    totals.adopt_limits(scope)
            refusal = first_refusal(scopes, self._scopes, amount, tokens)
            if refusal is None:
                reservation = Reservation(
                    id=secrets.token_hex(16),
                    scopes=tuple(scopes),
                    amount_usd=amount,
                    tokens=tokens,
                    holder=holder or process_holder(),
                    created_at=now,
                    expires_at=now + self._ttl,
                )
                for scope in tracked:
                    apply_reserve(self._scopes[scope.key], amount, tokens)
                self._open[reservation.id] = reservation
        if refusal is not None:
            events.append(exceeded_event(refusal))
        self._emit(events)
        if refusal is not None:
            raise refusal
        return reservation

    async def settle(self, reservation: Reservation, actual_usd: Decimal, tokens: int = 0) -> None:
        self._finish(reservation, to_usd(actual_usd, "actual_usd"), tokens)

    async def release(
        self, reservation: Reservation, *, actual_usd: Decimal = Decimal(0), tokens: int = 0
    ) -> None:
        self._finish(reservation, to_usd(actual_usd, "actual_usd"), tokens)

    async def reclaim_expired(self, now: float | None = None) -> int:
        with self._lock:
            events = self._reclaim_locked(self._clock() if now is None else now)
        self._emit(events)
        return len(events)

    async def status(
        self, *, kinds: Iterable[str] | None = None, limit: int | None = None
    ) -> list[BudgetStatus]:
        wanted = None if kinds is None else set(kinds)
        with self._lock:
            rows = [
                status_of(key, totals)
                for key, totals in reversed(self._scopes.items())
                if wanted is None or totals.kind in wanted
            ]
        return rows if limit is None else rows[:limit]

    def _finish(self, reservation: Reservation, actual: Decimal, tokens: int) -> None:
        check_tokens(tokens)
        events: list[GuardEvent] = []
        with self._lock:
            held = self._open.pop(reservation.id, None)
            source = held or self._expired.pop(reservation.id, None)
            if source is None:
                return  # already settled or released: never charge twice
            for key in source.tracked_keys:
                totals = self._scopes.get(key)
                if totals is None:
                    continue
                if held is not None:
                    apply_release(totals, held.amount_usd, held.tokens)
                apply_settle(totals, actual, tokens)
                # Keep recently used scopes last so status() lists them first.
                self._scopes[key] = self._scopes.pop(key)
                events += threshold_events(key, totals)
        overrun = overrun_event(source, actual, tokens)
        self._emit([overrun, *events] if overrun else events)

    def _reclaim_locked(self, now: float) -> list[GuardEvent]:
        events: list[GuardEvent] = []
        for reservation in [r for r in self._open.values() if r.expires_at <= now]:
            del self._open[reservation.id]
            self._expired[reservation.id] = reservation
            for key in reservation.tracked_keys:
                totals = self._scopes.get(key)
                if totals is not None:
                    apply_release(totals, reservation.amount_usd, reservation.tokens)
            events.append(
                expired_event(
                    reservation_id=reservation.id,
                    holder=reservation.holder,
                    amount_usd=reservation.amount_usd,
                    tokens=reservation.tokens,
                    keys=reservation.tracked_keys,
                )
            )
        # A holder that has not reported within another TTL never will.
        for rid in [r.id for r in self._expired.values() if r.expires_at + self._ttl <= now]:
            del self._expired[rid]
        return events

    def _emit(self, events: list[GuardEvent]) -> None:
        for event in events:
            self._on_event(event)
