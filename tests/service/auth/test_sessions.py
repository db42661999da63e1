"""Browser sessions: start, look up, expire, end; the cookie's attributes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from jobintel.service.auth import (
    SESSION_COOKIE,
    CredentialError,
    Principal,
    add_user,
    cookie_is_secure,
    end_session,
    remove_user,
    session_cookie_kwargs,
    session_principal,
    set_password,
    start_session,
    verify_login,
)
from jobintel.settings import Settings, load_settings
from jobintel.store.auth_tables import AuthSessionRow

PASSWORD = "correct horse battery"
HOUR = timedelta(hours=1)


@pytest.fixture
def alice(engine: Engine, cheap: PasswordHasher) -> Principal:
    add_user(engine, "alice", PASSWORD, ["run"], hasher=cheap)
    return verify_login(engine, "alice", PASSWORD, "127.0.0.1", hasher=cheap)


def test_session_resolves_to_the_user_with_its_csrf_token(engine: Engine, alice: Principal) -> None:
    """A started session looks up to the user's principal carrying the session's CSRF token."""
    ticket = start_session(engine, alice, HOUR)
    principal = session_principal(engine, ticket.session_id)
    assert principal is not None
    assert (principal.name, principal.via, principal.scopes) == ("alice", "session", {"run"})
    assert principal.csrf_token == ticket.csrf_token
    assert len(ticket.session_id) >= 43 and ticket.session_id != ticket.csrf_token


def test_session_id_is_stored_hashed(engine: Engine, alice: Principal) -> None:
    """The sessions table never holds the cookie value; reprs of the ticket and principal hide
    the secrets."""
    ticket = start_session(engine, alice, HOUR)
    with engine.connect() as conn:
        row = dict(conn.execute(select(AuthSessionRow.__table__)).mappings().one())
    assert all(ticket.session_id not in str(value) for value in row.values())
    assert ticket.session_id not in repr(ticket) and ticket.csrf_token not in repr(ticket)
    assert ticket.csrf_token not in repr(session_principal(engine, ticket.session_id))


def test_session_expires_after_its_ttl(engine: Engine, alice: Principal) -> None:
    """A session is valid until its expiry and gone from that moment on."""
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    ticket = start_session(engine, alice, HOUR, now=start)
    assert ticket.expires_at == start + HOUR
    assert session_principal(engine, ticket.session_id, now=start + HOUR / 2) is not None
    assert session_principal(engine, ticket.session_id, now=start + HOUR) is None


def test_ended_and_unknown_sessions_resolve_to_nobody(engine: Engine, alice: Principal) -> None:
    """Logging out ends only that session; unknown or absurd ids are nobody."""
    kept, ended = start_session(engine, alice, HOUR), start_session(engine, alice, HOUR)
    end_session(engine, ended.session_id)
    end_session(engine, ended.session_id)  # logging out twice is fine
    assert session_principal(engine, ended.session_id) is None
    assert session_principal(engine, kept.session_id) is not None
    for bogus in ("", "x" * 43, "y" * 5000):
        assert session_principal(engine, bogus) is None


def test_removing_a_user_or_changing_the_password_ends_their_sessions(
    engine: Engine, alice: Principal, cheap: PasswordHasher
) -> None:
    """Sessions die with a password change and with the user."""
    before = start_session(engine, alice, HOUR)
    set_password(engine, "alice", "another good passphrase", hasher=cheap)
    assert session_principal(engine, before.session_id) is None
    after = start_session(engine, alice, HOUR)
    remove_user(engine, "alice")
    assert session_principal(engine, after.session_id) is None


def _settings(**overrides: object) -> Settings:
    return load_settings(**overrides)


def test_cookie_is_httponly_samesite_and_lives_as_long_as_the_session() -> None:
    """The cookie: jobintel_session, HttpOnly, SameSite=Lax, Path=/, Max-Age = the session TTL."""
    kwargs = session_cookie_kwargs(_settings(session_ttl_hours=2))
    assert kwargs["key"] == SESSION_COOKIE == "jobintel_session"
    assert kwargs["httponly"] is True
    assert kwargs["samesite"] in ("lax", "strict")
    assert kwargs["path"] == "/"
    assert kwargs["max_age"] == 7200


@pytest.mark.parametrize(
    ("host", "configured", "secure"),
    [
        ("127.0.0.1", None, False),
        ("::1", None, False),
        ("localhost", None, False),
        ("0.0.0.0", None, True),
        ("192.168.1.20", None, True),
        ("jobs.example.org", None, True),
        ("127.0.0.1", True, True),
        ("0.0.0.0", False, False),
    ],
)
def test_cookie_is_secure_unless_serving_loopback(
    host: str, configured: bool | None, secure: bool
) -> None:
    """Secure is automatic off loopback; an explicit cookie_secure setting wins."""
    settings = _settings(service_host=host, cookie_secure=configured)
    assert cookie_is_secure(settings) is secure
    assert session_cookie_kwargs(settings)["secure"] is secure


def test_sessions_start_only_from_a_login(engine: Engine, alice: Principal) -> None:
    """A token principal cannot be turned into a browser session, even under a user's name."""
    as_token = Principal(name="alice", scopes=frozenset({"admin"}), via="token")
    with pytest.raises(CredentialError, match="verify_login"):
        start_session(engine, as_token, HOUR)
