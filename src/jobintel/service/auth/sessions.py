"""Browser sessions: a random id in an HttpOnly cookie, stored hashed, with a CSRF token."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from jobintel.providers.netguard import is_loopback_host
from jobintel.service.auth import Principal
from jobintel.service.auth.digests import aware, sha256_hex
from jobintel.service.auth.errors import CredentialError
from jobintel.service.auth.scopes import decode_scopes
from jobintel.settings import Settings
from jobintel.store.auth_tables import AuthSessionRow, UserRow

log = logging.getLogger("jobintel.service.auth")

SESSION_COOKIE = "jobintel_session"


@dataclass(frozen=True, kw_only=True)
class SessionTicket:
    """A new session: the cookie value (secret), the token forms send back, the expiry."""

    session_id: str = field(repr=False)
    csrf_token: str = field(repr=False)
    expires_at: datetime


def session_ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_ttl_hours)


def start_session(
    engine: Engine, principal: Principal, ttl: timedelta, *, now: datetime | None = None
) -> SessionTicket:
    """A session for the user ``principal`` names (from ``verify_login``), valid for ``ttl``."""
    if principal.via != "session":
        raise CredentialError(
            f"{principal.name!r} authenticated with an API token: sessions are started "
            "only after verify_login"
        )
    moment = now or datetime.now(UTC)
    ticket = SessionTicket(
        session_id=secrets.token_urlsafe(32),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=moment + ttl,
    )
    with Session(engine) as session, session.begin():
        user_id = session.scalar(select(UserRow.id).where(UserRow.name == principal.name))
        if user_id is None:
            raise CredentialError(
                f"no user named {principal.name!r}: sessions are for users "
                "(add one with `jobintel users add`)"
            )
        # Expired sessions are useless; dropping them here keeps the table small.
        session.execute(delete(AuthSessionRow).where(AuthSessionRow.expires_at <= moment))
        session.add(
            AuthSessionRow(
                session_hash=sha256_hex(ticket.session_id),
                user_id=user_id,
                csrf_token=ticket.csrf_token,
                created_at=moment,
                expires_at=ticket.expires_at,
            )
        )
    log.info("session started for user %s until %s", principal.name, ticket.expires_at)
    return ticket


def session_principal(
    engine: Engine, session_id: str, *, now: datetime | None = None
) -> Principal | None:
    """The principal of a live session (with its CSRF token), or None (unknown, expired)."""
    if not session_id or len(session_id) > 100:
        return None
    moment = now or datetime.now(UTC)
    # Looked up by digest: the database index never compares the secret itself.
    with Session(engine) as session:
        found = session.execute(
            select(
                AuthSessionRow.csrf_token, AuthSessionRow.expires_at, UserRow.name, UserRow.scopes
            )
            .join(UserRow, UserRow.id == AuthSessionRow.user_id)
            .where(AuthSessionRow.session_hash == sha256_hex(session_id))
        ).first()
    if found is None or aware(found.expires_at) <= moment:
        return None
    return Principal(
        name=found.name,
        scopes=decode_scopes(found.scopes),
        via="session",
        csrf_token=found.csrf_token,
    )


def end_session(engine: Engine, session_id: str) -> None:
    """Log out: forget the session (a no-op for an unknown or expired one)."""
    with engine.begin() as conn:
        conn.execute(
            delete(AuthSessionRow).where(AuthSessionRow.session_hash == sha256_hex(session_id))
        )


def cookie_is_secure(settings: Settings) -> bool:
    """``cookie_secure`` if set; otherwise HTTPS-only unless the service binds loopback."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return not is_loopback_host(settings.service_host)


def session_cookie_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``response.set_cookie(value=ticket.session_id, **...)``."""
    return {
        "key": SESSION_COOKIE,
        "max_age": int(session_ttl(settings).total_seconds()),
        "path": "/",
        "secure": cookie_is_secure(settings),
        "httponly": True,
        "samesite": "lax",
    }


def set_session_cookie(response: Response, ticket: SessionTicket, settings: Settings) -> None:
    """Put the session cookie on ``response`` (after a successful login)."""
    response.set_cookie(value=ticket.session_id, **session_cookie_kwargs(settings))


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Tell the browser to drop the session cookie (at logout)."""
    kwargs = session_cookie_kwargs(settings)
    del kwargs["max_age"]
    response.delete_cookie(**kwargs)
