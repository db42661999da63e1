"""Digests of random secrets and the constant-time comparison every check goes through."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from hmac import compare_digest


def sha256_hex(secret: str) -> str:
    """The stored form of a high-entropy secret (API token, session id).

    A plain SHA-256 is enough here: the secrets are 256-bit random values, so there is
    nothing to brute-force and no need for a slow password hash.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def constant_time_equal(expected: str, given: str) -> bool:
    """``expected == given`` in time independent of where they differ (any Unicode input)."""
    return compare_digest(expected.encode(), given.encode())


def aware(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite hands stored UTC values back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
