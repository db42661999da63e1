"""The rate limiter's state in the store, shared by processes (SQLite) or machines (Postgres).

Each step is one short write transaction: ``BEGIN IMMEDIATE`` on SQLite (the database
lock is taken up front, so two processes never both read the old state), and a row lock
on the key (``SELECT ... FOR UPDATE``) on PostgreSQL. Inside it the same pure functions
as the in-process state decide (``ratelimit_window``). Methods are synchronous;
``SqlRateLimiter`` runs them in a worker thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, Table, delete, insert, select, update

from jobintel.guard.events import EventSink, ignore_events
from jobintel.guard.ratelimit import RateLimiter, Sleep
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
from jobintel.guard.sql_transactions import insert_ignoring_conflict, locked_transaction
from jobintel.providers.base import RateLimitInfo
from jobintel.store.limiter_tables import (
    RateLimitDailyRow,
    RateLimitGrantRow,
    RateLimitKeyRow,
    RateLimitWaiterRow,
)

KEYS: Table = RateLimitKeyRow.__table__  # type: ignore[assignment]
GRANTS: Table = RateLimitGrantRow.__table__  # type: ignore[assignment]
WAITERS: Table = RateLimitWaiterRow.__table__  # type: ignore[assignment]
DAILY: Table = RateLimitDailyRow.__table__  # type: ignore[assignment]

#: A waiter re-checks the state at least every poll interval (0.5 s); one that has not
#: for this long belongs to a process that died, and loses its place in the queue.
WAITER_TTL_S = 10.0


class SqlLimiterState:
    """Rate-limit logs, queues and daily counters in the store's tables."""

    shared = True

    def __init__(self, engine: Engine, *, waiter_ttl_s: float = WAITER_TTL_S) -> None:
        self._engine = engine
        self._ttl = waiter_ttl_s

    def attempt(self, ask: Ask, policy: RateLimitPolicy, clock: Callable[[], float]) -> Attempt:
        with locked_transaction(self._engine) as conn:
            key_row = self._lock_key(conn, ask.key)
            now = clock()  # under the lock: grants are dated in the order they are made
            limits = policy.limits(_learned(key_row))
            conn.execute(
                delete(GRANTS).where(
                    GRANTS.c.key == ask.key, GRANTS.c.at <= now - 2 * limits.window_s
                )
            )
            conn.execute(
                delete(WAITERS).where(WAITERS.c.key == ask.key, WAITERS.c.expires_at < now)
            )
            queue = [
                (row.id, row.tokens)
                for row in conn.execute(
                    select(WAITERS.c.id, WAITERS.c.tokens)
                    .where(WAITERS.c.key == ask.key)
                    .order_by(WAITERS.c.id)
                )
            ]
            waiter_id = ask.waiter_id
            if waiter_id is not None and all(wid != waiter_id for wid, _ in queue):
                # Our place expired while this process was stalled: take it back.
                conn.execute(
                    insert(WAITERS).values(
                        id=waiter_id, key=ask.key, tokens=ask.tokens, expires_at=now + self._ttl
                    )
                )
                queue = sorted([*queue, (waiter_id, ask.tokens)])
            if waiter_id is None:
                queue.append((-1, ask.tokens))
            position = next(i for i, (wid, _) in enumerate(queue) if wid in (waiter_id, -1))
            slots = plan(
                self._entries(conn, ask.key, after=now - limits.window_s),
                [tokens for _, tokens in queue[: position + 1]],
                limits,
                now=now,
                not_before=key_row.not_before,
            )
            mine = slots[position]
            # On every attempt, not only at the head: a spent quota is said at once.
            spent = self._quota_refusal(conn, ask)
            if spent is not None:
                if waiter_id is not None:
                    conn.execute(delete(WAITERS).where(WAITERS.c.id == waiter_id))
                return spent
            if position == 0 and mine.at <= now:
                return self._grant(conn, ask, now)
            if waiter_id is None:
                inserted = conn.execute(
                    insert(WAITERS).values(
                        key=ask.key, tokens=ask.tokens, expires_at=now + self._ttl
                    )
                )
                waiter_id = _new_id(inserted)
            else:
                conn.execute(
                    update(WAITERS)
                    .where(WAITERS.c.id == waiter_id)
                    .values(expires_at=now + self._ttl)
                )
            return Waiting(waiter_id=waiter_id, at=mine.at, bound_by=mine.bound_by, limits=limits)

    def leave(self, key: str, waiter_id: int) -> None:
        with locked_transaction(self._engine) as conn:
            conn.execute(delete(WAITERS).where(WAITERS.c.id == waiter_id))

    def settle(
        self, key: str, grant_id: int, tokens: int, *, service: str, day: str, credits_delta: int
    ) -> None:
        with locked_transaction(self._engine) as conn:
            conn.execute(update(GRANTS).where(GRANTS.c.id == grant_id).values(tokens=tokens))
            if credits_delta:
                self._add_daily(conn, service, day, requests=0, credits=credits_delta)

    def release(self, key: str, grant_id: int, *, service: str, day: str, credits: int) -> None:
        with locked_transaction(self._engine) as conn:
            conn.execute(delete(GRANTS).where(GRANTS.c.id == grant_id))
            self._add_daily(conn, service, day, requests=-1, credits=-credits)

    def tighten(
        self, key: str, info: RateLimitInfo, policy: RateLimitPolicy, *, as_of: float, now: float
    ) -> None:
        with locked_transaction(self._engine) as conn:
            row = self._lock_key(conn, key)
            learned = LearnedLimits(
                requests=info.limit_requests or row.limit_requests,
                tokens=info.limit_tokens or row.limit_tokens,
            )
            conn.execute(
                update(KEYS)
                .where(KEYS.c.key == key)
                .values(limit_requests=learned.requests, limit_tokens=learned.tokens)
            )
            limits = policy.limits(learned)
            entries = self._entries(conn, key, after=as_of - limits.window_s)
            extra = phantoms(entries, info, limits, as_of=as_of, now=now)
            if extra:
                conn.execute(
                    insert(GRANTS),
                    [
                        {"key": key, "at": e.at, "requests": e.requests, "tokens": e.tokens}
                        for e in extra
                    ],
                )

    def penalize(self, key: str, until: float) -> None:
        with locked_transaction(self._engine) as conn:
            row = self._lock_key(conn, key)
            if until > row.not_before:
                conn.execute(update(KEYS).where(KEYS.c.key == key).values(not_before=until))

    @staticmethod
    def _lock_key(conn: Connection, key: str) -> Any:
        insert_ignoring_conflict(
            conn,
            KEYS,
            {"key": key, "not_before": 0.0, "limit_requests": None, "limit_tokens": None},
        )
        return conn.execute(select(KEYS).where(KEYS.c.key == key).with_for_update()).one()

    @staticmethod
    def _entries(conn: Connection, key: str, *, after: float) -> list[WindowEntry]:
        rows = conn.execute(
            select(GRANTS.c.at, GRANTS.c.requests, GRANTS.c.tokens)
            .where(GRANTS.c.key == key, GRANTS.c.at > after)
            .order_by(GRANTS.c.at, GRANTS.c.id)
        )
        return [WindowEntry(at=r.at, requests=r.requests, tokens=r.tokens) for r in rows]

    def _grant(self, conn: Connection, ask: Ask, now: float) -> Granted:
        inserted = conn.execute(
            insert(GRANTS).values(key=ask.key, at=now, requests=1, tokens=ask.tokens)
        )
        if ask.waiter_id is not None:
            conn.execute(delete(WAITERS).where(WAITERS.c.id == ask.waiter_id))
        self._add_daily(conn, ask.service, ask.day, requests=1, credits=ask.credits)
        return Granted(grant_id=_new_id(inserted), at=now)

    @staticmethod
    def _quota_refusal(conn: Connection, ask: Ask) -> QuotaSpent | None:
        if ask.daily_requests is None and ask.daily_credits is None:
            return None
        insert_ignoring_conflict(
            conn, DAILY, {"service": ask.service, "day": ask.day, "requests": 0, "credits": 0}
        )
        # Locked: keys of one service (its models) share the day's quota.
        row = conn.execute(
            select(DAILY.c.requests, DAILY.c.credits)
            .where(DAILY.c.service == ask.service, DAILY.c.day == ask.day)
            .with_for_update()
        ).one()
        if ask.daily_requests is not None and row.requests + 1 > ask.daily_requests:
            return QuotaSpent(limit="daily_requests", used=row.requests, allowed=ask.daily_requests)
        if ask.daily_credits is not None and row.credits + ask.credits > ask.daily_credits:
            return QuotaSpent(limit="daily_credits", used=row.credits, allowed=ask.daily_credits)
        return None

    @staticmethod
    def _add_daily(
        conn: Connection, service: str, day: str, *, requests: int, credits: int
    ) -> None:
        insert_ignoring_conflict(
            conn, DAILY, {"service": service, "day": day, "requests": 0, "credits": 0}
        )
        conn.execute(
            update(DAILY)
            .where(DAILY.c.service == service, DAILY.c.day == day)
            .values(requests=DAILY.c.requests + requests, credits=DAILY.c.credits + credits)
        )


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every insert above has an integer primary key
        raise RuntimeError("the database returned no id for an inserted row")
    return int(key[0])


