"""API tokens on a real SQLite store: creation, hashing, scopes, revocation, last use."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from jobintel.service.auth import (
    CredentialError,
    add_user,
    create_token,
    has_credentials,
    list_tokens,
    revoke_token,
    verify_token,
)
from jobintel.service.auth import digests as digests_module
from jobintel.store.auth_tables import ApiTokenRow


def _row(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(select(ApiTokenRow.__table__)).mappings().one())


def test_token_is_shown_once_and_only_its_digest_is_stored(engine: Engine) -> None:
    """The table holds the SHA-256 of the token and a 12-character prefix, never the token."""
    token = create_token(engine, "ci", ["run"])
    assert token.startswith("jit_") and len(token) == 47
    row = _row(engine)
    assert all(token not in str(value) for value in row.values())
    assert all(token[12:20] not in str(value) for value in row.values())
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert row["prefix"] == token[:12]


def test_valid_token_authenticates_with_its_scopes(engine: Engine) -> None:
    """A created token verifies to a token principal with its name and scopes."""
    token = create_token(engine, "ci", ["run"])
    principal = verify_token(engine, token)
    assert principal is not None
    assert (principal.name, principal.via, principal.scopes) == ("ci", "token", frozenset({"run"}))


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [("read", {"read"}), ("run", {"read", "run"}), ("admin", {"read", "run", "admin"})],
)
def test_scopes_imply_the_lower_ones(engine: Engine, scope: str, allowed: set[str]) -> None:
    """read < run < admin: a token allows its scope and every scope below it, nothing above."""
    principal = verify_token(engine, create_token(engine, f"t-{scope}", [scope]))
    assert principal is not None
    assert {s for s in ("read", "run", "admin") if principal.allows(s)} == allowed


def test_tampered_or_malformed_tokens_are_refused(engine: Engine) -> None:
    """Same prefix with another tail, a truncated token or a foreign string gives None."""
    token = create_token(engine, "ci", ["read"])
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for candidate in (flipped, token[:-1], "", "Bearer", "x" * 47, token + "x"):
        assert verify_token(engine, candidate) is None


def test_comparison_is_constant_time(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored digest is compared with hmac.compare_digest, not ==."""
    token = create_token(engine, "ci", ["read"])
    calls: list[tuple[bytes, bytes]] = []
    real = digests_module.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(digests_module, "compare_digest", recording)
    assert verify_token(engine, token) is not None
    expected = hashlib.sha256(token.encode()).hexdigest().encode()
    assert calls == [(expected, expected)]


def test_revoked_token_no_longer_authenticates(engine: Engine) -> None:
    """Revoking by name or by prefix stops the token at once; the listing keeps it as revoked."""
    first = create_token(engine, "first", ["read"])
    second = create_token(engine, "second", ["admin"])
    revoke_token(engine, "first")
    revoke_token(engine, second[:12])
    assert verify_token(engine, first) is None
    assert verify_token(engine, second) is None
    assert [(t.name, t.active) for t in list_tokens(engine)] == [
        ("first", False),
        ("second", False),
    ]


def test_revoking_twice_keeps_the_first_revocation_time(engine: Engine) -> None:
    """revoke_token is idempotent: a second call changes nothing."""
    create_token(engine, "ci", ["read"])
    once = revoke_token(engine, "ci")
    assert revoke_token(engine, "ci").revoked_at == once.revoked_at


def test_unknown_token_to_revoke_names_the_fix_without_echoing_a_secret(engine: Engine) -> None:
    """Revoking by a whole (unknown) token names only its prefix and `jobintel tokens list`."""
    token = create_token(engine, "ci", ["read"])
    revoke_token(engine, "ci")
    bogus = "jit_" + token[4:12][::-1] + token[12:]
    with pytest.raises(CredentialError) as caught:
        revoke_token(engine, bogus)
    assert "jobintel tokens list" in str(caught.value)
    assert bogus not in str(caught.value) and bogus[12:] not in str(caught.value)


def test_last_used_is_recorded_at_most_once_a_minute(engine: Engine) -> None:
    """The first use sets last_used_at; a use within a minute leaves it; a later one moves it."""
    token = create_token(engine, "ci", ["read"])
    assert list_tokens(engine)[0].last_used_at is None
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    verify_token(engine, token, now=start)
    assert list_tokens(engine)[0].last_used_at == start
    verify_token(engine, token, now=start + timedelta(seconds=30))
    assert list_tokens(engine)[0].last_used_at == start
    verify_token(engine, token, now=start + timedelta(minutes=2))
    assert list_tokens(engine)[0].last_used_at == start + timedelta(minutes=2)


def test_names_and_scopes_are_checked(engine: Engine) -> None:
    """Duplicate names, bad names and unknown or missing scopes are refused with the fix."""
    create_token(engine, "ci", ["read"])
    with pytest.raises(CredentialError, match="already exists"):
        create_token(engine, "ci", ["read"])
    for bad in ("", "has space", "jit_lookalike", "x" * 101):
        with pytest.raises(CredentialError, match="not allowed"):
            create_token(engine, bad, ["read"])
    with pytest.raises(CredentialError, match="unknown scope 'root'"):
        create_token(engine, "other", ["root"])
    with pytest.raises(CredentialError, match="no scope"):
        create_token(engine, "other", [])


def test_has_credentials_counts_active_tokens_and_users(
    engine: Engine, cheap: PasswordHasher
) -> None:
    """No credential on a fresh store; an active token counts, a revoked one not; a user counts."""
    assert not has_credentials(engine)
    create_token(engine, "ci", ["read"])
    assert has_credentials(engine)
    revoke_token(engine, "ci")
    assert not has_credentials(engine)
    add_user(engine, "alice", "correct horse battery", hasher=cheap)
    assert has_credentials(engine)


def test_tokens_never_reach_the_logs(engine: Engine, logs: pytest.LogCaptureFixture) -> None:
    """Creating, using, failing with and revoking a token logs names and prefixes only."""
    token = create_token(engine, "ci", ["run"])
    verify_token(engine, token)
    verify_token(engine, token[:-1] + "x")
    revoke_token(engine, token)
    assert "ci" in logs.text and token[:12] in logs.text
    assert token not in logs.text and token[12:] not in logs.text
