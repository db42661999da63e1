"""Who is calling: API tokens (hashed, scoped) and browser sessions (login, CSRF).

``authenticate`` is the one function the routes' dependencies call; everything else in
this package (token and user stores, password hashing, sessions, login throttling) is
behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["read", "run", "admin"]
#: Scopes imply the ones below them: admin can run, run can read.
IMPLIED: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "run": frozenset({"read", "run"}),
    "admin": frozenset({"read", "run", "admin"}),
}


@dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller."""

    name: str
    scopes: frozenset[str]
    via: Literal["token", "session"]
    #: The session's CSRF token (browser sessions only): forms must send it back. Kept out
    #: of repr so a logged principal never carries it.
    csrf_token: str | None = field(default=None, repr=False)

    def allows(self, scope: str) -> bool:
        return any(scope in IMPLIED.get(s, frozenset({s})) for s in self.scopes)


# The façade: what the routes, the web pages and the CLI use (``authenticate`` lives in
# ``auth.core``, imported where needed). Imported last: these modules use Principal.
from jobintel.providers.netguard import is_loopback_host  # noqa: E402
from jobintel.service.auth.csrf import (  # noqa: E402
    CSRF_FIELD,
    CSRF_HEADER,
    check_csrf,
    csrf_matches,
    same_origin,
)
from jobintel.service.auth.errors import (  # noqa: E402
    AuthError,
    CredentialError,
    LoginFailed,
    LoginThrottled,
)
from jobintel.service.auth.login import verify_login  # noqa: E402
from jobintel.service.auth.sessions import (  # noqa: E402
    SESSION_COOKIE,
    SessionTicket,
    clear_session_cookie,
    cookie_is_secure,
    end_session,
    session_cookie_kwargs,
    session_principal,
    session_ttl,
    set_session_cookie,
    start_session,
)
from jobintel.service.auth.tokens import (  # noqa: E402
    TokenInfo,
    create_token,
    has_credentials,
    list_tokens,
    revoke_token,
    verify_token,
)
from jobintel.service.auth.users import (  # noqa: E402
    UserInfo,
    add_user,
    list_users,
    remove_user,
    set_password,
)

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "IMPLIED",
    "SESSION_COOKIE",
    "AuthError",
    "CredentialError",
    "LoginFailed",
    "LoginThrottled",
    "Principal",
    "Scope",
    "SessionTicket",
    "TokenInfo",
    "UserInfo",
    "add_user",
    "check_csrf",
    "clear_session_cookie",
    "cookie_is_secure",
    "create_token",
    "csrf_matches",
    "end_session",
    "has_credentials",
    "is_loopback_host",
    "list_tokens",
    "list_users",
    "remove_user",
    "revoke_token",
    "same_origin",
    "session_cookie_kwargs",
    "session_principal",
    "session_ttl",
    "set_password",
    "set_session_cookie",
    "start_session",
    "verify_login",
    "verify_token",
]
