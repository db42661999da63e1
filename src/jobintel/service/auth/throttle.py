"""Failed-login limits per username and per client address, kept in the store.

The counts live in the database so every process serving the same store shares them. An
attempt is counted *before* the password is checked (and forgotten if it succeeds): a
burst of parallel guesses cannot all slip in while the slow hash runs.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.sql import ColumnElement

from jobintel.service.auth.errors import LoginThrottled
from jobintel.store.auth_tables import LoginFailureRow

WINDOW_S = 60.0


def username_key(username: str) -> str:
    return username.strip().lower()[:100]


def client_key(client: str | None) -> str:
    return (client or "unknown")[:100]


class LoginThrottle:
    """At most ``per_minute`` failed logins per username and per address in any minute."""

    def __init__(self, engine: Engine, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        self._engine = engine
        self._limit = per_minute

    def begin_attempt(self, username: str, client: str | None, *, now: float | None = None) -> int:
        """Count an attempt as failed until it succeeds; its id. Raises LoginThrottled."""
        at = time.time() if now is None else now
        user, addr = username_key(username), client_key(client)
        with self._engine.begin() as conn:
            # Old rows only matter for a minute: dropping them here keeps the table tiny.
            conn.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= at - WINDOW_S))
            waits = [
                self._wait(conn, column == value, at)
                for column, value in (
                    (LoginFailureRow.username, user),
                    (LoginFailureRow.client, addr),
                )
            ]
            wait = max(waits)
            if wait > 0:
                raise LoginThrottled(max(1, math.ceil(wait)))
            inserted = conn.execute(
                insert(LoginFailureRow).values(username=user, client=addr, at=at)
            )
            key = inserted.inserted_primary_key
            assert key is not None
            return int(key[0])

    def succeeded(self, attempt: int, username: str, client: str | None) -> None:
        """Forget this attempt and this address's earlier failures for this user (only)."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(LoginFailureRow).where(
                    (LoginFailureRow.id == attempt)
                    | (
                        (LoginFailureRow.username == username_key(username))
                        & (LoginFailureRow.client == client_key(client))
                    )
                )
            )

    def failures(
        self, *, username: str | None = None, client: str | None = None, now: float | None = None
    ) -> int:
        """Failures counted in the window for this username or address (for tests, the UI)."""
        where = (
            LoginFailureRow.username == username_key(username)
            if username is not None
            else LoginFailureRow.client == client_key(client)
        )
        with self._engine.connect() as conn:
            since = (time.time() if now is None else now) - WINDOW_S
            count = conn.scalar(select(func.count()).where(where, LoginFailureRow.at > since))
        return int(count or 0)

    def _wait(self, conn: Connection, where: ColumnElement[bool], now: float) -> float:
        """Seconds until fewer than the limit of failures remain in the window (0: none)."""
        recent = conn.scalars(
            select(LoginFailureRow.at)
            .where(where, LoginFailureRow.at > now - WINDOW_S)
            .order_by(LoginFailureRow.at.desc())
            .limit(self._limit)
        ).all()
        if len(recent) < self._limit:
            return 0.0
        # The limit-th most recent failure must leave the window before the next attempt.
        return recent[-1] + WINDOW_S - now
