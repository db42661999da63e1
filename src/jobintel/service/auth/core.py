"""``authenticate``: who is calling, from a Bearer token or a session cookie (with CSRF)."""

from __future__ import annotations

import asyncio

from fastapi import Request

from jobintel.service.auth import Principal
from jobintel.service.auth.csrf import check_csrf
from jobintel.service.auth.sessions import SESSION_COOKIE, session_principal
from jobintel.service.auth.tokens import verify_token
from jobintel.store import Store


async def authenticate(request: Request, store: Store) -> Principal | None:
    """The caller, or None when it sends no valid, unexpired, unrevoked credential.

    ``Authorization: Bearer <token>`` wins (no CSRF check: browsers never send it on
    their own); otherwise the session cookie, and then unsafe methods must carry the
    session's CSRF token (403 if not).
    """
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        # A bad token is a failure, not a reason to fall back to a cookie.
        return await asyncio.to_thread(verify_token, store.engine, credentials.strip())
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    principal = await asyncio.to_thread(session_principal, store.engine, session_id)
    if principal is not None:
        await check_csrf(request, principal.csrf_token)
    return principal