def _learned(row: Any) -> LearnedLimits:
    return LearnedLimits(requests=row.limit_requests, tokens=row.limit_tokens)


class SqlRateLimiter(RateLimiter):
    """A rate limiter whose limits hold across every process sharing the store's database."""

    def __init__(
        self,
        engine: Engine,
        *,
        policies: Mapping[str, RateLimitPolicy] | None = None,
        default: RateLimitPolicy | None = None,
        clock: Callable[[], float] = time.time,
        wall_clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        timezone: tzinfo = UTC,
        on_event: EventSink = ignore_events,
        poll_s: float = 0.5,
        handoff_s: float = 0.01,
        waiter_ttl_s: float = WAITER_TTL_S,
    ) -> None:
        if waiter_ttl_s <= 2 * poll_s:
            raise ValueError(
                f"waiter_ttl_s ({waiter_ttl_s:g}) must be well above poll_s ({poll_s:g}): "
                "waiters refresh their place in the queue every poll"
            )
        super().__init__(
            SqlLimiterState(engine, waiter_ttl_s=waiter_ttl_s),
            policies=policies,
            default=default,
            clock=clock,
            wall_clock=wall_clock,
            sleep=sleep,
            timezone=timezone,
            on_event=on_event,
            poll_s=poll_s,
            handoff_s=handoff_s,
        )


__all__ = ["SqlLimiterState", "SqlRateLimiter", "locked_transaction"]
