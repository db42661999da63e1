"""Scope names: checked on the way in, stored as one space-separated column."""

from __future__ import annotations

from collections.abc import Iterable

from jobintel.service.auth import IMPLIED
from jobintel.service.auth.errors import CredentialError

#: Least to most privileged.
SCOPES = ("read", "run", "admin")


def parse_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes, checked: at least one, each of read, run, admin."""
    found = frozenset(s.strip().lower() for s in scopes)
    unknown = sorted(found - set(IMPLIED))
    if unknown or not found:
        what = f"unknown scope {', '.join(repr(s) for s in unknown)}" if unknown else "no scope"
        raise CredentialError(f"{what}: use one of {', '.join(SCOPES)}")
    return found


def encode_scopes(scopes: frozenset[str]) -> str:
    return " ".join(s for s in SCOPES if s in scopes)


def decode_scopes(stored: str) -> frozenset[str]:
    return frozenset(stored.split())
