"""Password hashing with argon2id (argon2-cffi), rehashing when the parameters change."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from jobintel.service.auth.errors import CredentialError

MIN_LENGTH = 8
#: argon2 takes any length, but a megabyte "password" is a cheap way to burn server CPU.
MAX_LENGTH = 1024


@cache
def default_hasher() -> PasswordHasher:
    """argon2-cffi's defaults (RFC 9106 low-memory profile): 0.05–0.15 s a hash."""
    return PasswordHasher()


def check_password_rules(password: str) -> None:
    """Refuse passwords too short or too long to accept (the message never echoes it)."""
    if len(password) < MIN_LENGTH:
        raise CredentialError(
            f"the password is too short: use at least {MIN_LENGTH} characters "
            "(a passphrase of a few words is best)"
        )
    if len(password) > MAX_LENGTH:
        raise CredentialError(f"the password is too long: use at most {MAX_LENGTH} characters")


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """The argon2 hash (with its salt and parameters) to store for ``password``."""
    return (hasher or default_hasher()).hash(password)


def verify_password(stored: str, password: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Whether ``password`` matches the ``stored`` hash; False for a corrupt hash too."""
    try:
        return (hasher or default_hasher()).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Whether ``stored`` was made with other parameters than the hasher's current ones."""
    try:
        return (hasher or default_hasher()).check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


@cache
def dummy_hash() -> str:
    """A hash no password matches: verified for unknown users so they take as long."""
    return hash_password(secrets.token_urlsafe(32))
