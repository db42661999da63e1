"""People who log in to the web UI: a name, an argon2 password hash and scopes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobintel.service.auth.digests import aware
from jobintel.service.auth.errors import CredentialError
from jobintel.service.auth.passwords import check_password_rules, hash_password
from jobintel.service.auth.scopes import decode_scopes, encode_scopes, parse_scopes
from jobintel.store.auth_tables import AuthSessionRow, UserRow

log = logging.getLogger("jobintel.service.auth")

_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")
DEFAULT_USER_SCOPES = ("run",)


@dataclass(frozen=True, kw_only=True)
class UserInfo:
    """What ``jobintel users list`` shows."""

    name: str
    scopes: frozenset[str]
    created_at: datetime
    last_login_at: datetime | None


def normalise_username(name: str) -> str:
    """User names are case-insensitive: ``Alice`` logs in as ``alice``."""
    return name.strip().lower()


def add_user(
    engine: Engine,
    name: str,
    password: str,
    scopes: Iterable[str] = DEFAULT_USER_SCOPES,
    *,
    hasher: PasswordHasher | None = None,
) -> UserInfo:
    """Create user ``name`` with ``password`` (hashed with argon2) and ``scopes``."""
    user = _checked_name(name)
    stored_scopes = encode_scopes(parse_scopes(scopes))
    check_password_rules(password)
    row = UserRow(
        name=user, password_hash=hash_password(password, hasher=hasher), scopes=stored_scopes
    )
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
    except IntegrityError:
        raise CredentialError(
            f"user {user!r} already exists: pick another name, or change the password "
            f"with `jobintel users passwd {user}`"
        ) from None
    log.info("user %s added (scopes: %s)", user, stored_scopes)
    return _info(row)


def set_password(
    engine: Engine, name: str, password: str, *, hasher: PasswordHasher | None = None
) -> None:
    """Give user ``name`` a new password and end all of their sessions."""
    check_password_rules(password)
    with Session(engine) as session, session.begin():
        row = _user(session, name)
        user = row.name
        row.password_hash = hash_password(password, hasher=hasher)
        session.execute(delete(AuthSessionRow).where(AuthSessionRow.user_id == row.id))
    log.info("password of user %s changed; their sessions ended", user)


def remove_user(engine: Engine, name: str) -> None:
    """Delete user ``name`` and end their sessions."""
    with Session(engine) as session, session.begin():
        row = _user(session, name)
        user = row.name
        # The foreign key cascades too; deleting explicitly does not rely on the pragma.
        session.execute(delete(AuthSessionRow).where(AuthSessionRow.user_id == row.id))
        session.delete(row)
    log.info("user %s removed; their sessions ended", user)


def list_users(engine: Engine) -> list[UserInfo]:
    """Every user, by name."""
    with Session(engine) as session:
        return [_info(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def _user(session: Session, name: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.name == normalise_username(name)))
    if row is None:
        raise CredentialError(
            f"no user named {normalise_username(name)[:100]!r}: see `jobintel users list`"
        )
    return row


def _checked_name(name: str) -> str:
    user = normalise_username(name)
    if not _NAME.fullmatch(user):
        raise CredentialError(
            f"user name {name[:100]!r} is not allowed: use letters, digits, '.', '_', '@' "
            "or '-' (up to 100), e.g. 'alice'"
        )
    return user


def _info(row: UserRow) -> UserInfo:
    return UserInfo(
        name=row.name,
        scopes=decode_scopes(row.scopes),
        created_at=aware(row.created_at),
        last_login_at=aware(row.last_login_at) if row.last_login_at else None,
    )
