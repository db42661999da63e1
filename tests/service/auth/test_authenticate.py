"""``authenticate`` behind the lead's ``deps.require`` in a tiny FastAPI app: tokens,
sessions, CSRF on unsafe session requests, expiry and revocation, login and logout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from jobintel.service.api.deps import Reader, Runner
from jobintel.service.auth import (
    SESSION_COOKIE,
    Principal,
    add_user,
    clear_session_cookie,
    create_token,
    end_session,
    revoke_token,
    session_ttl,
    set_session_cookie,
    start_session,
    verify_login,
)
from jobintel.settings import Settings
from jobintel.store import Store

PASSWORD = "correct horse battery"
CSRF_ERROR = "CSRF token missing or wrong: reload the page"


def _app(store: Store, settings: Settings, hasher: PasswordHasher) -> FastAPI:
    app = FastAPI()
    app.state.store = store
    app.state.settings = settings

    @app.get("/things")
    async def read(who: Reader) -> dict[str, object]:
        return {"name": who.name, "via": who.via}

    @app.post("/things")
    async def submit(who: Runner) -> dict[str, object]:
        return {"name": who.name, "via": who.via}

    @app.delete("/things/1")
    async def remove(who: Runner) -> dict[str, object]:
        return {"deleted": True}

    @app.post("/notes")
    async def note(who: Runner, text: Annotated[str, Form()]) -> dict[str, object]:
        return {"text": text}

    @app.post("/uploads")
    async def upload(who: Runner, file: UploadFile) -> dict[str, object]:
        return {"bytes": len(await file.read())}

    @app.post("/login")
    def login(
        request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> Response:
        client = request.client.host if request.client else None
        principal = verify_login(store.engine, username, password, client, hasher=hasher)
        ticket = start_session(store.engine, principal, session_ttl(settings))
        response = JSONResponse({"csrf_token": ticket.csrf_token})
        set_session_cookie(response, ticket, settings)
        return response

    @app.post("/logout")
    def logout(request: Request, who: Runner) -> Response:
        end_session(store.engine, request.cookies[SESSION_COOKIE])
        response = Response(status_code=204)
        clear_session_cookie(response, settings)
        return response

    return app


@pytest.fixture
def app(store: Store, settings: Settings, cheap: PasswordHasher) -> FastAPI:
    add_user(store.engine, "alice", PASSWORD, ["run"], hasher=cheap)
    return _app(store, settings, cheap)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as opened:
        yield opened


@pytest.fixture
def alice(store: Store, cheap: PasswordHasher) -> Principal:
    return verify_login(store.engine, "alice", PASSWORD, "127.0.0.1", hasher=cheap)


async def _session_client(app: FastAPI, session_id: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={SESSION_COOKIE: session_id},
    )


async def test_no_credentials_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    """Without a token or session the API answers 401 and WWW-Authenticate: Bearer."""
    response = await client.get("/things")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_bearer_token_needs_no_csrf(client: httpx.AsyncClient, store: Store) -> None:
    """A token-authenticated POST passes without any CSRF token."""
    token = create_token(store.engine, "ci", ["run"])
    response = await client.post("/things", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"name": "ci", "via": "token"}


async def test_token_scope_is_enforced(client: httpx.AsyncClient, store: Store) -> None:
    """A read token reads but gets 403 on a run route."""
    token = create_token(store.engine, "viewer", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/things", headers=headers)).status_code == 200
    assert (await client.post("/things", headers=headers)).status_code == 403


async def test_revoked_token_is_401(client: httpx.AsyncClient, store: Store) -> None:
    """A token stops working the moment it is revoked."""
    token = create_token(store.engine, "ci", ["run"])
    revoke_token(store.engine, "ci")
    response = await client.get("/things", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_bad_bearer_does_not_fall_back_to_the_cookie(
    app: FastAPI, store: Store, alice: Principal
) -> None:
    """With a wrong Bearer token the request is refused even if a valid session cookie rides along."""
    ticket = start_session(store.engine, alice, timedelta(hours=1))
    async with await _session_client(app, ticket.session_id) as browser:
        assert (await browser.get("/things")).status_code == 200
        bad = {"Authorization": "Bearer jit_" + "x" * 43}
        assert (await browser.get("/things", headers=bad)).status_code == 401


async def test_session_reads_without_csrf(app: FastAPI, store: Store, alice: Principal) -> None:
    """GET with a session cookie needs no CSRF token."""
    ticket = start_session(store.engine, alice, timedelta(hours=1))
    async with await _session_client(app, ticket.session_id) as browser:
        response = await browser.get("/things")
    assert response.json() == {"name": "alice", "via": "session"}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_session_writes_need_the_csrf_header(
    app: FastAPI, store: Store, alice: Principal, method: str
) -> None:
    """Unsafe session requests without or with a wrong X-CSRF-Token get 403; the right one passes."""
    ticket = start_session(store.engine, alice, timedelta(hours=1))
    url = "/things" if method == "POST" else "/things/1"
    async with await _session_client(app, ticket.session_id) as browser:
        missing = await browser.request(method, url)
        wrong = await browser.request(method, url, headers={"X-CSRF-Token": "nope"})
        # Not ASCII: compared as bytes, never a TypeError from compare_digest.
        # Not ASCII: compared as bytes, never a TypeError from compare_digest.
        odd = await browser.request(method, url, headers={"X-CSRF-Token": "é".encode()})
        right = await browser.request(method, url, headers={"X-CSRF-Token": ticket.csrf_token})
    for refused in (missing, wrong, odd):
        assert refused.status_code == 403
        assert refused.json()["detail"] == CSRF_ERROR
    assert right.status_code == 200


async def test_csrf_form_field_works_and_the_route_still_reads_the_form(
    app: FastAPI, store: Store, alice: Principal
) -> None:
    """A plain HTML form may send csrf_token as a field; the route gets its own fields intact."""
    ticket = start_session(store.engine, alice, timedelta(hours=1))
    async with await _session_client(app, ticket.session_id) as browser:
        right = await browser.post("/notes", data={"csrf_token": ticket.csrf_token, "text": "hi"})
        wrong = await browser.post("/notes", data={"csrf_token": "forged", "text": "hi"})
        upload = await browser.post(
            "/uploads",
            data={"csrf_token": ticket.csrf_token},
            files={"file": ("p.txt", b"x" * 2048, "text/plain")},
        )
        bare = await browser.post(
            "/things",
            data={"csrf_token": ticket.csrf_token},
            files={"file": ("p.txt", b"y" * 1_100_000, "text/plain")},
        )
    assert right.status_code == 200 and right.json() == {"text": "hi"}
    assert wrong.status_code == 403
    assert upload.status_code == 200 and upload.json() == {"bytes": 2048}
    assert bare.status_code == 200


async def test_csrf_token_is_only_read_from_forms(
    app: FastAPI, store: Store, alice: Principal
) -> None:
    """A csrf_token inside a JSON body does not count: JSON clients send the header."""
    ticket = start_session(store.engine, alice, timedelta(hours=1))
    async with await _session_client(app, ticket.session_id) as browser:
        response = await browser.post("/things", json={"csrf_token": ticket.csrf_token})
    assert response.status_code == 403


async def test_expired_session_is_401(app: FastAPI, store: Store, alice: Principal) -> None:
    """A session past its expiry authenticates nobody."""
    ticket = start_session(
        store.engine, alice, timedelta(hours=1), now=datetime.now(UTC) - timedelta(hours=2)
    )
    async with await _session_client(app, ticket.session_id) as browser:
        assert (await browser.get("/things")).status_code == 401


async def test_browser_navigation_without_session_is_sent_to_login(
    client: httpx.AsyncClient,
) -> None:
    """A browser GET asking for HTML without a session raises the lead's LoginRequired."""
    from jobintel.service.api.deps import LoginRequired

    with pytest.raises(LoginRequired):
        await client.get("/things", headers={"Accept": "text/html"})


async def test_login_sets_a_safe_cookie_and_logout_ends_the_session(
    client: httpx.AsyncClient, logs: pytest.LogCaptureFixture
) -> None:
    """Login sets jobintel_session (HttpOnly, SameSite, Path=/, Max-Age); logout kills it.

    Neither the password, the session id nor the CSRF token reaches the logs.
    """
    login = await client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    session_id = login.cookies[SESSION_COOKIE]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "secure" not in attributes  # the default settings serve loopback
    assert "max-age=43200" in cookie.lower() and "samesite=lax" in cookie.lower()
    csrf = login.json()["csrf_token"]
    assert (await client.get("/things")).json()["via"] == "session"
    logout = await client.post("/logout", headers={"X-CSRF-Token": csrf})
    assert logout.status_code == 204
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, session_id)  # a stolen copy of the old cookie
    assert (await client.get("/things")).status_code == 401
    for secret in (PASSWORD, session_id, csrf):
        assert secret not in logs.text
