"""API tokens: created once in the clear, stored as a digest, checked in constant time.

A token looks like ``jit_`` followed by 43 URL-safe characters (256 random bits). Its first
12 characters (the prefix) are kept in the clear: listings show them and lookups use
them, and they reveal too little of the token to help guess the rest.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobintel.service.auth import Principal
from jobintel.service.auth.digests import aware, constant_time_equal, sha256_hex
from jobintel.service.auth.errors import CredentialError
from jobintel.service.auth.scopes import decode_scopes, encode_scopes, parse_scopes
from jobintel.store.auth_tables import ApiTokenRow, UserRow

log = logging.getLogger("jobintel.service.auth")

TOKEN_PREFIX = "jit_"  # noqa: S105 (the public marker of every token, not a secret)
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
_TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # secrets.token_urlsafe(32)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: ``last_used_at`` is written at most this often per token: a busy client polling the API
#: should not turn every read into a database write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True, kw_only=True)
class TokenInfo:
    """What ``jobintel tokens list`` shows: never the token itself."""

    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def create_token(engine: Engine, name: str, scopes: Iterable[str]) -> str:
    """Store a new token called ``name`` with ``scopes`` and return it: the only time it is seen."""
    if not _NAME.fullmatch(name) or name.startswith(TOKEN_PREFIX):
        raise CredentialError(
            f"token name {name[:100]!r} is not allowed: use letters, digits, '.', '_' or '-' "
            f"(up to 100, not starting with {TOKEN_PREFIX!r}), e.g. 'ci-runner'"
        )
    stored_scopes = encode_scopes(parse_scopes(scopes))
    for _ in range(3):  # a clash of 48-bit random prefixes is next to impossible; retry anyway
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with Session(engine) as session, session.begin():
                if session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == name)):
                    raise _name_taken(name)
                session.add(
                    ApiTokenRow(
                        name=name,
                        prefix=token[:PREFIX_LENGTH],
                        token_hash=sha256_hex(token),
                        scopes=stored_scopes,
                    )
                )
        except IntegrityError:
            if _token_row(engine, name) is not None:  # another process took the name
                raise _name_taken(name) from None
            continue
        log.info(
            "API token %s created (%s, scopes: %s)", name, token[:PREFIX_LENGTH], stored_scopes
        )
        return token
    raise CredentialError(f"could not create token {name!r}: try again")  # pragma: no cover


def list_tokens(engine: Engine) -> list[TokenInfo]:
    """Every token, active and revoked, oldest first."""
    with Session(engine) as session:
        rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id)).all()
        return [_info(row) for row in rows]


def revoke_token(engine: Engine, name_or_prefix: str) -> TokenInfo:
    """Revoke the token with this name or prefix (a whole token works too); idempotent."""
    key = name_or_prefix.strip()
    with Session(engine) as session, session.begin():
        if key.startswith(TOKEN_PREFIX):
            where = ApiTokenRow.prefix == key[:PREFIX_LENGTH]
        else:
            where = ApiTokenRow.name == key
        row = session.scalar(select(ApiTokenRow).where(where))
        if row is None:
            shown = key[:PREFIX_LENGTH] if key.startswith(TOKEN_PREFIX) else key[:100]
            raise CredentialError(
                f"no token named or prefixed {shown!r}: see `jobintel tokens list`"
            )
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            log.info("API token %s revoked (%s)", row.name, row.prefix)
        return _info(row)


def verify_token(engine: Engine, token: str, *, now: datetime | None = None) -> Principal | None:
    """The principal for an active ``token``, or None; records when it was last used."""
    if len(token) != _TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return None
    moment = now or datetime.now(UTC)
    with Session(engine) as session:
        row = session.scalar(
            select(ApiTokenRow).where(
                ApiTokenRow.prefix == token[:PREFIX_LENGTH], ApiTokenRow.revoked_at.is_(None)
            )
        )
        if row is None or not constant_time_equal(row.token_hash, sha256_hex(token)):
            return None
        principal = Principal(name=row.name, scopes=decode_scopes(row.scopes), via="token")
        last_used = row.last_used_at
        token_id = row.id
    if last_used is None or moment - aware(last_used) >= LAST_USED_RESOLUTION:
        with engine.begin() as conn:
            conn.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=moment)
            )
    return principal


def has_credentials(engine: Engine) -> bool:
    """Whether anyone can authenticate: an active token or a user exists."""
    with engine.connect() as conn:
        token = conn.scalar(select(exists().where(ApiTokenRow.revoked_at.is_(None))))
        user = conn.scalar(select(exists().where(UserRow.id.is_not(None))))
    return bool(token or user)


def _token_row(engine: Engine, name: str) -> int | None:
    with engine.connect() as conn:
        return conn.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == name))


def _name_taken(name: str) -> CredentialError:
    return CredentialError(
        f"a token named {name!r} already exists (revoked tokens keep their name): "
        "choose another name, see `jobintel tokens list`"
    )


def _info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        prefix=row.prefix,
        scopes=decode_scopes(row.scopes),
        created_at=aware(row.created_at),
        last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        revoked_at=aware(row.revoked_at) if row.revoked_at else None,
    )
