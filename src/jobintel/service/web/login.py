"""``/login`` and ``/logout``: start and end a browser session."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobintel.service.api.deps import SettingsDep, StoreDep
from jobintel.service.auth.core import authenticate
from jobintel.service.auth.csrf import check_csrf, csrf_matches
from jobintel.service.auth.errors import LoginFailed, LoginThrottled
from jobintel.service.auth.login import verify_login
from jobintel.service.auth.sessions import (
    SESSION_COOKIE,
    clear_session_cookie,
    cookie_is_secure,
    end_session,
    session_principal,
    session_ttl,
    set_session_cookie,
    start_session,
)
from jobintel.service.web.forms import safe_next
from jobintel.service.web.rendering import page

router = APIRouter(include_in_schema=False)

#: Before a session exists, the login form is protected by a double-submit token: the same
#: random value in a cookie and in the form, which another site can neither read nor set.
LOGIN_CSRF_COOKIE = "jobintel_login_csrf"


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, settings: SettingsDep, store: StoreDep, next: str = "/"
) -> Response:
    """The login page; a visitor who is already logged in goes straight on."""
    target = safe_next(next)
    if await authenticate(request, store) is not None:
        return RedirectResponse(target, status_code=303)
    return _form(request, settings, target)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the credentials; on success set the session cookie and redirect to ``next``."""
    target = safe_next(next)
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _form(
            request,
            settings,
            target,
            username=username,
            error="The login form expired. Please try again.",
            status_code=403,
        )
    client = request.client.host if request.client else None
    try:
        principal = await asyncio.to_thread(
            verify_login,
            store.engine,
            username,
            password,
            client,
            attempts_per_minute=settings.login_attempts_per_minute,
        )
    except LoginThrottled as exc:
        return _form(
            request,
            settings,
            target,
            username=username,
            error=f"Too many failed login attempts. Wait {exc.retry_after_s} seconds, "
            "then try again.",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    except LoginFailed:
        return _form(
            request,
            settings,
            target,
            username=username,
            error="Wrong username or password.",
            status_code=401,
        )
    ticket = await asyncio.to_thread(start_session, store.engine, principal, session_ttl(settings))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, ticket, settings)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """End the session (the form must carry its CSRF token) and return to the login page."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        principal = await asyncio.to_thread(session_principal, store.engine, session_id)
        if principal is not None:
            await check_csrf(request, principal.csrf_token)
            await asyncio.to_thread(end_session, store.engine, session_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, settings)
    return response


def _form(
    request: Request,
    settings: SettingsDep,
    target: str,
    *,
    username: str = "",
    error: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        None,
        status_code=status_code,
        headers=headers,
        title="Log in",
        next=target,
        username=username,
        error=error,
        login_csrf=token,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        secure=cookie_is_secure(settings),
        httponly=True,
        samesite="strict",
    )
    return response
