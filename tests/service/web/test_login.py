"""Logging in and out of the web UI: redirects, messages, throttling, CSRF."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from jobintel.service.app import create_app
from jobintel.service.auth.sessions import SESSION_COOKIE
from jobintel.service.web.forms import safe_next
from jobintel.service.web.login import LOGIN_CSRF_COOKIE
from jobintel.settings import Settings
from jobintel.store import Store
from tests.service.web.conftest import CSRF_INPUT, PASSWORD, client_for, make_user


async def _submit(
    client: httpx.AsyncClient, username: str, password: str, next_path: str = "/"
) -> httpx.Response:
    form = await client.get("/login", params={"next": next_path})
    token = CSRF_INPUT.search(form.text)
    assert token is not None
    return await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token.group(1),
            "next": next_path,
        },
    )


async def test_login_page_is_public_and_labelled(anonymous: httpx.AsyncClient) -> None:
    """The login page needs no session and labels both of its fields."""
    page = await anonymous.get("/login")
    assert page.status_code == 200
    assert '<label for="username">' in page.text
    assert '<label for="password">' in page.text
    assert 'action="/login"' in page.text


async def test_login_sets_an_httponly_session_and_goes_to_next(
    anonymous: httpx.AsyncClient, store: Store
) -> None:
    """Right credentials set an HttpOnly, SameSite session cookie and redirect to ``next``."""
    make_user(store)
    answer = await _submit(anonymous, "alice", PASSWORD, "/costs?days=7")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/costs?days=7"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    costs = await anonymous.get("/costs")
    assert costs.status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\tevil",
        "",
    ],
)
async def test_login_never_redirects_off_site(
    anonymous: httpx.AsyncClient, store: Store, target: str
) -> None:
    """A ``next`` that is not a same-site path sends the user to the dashboard instead."""
    make_user(store)
    answer = await _submit(anonymous, "alice", PASSWORD, target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_safe_next_keeps_local_paths_with_their_query() -> None:
    """Same-site paths (with query and fragment) pass through unchanged."""
    assert safe_next("/runs/abc?x=1#top") == "/runs/abc?x=1#top"
    assert safe_next("/") == "/"


async def test_wrong_password_says_so_without_naming_which_part(
    anonymous: httpx.AsyncClient, store: Store
) -> None:
    """A wrong password re-shows the form (401) with one message for name and password."""
    make_user(store)
    answer = await _submit(anonymous, "alice", "not the password at all")
    assert answer.status_code == 401
    assert "Wrong username or password." in answer.text
    assert SESSION_COOKIE not in answer.cookies


async def test_throttled_login_tells_how_long_to_wait(settings: Settings, store: Store) -> None:
    """Past the failed-login limit the form answers 429 and says how many seconds to wait."""
    make_user(store)
    strict = settings.model_copy(update={"login_attempts_per_minute": 2})
    app = create_app(strict, store=store)
    async with app.router.lifespan_context(app), client_for(app) as client:
        statuses = [
            (await _submit(client, "alice", "wrong password number x")).status_code
            for _ in range(3)
        ]
        throttled = await _submit(client, "alice", PASSWORD)
    assert statuses[:2] == [401, 401]
    assert throttled.status_code == 429
    assert re.search(r"Too many failed login attempts\. Wait \d+ seconds", throttled.text)
    assert throttled.headers["retry-after"].isdigit()


async def test_login_form_without_its_token_is_refused(
    anonymous: httpx.AsyncClient, store: Store
) -> None:
    """A login posted without the form's token (e.g. from another site) starts no session."""
    make_user(store)
    answer = await anonymous.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.cookies
    assert LOGIN_CSRF_COOKIE in answer.cookies  # a fresh form to try again with


async def test_logout_ends_the_session(app: FastAPI, store: Store) -> None:
    """Logging out (with the CSRF token) deletes the session: its cookie no longer works."""
    make_user(store)
    async with client_for(app) as client:
        await _submit(client, "alice", PASSWORD)
        session = client.cookies[SESSION_COOKIE]
        token = CSRF_INPUT.search((await client.get("/")).text)
        assert token is not None
        answer = await client.post("/logout", data={"csrf_token": token.group(1)})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"
    async with client_for(app) as replay:
        replay.cookies.set(SESSION_COOKIE, session)
        again = await replay.get("/")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")


async def test_logout_without_csrf_token_is_refused(app: FastAPI, store: Store) -> None:
    """A cross-site POST to /logout cannot end someone's session."""
    make_user(store)
    async with client_for(app) as client:
        await _submit(client, "alice", PASSWORD)
        answer = await client.post("/logout", data={})
        assert answer.status_code == 403
        assert (await client.get("/")).status_code == 200
