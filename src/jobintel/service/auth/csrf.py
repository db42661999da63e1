"""CSRF checks for session-authenticated requests that change state."""

from __future__ import annotations

from contextlib import AsyncExitStack
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from jobintel.service.auth.digests import constant_time_equal

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_FAILED = "CSRF token missing or wrong: reload the page"


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` is the session's token (constant time; None never matches)."""
    return bool(expected) and given is not None and constant_time_equal(expected or "", given)


async def submitted_csrf_token(request: Request) -> str | None:
    """The token the request carries: the ``X-CSRF-Token`` header (HTMX) or the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _FORM_TYPES:
        return None
    # Starlette caches the parsed form on the request: a route with form fields (FastAPI
    # parses those before any dependency runs) gets this same form, and closes its files.
    form = await request.form()
    stack = request.scope.get("fastapi_middleware_astack")
    if isinstance(stack, AsyncExitStack):
        # A route without form fields never closes it: uploaded files spilled to disk would
        # leak. Closing twice is harmless.
        stack.push_async_callback(form.close)
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def same_origin(request: Request) -> bool:
    """False when a browser says the request comes from another site (``Origin`` header).

    For forms that have no session yet (the login form): a cross-site page cannot log a
    visitor in as someone else. Requests without ``Origin`` (non-browser clients, old
    browsers on same-origin GETs) pass.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parsed = urlsplit(origin)
    host = request.headers.get("host", "")
    return parsed.scheme in ("http", "https") and parsed.netloc.lower() == host.lower()


async def check_csrf(request: Request, expected: str | None) -> None:
    """Raise 403 unless an unsafe ``request`` sends back the session's CSRF token."""
    if request.method.upper() not in UNSAFE_METHODS:
        return
    if not csrf_matches(expected, await submitted_csrf_token(request)):
        raise HTTPException(status_code=403, detail=CSRF_FAILED)
