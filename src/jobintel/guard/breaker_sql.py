"""Circuit breakers in the store: one state per key for every process sharing the database.

Transitions run in one write transaction each (``BEGIN IMMEDIATE`` on SQLite, a row lock
on PostgreSQL), so however many processes call, exactly one of them moves a breaker from
open to half-open and holds the probe. A closed breaker is read without any lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update

from jobintel.guard.breaker import CircuitBreaker
from jobintel.guard.breaker_rules import (
    BreakerPolicy,
    BreakerRecord,
    Outcome,
    Refusal,
    Ticket,
    Transition,
    admit,
    apply_outcome,
)
from jobintel.guard.events import EventSink, ignore_events
from jobintel.guard.sql_transactions import insert_ignoring_conflict, locked_transaction
from jobintel.store.limiter_tables import BreakerCallRow, BreakerStateRow

STATES: Table = BreakerStateRow.__table__  # type: ignore[assignment]
CALLS: Table = BreakerCallRow.__table__  # type: ignore[assignment]
_FIELDS = (
    "state",
    "generation",
    "consecutive_failures",
    "opened_at",
    "next_probe_at",
    "probe_id",
    "probe_expires_at",
    "reason",
)


class _SqlCalls:
    """The sliding window of counted outcomes, as rows, inside one transaction."""

    def __init__(self, conn: Connection, key: str) -> None:
        self._conn = conn
        self._key = key

    def add(self, at: float, failed: bool) -> None:
        self._conn.execute(insert(CALLS).values(key=self._key, at=at, failed=failed))

    def stats(self, since: float) -> tuple[int, int]:
        self._conn.execute(delete(CALLS).where(CALLS.c.key == self._key, CALLS.c.at <= since))
        row = self._conn.execute(
            select(func.count(), func.count().filter(CALLS.c.failed)).where(
                CALLS.c.key == self._key
            )
        ).one()
        return int(row[0]), int(row[1])

    def clear(self) -> None:
        self._conn.execute(delete(CALLS).where(CALLS.c.key == self._key))


class SqlBreakerStore:
    """Breaker states and call windows in the store's tables."""

    blocking = True

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def admit(
        self, key: str, policy: BreakerPolicy, now: float
    ) -> tuple[Ticket | Refusal, list[Transition]]:
        with self._engine.connect() as conn:
            row = conn.execute(select(STATES).where(STATES.c.key == key)).one_or_none()
        if row is not None and row.state == "closed":
            # Closed: no write needed. If it opened meanwhile, the ticket's generation is
            # stale and its outcome is simply not counted.
            return Ticket(key=key, generation=row.generation), []
        with locked_transaction(self._engine) as conn:  # also creates a breaker on first use
            rec = self._load(conn, key)
            verdict, moves = admit(key, rec, policy, now)
            self._save(conn, key, rec)
            return verdict, moves

    def record(
        self, ticket: Ticket, outcome: Outcome, policy: BreakerPolicy, now: float
    ) -> list[Transition]:
        with locked_transaction(self._engine) as conn:
            rec = self._load(conn, ticket.key)
            calls = _SqlCalls(conn, ticket.key)
            moves = apply_outcome(rec, ticket, outcome, policy, now, calls)
            if outcome != "ignored":
                calls.stats(now - policy.window_s)  # forget what left the window
            self._save(conn, ticket.key, rec)
            return moves

    def records(self) -> list[tuple[str, BreakerRecord]]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(STATES).order_by(STATES.c.key)).all()
        return [(row.key, _record(row)) for row in rows]

    @staticmethod
    def _load(conn: Connection, key: str) -> BreakerRecord:
        fresh = BreakerRecord()
        insert_ignoring_conflict(
            conn, STATES, {"key": key, **{f: getattr(fresh, f) for f in _FIELDS}}
        )
        row = conn.execute(select(STATES).where(STATES.c.key == key).with_for_update()).one()
        return _record(row)

    @staticmethod
    def _save(conn: Connection, key: str, rec: BreakerRecord) -> None:
        conn.execute(
            update(STATES)
            .where(STATES.c.key == key)
            .values(**{f: getattr(rec, f) for f in _FIELDS})
        )


def _record(row: Any) -> BreakerRecord:
    return BreakerRecord(**{f: getattr(row, f) for f in _FIELDS})


class SqlCircuitBreaker(CircuitBreaker):
    """Circuit breakers shared by every process using the store's database."""

    def __init__(
        self,
        engine: Engine,
        *,
        policies: Mapping[str, BreakerPolicy] | None = None,
        default: BreakerPolicy | None = None,
        clock: Callable[[], float] = time.time,
        on_event: EventSink = ignore_events,
    ) -> None:
        super().__init__(
            SqlBreakerStore(engine),
            policies=policies,
            default=default,
            clock=clock,
            on_event=on_event,
        )


__all__ = ["SqlBreakerStore", "SqlCircuitBreaker"]
