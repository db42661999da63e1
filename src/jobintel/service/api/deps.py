"""What routes depend on: settings, the store, the executor and the caller's identity.

Every route that reads or changes data declares ``Depends(require("read"))`` (or "run",
"admin"); ``/healthz`` and the login page are the only public routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from jobintel.service.auth import Principal
from jobintel.settings import Settings
from jobintel.store import Store

if TYPE_CHECKING:
    from jobintel.service.executor import Executor


class LoginRequired(Exception):
    """A browser asked for a page without a session: the app redirects it to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url
        super().__init__(next_url)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_executor(request: Request) -> Executor:
    executor: Executor = request.app.state.executor
    return executor


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ExecutorDep = Annotated["Executor", Depends(get_executor)]


def wants_html(request: Request) -> bool:
    """A browser navigation (not an API client, not an HTMX fragment request)."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.headers.get("hx-request") is None


def require(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks ``scope``.

    No credentials: 401 with ``WWW-Authenticate: Bearer`` for API clients, a redirect to
    the login page for browsers. Valid credentials without the scope: 403.
    """

    async def dependency(request: Request) -> Principal:
        from jobintel.service.auth.core import authenticate

        principal = await authenticate(request, get_store(request))
        if principal is None:
            if wants_html(request) and request.method == "GET":
                query = f"?{request.url.query}" if request.url.query else ""
                raise LoginRequired(f"{request.url.path}{query}")
            raise HTTPException(
                status_code=401,
                detail="authentication required: send 'Authorization: Bearer <token>' "
                "(create one with `jobintel tokens create`) or log in",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not principal.allows(scope):
            raise HTTPException(
                status_code=403,
                detail=f"this credential lacks the {scope!r} scope: create a token with "
                f"`jobintel tokens create NAME --scope {scope}`",
            )
        request.state.principal = principal
        return principal

    return dependency


Reader = Annotated[Principal, Depends(require("read"))]
Runner = Annotated[Principal, Depends(require("run"))]
Admin = Annotated[Principal, Depends(require("admin"))]
