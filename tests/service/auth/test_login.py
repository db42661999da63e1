"""Browser logins: generic failures, throttling per user and per address, across processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from jobintel.service.auth import (
    LoginFailed,
    LoginThrottled,
    add_user,
    list_users,
    verify_login,
)
from jobintel.service.auth.throttle import LoginThrottle
from jobintel.store import Store

PASSWORD = "correct horse battery"
LIMIT = 3


def _fail(
    engine: Engine,
    hasher: PasswordHasher,
    *,
    user: str = "alice",
    client: str = "10.0.0.9",
    now: float | None = None,
) -> None:
    with pytest.raises(LoginFailed):
        verify_login(
            engine,
            user,
            "wrong password",
            client,
            attempts_per_minute=LIMIT,
            hasher=hasher,
            now=now,
        )


@pytest.fixture
def alice(engine: Engine, cheap: PasswordHasher) -> str:
    add_user(engine, "Alice", PASSWORD, ["admin"], hasher=cheap)
    return "alice"


def test_right_password_gives_a_session_principal(
    engine: Engine, cheap: PasswordHasher, alice: str
) -> None:
    """The name is case-insensitive; the principal carries the user's scopes; last login is set."""
    principal = verify_login(engine, "ALICE ", PASSWORD, "10.0.0.1", hasher=cheap)
    assert (principal.name, principal.via, principal.scopes) == (
        "alice",
        "session",
        frozenset({"admin"}),
    )
    assert list_users(engine)[0].last_login_at is not None


def test_failure_does_not_say_whether_the_user_exists(
    engine: Engine, cheap: PasswordHasher, alice: str
) -> None:
    """A wrong password and an unknown user raise the same LoginFailed message."""
    with pytest.raises(LoginFailed) as wrong_password:
        verify_login(engine, "alice", "not it at all", "10.0.0.1", hasher=cheap)
    with pytest.raises(LoginFailed) as unknown_user:
        verify_login(engine, "mallory", PASSWORD, "10.0.0.1", hasher=cheap)
    assert str(wrong_password.value) == str(unknown_user.value)
    assert "password" in str(wrong_password.value)


def test_too_many_failures_for_a_user_throttle_even_the_right_password(
    engine: Engine, cheap: PasswordHasher, alice: str
) -> None:
    """After the limit of failures in a minute, the next attempt is refused with a retry delay."""
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        _fail(engine, cheap, client=address)
    with pytest.raises(LoginThrottled) as caught:
        verify_login(engine, "alice", PASSWORD, "10.0.0.4", attempts_per_minute=LIMIT, hasher=cheap)
    assert 1 <= caught.value.retry_after_s <= 60
    assert str(caught.value.retry_after_s) in str(caught.value)


def test_too_many_failures_from_an_address_throttle_other_users(
    engine: Engine, cheap: PasswordHasher, alice: str
) -> None:
    """Guessing many user names from one address is limited per address too."""
    for name in ("bob", "carol", "dave"):
        _fail(engine, cheap, user=name, client="203.0.113.7")
    with pytest.raises(LoginThrottled):
        verify_login(
            engine, "alice", PASSWORD, "203.0.113.7", attempts_per_minute=LIMIT, hasher=cheap
        )
    assert (
        verify_login(
            engine, "alice", PASSWORD, "10.0.0.1", attempts_per_minute=LIMIT, hasher=cheap
        ).name
        == "alice"
    )


def test_throttle_holds_across_processes_sharing_the_database(
    tmp_path: Path, cheap: PasswordHasher
) -> None:
    """Failures counted through one engine throttle logins through another on the same file."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Store.open(url), Store.open(url)
    try:
        add_user(first.engine, "alice", PASSWORD, hasher=cheap)
        for _ in range(LIMIT):
            _fail(first.engine, cheap)
        with pytest.raises(LoginThrottled):
            verify_login(
                second.engine,
                "alice",
                PASSWORD,
                "10.0.0.9",
                attempts_per_minute=LIMIT,
                hasher=cheap,
            )
    finally:
        first.close()
        second.close()


def test_success_resets_only_its_own_address(
    engine: Engine, cheap: PasswordHasher, alice: str
) -> None:
    """A login from one address clears that address's failures, not another address's."""
    _fail(engine, cheap, client="10.0.0.1")
    _fail(engine, cheap, client="198.51.100.5")
    throttle = LoginThrottle(engine, LIMIT)
    assert throttle.failures(client="10.0.0.1") == 1
    verify_login(engine, "alice", PASSWORD, "10.0.0.1", attempts_per_minute=LIMIT, hasher=cheap)
    assert throttle.failures(client="10.0.0.1") == 0
    assert throttle.failures(client="198.51.100.5") == 1
    assert throttle.failures(username="alice") == 1


def test_attempts_are_allowed_again_once_the_minute_has_passed(
    engine: Engine, cheap: PasswordHasher, alice: str
) -> None:
    """The window slides: a minute after the failures the right password works again."""
    start = time.time()
    for _ in range(LIMIT):
        _fail(engine, cheap, now=start)
    with pytest.raises(LoginThrottled) as caught:
        verify_login(
            engine,
            "alice",
            PASSWORD,
            "10.0.0.9",
            attempts_per_minute=LIMIT,
            hasher=cheap,
            now=start + 15,
        )
    assert caught.value.retry_after_s == 45
    principal = verify_login(
        engine,
        "alice",
        PASSWORD,
        "10.0.0.9",
        attempts_per_minute=LIMIT,
        hasher=cheap,
        now=start + 61,
    )
    assert principal.name == "alice"


def test_passwords_and_unknown_names_stay_out_of_the_logs(
    engine: Engine, cheap: PasswordHasher, alice: str, logs: pytest.LogCaptureFixture
) -> None:
    """Failed and successful logins log the known user and address, never a password or a
    name that may be a mistyped password."""
    with pytest.raises(LoginFailed):
        verify_login(engine, "alice", "Tr0ub4dor&3", "10.0.0.1", hasher=cheap)
    with pytest.raises(LoginFailed):
        verify_login(engine, "hunter2-typed-here", PASSWORD, "10.0.0.1", hasher=cheap)
    verify_login(engine, "alice", PASSWORD, "10.0.0.1", hasher=cheap)
    assert "alice" in logs.text and "10.0.0.1" in logs.text
    for secret in ("Tr0ub4dor&3", "hunter2-typed-here", PASSWORD):
        assert secret not in logs.text
