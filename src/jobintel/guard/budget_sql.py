"""Budgets shared through the store: SQLite for processes on one machine, PostgreSQL for many.

Every operation is one short transaction that first takes a database-wide budget lock
(``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL), so
reservations from any number of tasks, processes and machines are checked and written
one at a time against the same totals. A single lock keeps the logic identical on both
databases and cannot deadlock; a transaction holds it for about half a millisecond,
against the seconds a model call takes. The blocking database work runs in a
worker thread (``asyncio.to_thread``), so the async methods never block the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)

from jobintel.guard.budget import DEFAULT_RESERVATION_TTL_S
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
    BudgetExceeded,
    BudgetScope,
    BudgetStatus,
    Reservation,
    process_holder,
)
from jobintel.guard.events import EventSink, GuardEvent, ignore_events
from jobintel.guard.sql_transactions import locked_transaction
from jobintel.store.budget_tables import BudgetReservationRow, BudgetScopeRow

SCOPES = cast(Table, BudgetScopeRow.__table__)
HOLDS = cast(Table, BudgetReservationRow.__table__)
_TOTALS = (
    "kind",
    "limit_usd",
    "limit_tokens",
    "spent_usd",
    "spent_tokens",
    "reserved_usd",
    "reserved_tokens",
    "thresholds_fired",
    "updated_at",
)
# Built once: compiling statements costs more than running them on SQLite.
_SELECT_SCOPES = select(SCOPES).where(SCOPES.c.key.in_(bindparam("keys", expanding=True)))
_INSERT_SCOPE = insert(SCOPES)
_UPDATE_SCOPE = (
    update(SCOPES)
    .where(SCOPES.c.key == bindparam("b_key"))
    .values({name: bindparam(f"b_{name}", type_=SCOPES.c[name].type) for name in _TOTALS})
)
_SELECT_HOLD = select(HOLDS).where(HOLDS.c.id == bindparam("b_id"))
_INSERT_HOLD = insert(HOLDS)
_DELETE_HOLD = delete(HOLDS).where(HOLDS.c.id == bindparam("b_id"))
_SELECT_EXPIRED = select(HOLDS).where(
    HOLDS.c.state == "open", HOLDS.c.expires_at <= bindparam("now")
)
_MARK_EXPIRED = update(HOLDS).where(HOLDS.c.id == bindparam("b_id")).values(state="expired")
_FORGET_EXPIRED = delete(HOLDS).where(
    HOLDS.c.state == "expired", HOLDS.c.expires_at <= bindparam("before")
)
#: How often ``reserve`` looks for expired holds (explicit ``reclaim_expired`` always does).
RECLAIM_EVERY_S = 1.0
#: Arbitrary but fixed: the advisory lock every jobintel budget transaction takes on PostgreSQL.
PG_LOCK_KEY = 0x6A6F6269_6E746C42  # "jobintlB"


class SqlBudgets:
    """``Budgets`` persisted in the store's database; survives restarts, shared by processes.

    ``clock`` is wall time shared by everyone using the database (reservation expiry is
    compared across processes), so the default is ``time.time``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        on_event: EventSink = ignore_events,
        clock: Callable[[], float] = time.time,
        reservation_ttl_s: float = DEFAULT_RESERVATION_TTL_S,
    ) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(
                f"budgets need SQLite or PostgreSQL, not {engine.dialect.name}: "
                "set JOBINTEL_DATABASE_URL to a sqlite:/// or postgresql:// URL"
            )
        if reservation_ttl_s <= 0:
            raise ValueError(f"reservation_ttl_s must be positive, got {reservation_ttl_s}")
        self._engine = engine
        self._on_event = on_event
        self._clock = clock
        self._ttl = reservation_ttl_s
        # Threads of this process queue here rather than in SQLite's sleeping busy handler.
        self._local = threading.Lock()
        self._next_reclaim = float("-inf")

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
        who = holder or process_holder()
        work = asyncio.ensure_future(
            asyncio.to_thread(self._reserve_sync, list(scopes), amount, tokens, who)
        )
        try:
            outcome, events = await asyncio.shield(work)
        except asyncio.CancelledError:
            # The thread finishes regardless; give back whatever it managed to hold.
            await self._undo(work)
            raise
        self._emit(events)
        if isinstance(outcome, BudgetExceeded):
            raise outcome
        return outcome

    async def settle(self, reservation: Reservation, actual_usd: Decimal, tokens: int = 0) -> None:
        await self._finish(reservation, to_usd(actual_usd, "actual_usd"), tokens)

    async def release(
        self, reservation: Reservation, *, actual_usd: Decimal = Decimal(0), tokens: int = 0
    ) -> None:
        await self._finish(reservation, to_usd(actual_usd, "actual_usd"), tokens)

    async def reclaim_expired(self, now: float | None = None) -> int:
        events = await asyncio.to_thread(self._reclaim_sync, now)
        self._emit(events)
        return len(events)

    async def status(
        self, *, kinds: Iterable[str] | None = None, limit: int | None = None
    ) -> list[BudgetStatus]:
        return await asyncio.to_thread(
            self._status_sync, None if kinds is None else list(kinds), limit
        )

    # -- the work, one transaction each, on a worker thread ---------------------------

    def _reserve_sync(
        self, scopes: list[BudgetScope], amount: Decimal, tokens: int, holder: str
    ) -> tuple[Reservation | BudgetExceeded, list[GuardEvent]]:
        # A single call's own limit needs no database.
        if refusal := first_refusal([s for s in scopes if s.kind == "call"], {}, amount, tokens):
            return refusal, [exceeded_event(refusal)]
        tracked = dedupe_tracked(scopes)
        now = self._clock()
        with self._transaction() as conn:
            events: list[GuardEvent] = []
            if now >= self._next_reclaim:  # a dead holder's hold may linger a second longer
                events = self._reclaim(conn, now)
                self._next_reclaim = now + RECLAIM_EVERY_S
            totals = self._load(conn, [s.key for s in tracked])
            fresh = {s.key for s in tracked if s.key not in totals}
            changed = set(fresh)
            for scope in tracked:
                if scope.key in fresh:
                    totals[scope.key] = ScopeTotals.fresh(scope)
                elif totals[scope.key].adopt_limits(scope):
                    changed.add(scope.key)
            refusal = first_refusal(tracked, totals, amount, tokens)
            outcome: Reservation | BudgetExceeded
            if refusal is None:
                outcome = Reservation(
                    id=secrets.token_hex(16),
                    scopes=tuple(scopes),
                    amount_usd=amount,
                    tokens=tokens,
                    holder=holder,
                    created_at=now,
                    expires_at=now + self._ttl,
                )
                for scope in tracked:
                    apply_reserve(totals[scope.key], amount, tokens)
                    changed.add(scope.key)
                conn.execute(
                    _INSERT_HOLD,
                    {
                        "id": outcome.id,
                        "scope_keys": list(outcome.tracked_keys),
                        "amount_usd": amount,
                        "tokens": tokens,
                        "holder": holder[:200],
                        "state": "open",
                        "created_at": _at(now),
                        "expires_at": outcome.expires_at,
                    },
                )
            else:
                outcome = refusal
                events.append(exceeded_event(refusal))
            self._save(conn, {k: totals[k] for k in changed}, now, fresh=fresh)
        return outcome, events

    def _finish_sync(
        self, reservation: Reservation, actual: Decimal, tokens: int
    ) -> list[GuardEvent]:
        now = self._clock()
        events: list[GuardEvent] = []
        with self._transaction() as conn:
            hold = conn.execute(_SELECT_HOLD, {"b_id": reservation.id}).one_or_none()
            if hold is None:
                return events  # already settled or released: never charge twice
            totals = self._load(conn, list(hold.scope_keys))
            for key, scope_totals in totals.items():
                if hold.state == "open":
                    apply_release(scope_totals, hold.amount_usd, hold.tokens)
                apply_settle(scope_totals, actual, tokens)
                events += threshold_events(key, scope_totals)
            self._save(conn, totals, now)
            conn.execute(_DELETE_HOLD, {"b_id": reservation.id})
        overrun = overrun_event(reservation, actual, tokens)
        return [overrun, *events] if overrun else events

    def _reclaim_sync(self, now: float | None) -> list[GuardEvent]:
        with self._transaction() as conn:
            return self._reclaim(conn, self._clock() if now is None else now)

    def _status_sync(self, kinds: list[str] | None, limit: int | None) -> list[BudgetStatus]:
        query = select(SCOPES).order_by(SCOPES.c.updated_at.desc(), SCOPES.c.key)
        if kinds is not None:
            query = query.where(SCOPES.c.kind.in_(kinds))
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            return [status_of(row.key, _totals(row)) for row in conn.execute(query)]

    # -- helpers, inside a locked transaction -----------------------------------------

    def _reclaim(self, conn: Connection, now: float) -> list[GuardEvent]:
        expired = conn.execute(_SELECT_EXPIRED, {"now": now}).all()
        events: list[GuardEvent] = []
        if expired:
            totals = self._load(conn, sorted({k for hold in expired for k in hold.scope_keys}))
            for hold in expired:
                for key in hold.scope_keys:
                    if key in totals:
                        apply_release(totals[key], hold.amount_usd, hold.tokens)
                events.append(
                    expired_event(
                        reservation_id=hold.id,
                        holder=hold.holder,
                        amount_usd=hold.amount_usd,
                        tokens=hold.tokens,
                        keys=list(hold.scope_keys),
                    )
                )
            self._save(conn, totals, now)
            conn.execute(_MARK_EXPIRED, [{"b_id": hold.id} for hold in expired])
            # A holder that has not reported within another TTL never will.
            conn.execute(_FORGET_EXPIRED, {"before": now - self._ttl})
        return events

    def _load(self, conn: Connection, keys: Sequence[str]) -> dict[str, ScopeTotals]:
        if not keys:
            return {}
        rows = {row.key: _totals(row) for row in conn.execute(_SELECT_SCOPES, {"keys": keys})}
        return {key: rows[key] for key in dict.fromkeys(keys) if key in rows}

    def _save(
        self,
        conn: Connection,
        totals: dict[str, ScopeTotals],
        now: float,
        *,
        fresh: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """Write totals back: one batched insert for new scopes, one update for the rest."""
        at = _at(now)
        values = {key: _row_values(t, at) for key, t in totals.items()}
        if new := [{"key": key, **v} for key, v in values.items() if key in fresh]:
            conn.execute(_INSERT_SCOPE, new)
        if old := [
            {"b_key": key, **{f"b_{name}": v[name] for name in _TOTALS}}
            for key, v in values.items()
            if key not in fresh
        ]:
            conn.execute(_UPDATE_SCOPE, old)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        # Two readers that both saw room in a budget must not both go on to spend it.
        with self._local, locked_transaction(self._engine) as conn:
            if conn.dialect.name != "sqlite":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            yield conn

    async def _finish(self, reservation: Reservation, actual: Decimal, tokens: int) -> None:
        check_tokens(tokens)
        # Shielded: a cancelled caller must not leave the hold to expire instead of settling.
        work = asyncio.ensure_future(
            asyncio.to_thread(self._finish_sync, reservation, actual, tokens)
        )
        try:
            events = await asyncio.shield(work)
        except asyncio.CancelledError:
            await asyncio.wait([work])
            raise
        self._emit(events)

    async def _undo(self, work: asyncio.Future[tuple[Reservation | BudgetExceeded, Any]]) -> None:
        try:
            outcome, events = await work
        except Exception:
            return
        self._emit(events)
        if isinstance(outcome, Reservation):
            self._emit(await asyncio.to_thread(self._finish_sync, outcome, Decimal(0), 0))

    def _emit(self, events: list[GuardEvent]) -> None:
        for event in events:
            self._on_event(event)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _row_values(totals: ScopeTotals, at: datetime) -> dict[str, Any]:
    return {
        "kind": totals.kind,
        "limit_usd": totals.limit_usd,
        "limit_tokens": totals.limit_tokens,
        "spent_usd": totals.spent_usd,
        "spent_tokens": totals.spent_tokens,
        "reserved_usd": totals.reserved_usd,
        "reserved_tokens": totals.reserved_tokens,
        "thresholds_fired": totals.fired,
        "updated_at": at,
    }


def _totals(row: Any) -> ScopeTotals:
    return ScopeTotals(
        kind=row.kind,
        limit_usd=row.limit_usd,
        limit_tokens=row.limit_tokens,
        spent_usd=row.spent_usd,
        spent_tokens=row.spent_tokens,
        reserved_usd=row.reserved_usd,
        reserved_tokens=row.reserved_tokens,
        fired=row.thresholds_fired,
    )
