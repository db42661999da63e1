"""Password hashing with argon2id: verify, refuse, rehash on new parameters, rules."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from jobintel.service.auth import CredentialError, add_user, verify_login
from jobintel.service.auth.passwords import (
    default_hasher,
    hash_password,
    needs_rehash,
    verify_password,
)
from jobintel.store.auth_tables import UserRow

PASSWORD = "correct horse battery"


def test_hash_is_salted_argon2id_and_verifies(cheap: PasswordHasher) -> None:
    """The hash is argon2id, salted (two hashes differ), verifies the password and only it."""
    first = hash_password(PASSWORD, hasher=cheap)
    assert first.startswith("$argon2id$") and PASSWORD not in first
    assert hash_password(PASSWORD, hasher=cheap) != first
    assert verify_password(first, PASSWORD, hasher=cheap)
    assert not verify_password(first, PASSWORD + "!", hasher=cheap)


def test_default_hasher_round_trip() -> None:
    """The production parameters hash and verify (argon2-cffi defaults, nothing weaker)."""
    stored = hash_password(PASSWORD)
    assert verify_password(stored, PASSWORD)
    assert not needs_rehash(stored)
    assert default_hasher().memory_cost >= 65536


def test_corrupt_hash_never_verifies(cheap: PasswordHasher) -> None:
    """A damaged stored hash is a failed check (and due for rehash), not a crash."""
    assert not verify_password("$argon2id$garbage", PASSWORD, hasher=cheap)
    assert needs_rehash("not a hash", hasher=cheap)


def test_login_rehashes_a_hash_made_with_older_parameters(
    engine: Engine, cheap: PasswordHasher
) -> None:
    """After a login, a hash made with other parameters is replaced by one with the current ones."""
    add_user(engine, "alice", PASSWORD, hasher=cheap)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert needs_rehash(_stored(engine), hasher=stronger)
    verify_login(engine, "alice", PASSWORD, "10.0.0.1", hasher=stronger)
    updated = _stored(engine)
    assert not needs_rehash(updated, hasher=stronger)
    assert verify_password(updated, PASSWORD, hasher=stronger)


def test_password_rules_never_echo_the_password(engine: Engine, cheap: PasswordHasher) -> None:
    """Too short or too long passwords are refused with the rule, never the password itself."""
    for bad in ("hunter2", "y" * 1025):
        with pytest.raises(CredentialError) as caught:
            add_user(engine, "alice", bad, hasher=cheap)
        assert bad not in str(caught.value)
        assert "password is too" in str(caught.value)


def _stored(engine: Engine) -> str:
    with engine.connect() as conn:
        stored = conn.scalar(select(UserRow.password_hash))
    assert isinstance(stored, str)
    return stored
