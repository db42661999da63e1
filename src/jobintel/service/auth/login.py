"""Checking a browser login: throttled, constant in time for unknown users, rehashing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from jobintel.service.auth import Principal
from jobintel.service.auth.errors import LoginFailed, LoginThrottled
from jobintel.service.auth.passwords import (
    MAX_LENGTH,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from jobintel.service.auth.scopes import decode_scopes
from jobintel.service.auth.throttle import LoginThrottle
from jobintel.service.auth.users import normalise_username
from jobintel.store.auth_tables import UserRow

log = logging.getLogger("jobintel.service.auth")


def verify_login(
    engine: Engine,
    username: str,
    password: str,
    client: str | None,
    *,
    attempts_per_minute: int = 5,
    hasher: PasswordHasher | None = None,
    now: float | None = None,
) -> Principal:
    """The user's principal if ``password`` is theirs; else LoginFailed or LoginThrottled.

    ``client`` is the caller's address; failures are limited per username and per
    address (``attempts_per_minute``, shared by every process using the store). Blocks
    for the argon2 check (tens of milliseconds): call it from a worker thread.
    """
    throttle = LoginThrottle(engine, attempts_per_minute)
    try:
        attempt = throttle.begin_attempt(username, client, now=now)
    except LoginThrottled:
        log.warning("login refused: too many failures for this user or from %s", client)
        raise
    name = normalise_username(username)
    with Session(engine) as session:
        row = session.scalar(select(UserRow).where(UserRow.name == name)) if name else None
        stored = row.password_hash if row is not None else dummy_hash()
        # Unknown users cost a hash check too, so timing does not tell which names exist.
        ok = len(password) <= MAX_LENGTH and verify_password(stored, password, hasher=hasher)
        if row is None or not ok:
            # Only known names are logged: a password typed into the name field stays out.
            log.warning(
                "login failed for %s from %s",
                f"user {row.name}" if row is not None else "an unknown user",
                client,
            )
            raise LoginFailed()
        user_id, scopes = row.id, decode_scopes(row.scopes)
    throttle.succeeded(attempt, username, client)
    values: dict[str, object] = {"last_login_at": datetime.now(UTC)}
    if needs_rehash(stored, hasher=hasher):
        values["password_hash"] = hash_password(password, hasher=hasher)
    with engine.begin() as conn:
        conn.execute(update(UserRow).where(UserRow.id == user_id).values(**values))
    log.info("user %s logged in from %s", name, client)
    return Principal(name=name, scopes=scopes, via="session")
