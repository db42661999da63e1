"""Fixtures for the web UI tests: the real app on a real SQLite store, and logged-in clients."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from jobintel.service import queries
from jobintel.service.app import create_app
from jobintel.service.auth import Principal
from jobintel.service.auth.sessions import SESSION_COOKIE, start_session
from jobintel.service.auth.users import add_user
from jobintel.service.executor import FINISHED
from jobintel.settings import Settings, load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Deterministic strategies, so runs make no model calls."""
    return load_settings(
        data_dir=tmp_path / "data", out_dir=tmp_path / "out", strategy="deterministic"
    )


def cheap_hasher() -> PasswordHasher:
    """argon2id at minimal cost: the tests check behaviour, not hashing strength."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def make_user(store: Store, name: str = "alice", scopes: tuple[str, ...] = ("run",)) -> str:
    add_user(store.engine, name, PASSWORD, scopes, hasher=cheap_hasher())
    return name


@pytest.fixture
async def app(settings: Settings, store: Store) -> AsyncIterator[FastAPI]:
    application = create_app(settings, store=store)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1",
        headers={"accept": "text/html"},
    )


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


async def logged_in(app: FastAPI, store: Store, name: str) -> httpx.AsyncClient:
    """A client holding a session cookie for user ``name`` (started through the auth API)."""
    ticket = start_session(
        store.engine,
        Principal(name=name, scopes=frozenset(), via="session"),
        timedelta(hours=1),
    )
    client = client_for(app)
    client.cookies.set(SESSION_COOKIE, ticket.session_id)
    return client


@pytest.fixture
async def browser_client(app: FastAPI, store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in client of a user with the ``run`` scope."""
    async with await logged_in(app, store, make_user(store)) as client:
        yield client


async def csrf_of(client: httpx.AsyncClient, path: str = "/jobs") -> str:
    """The CSRF token the page at ``path`` puts in its forms."""
    page = await client.get(path)
    found = CSRF_INPUT.search(page.text)
    assert found is not None, f"{path} has no form with a csrf_token"
    return found.group(1)


async def wait_until_finished(store: Store, run_id: str) -> str:
    """Yield to the app's executor until the run ends; its final status."""
    for _ in range(1200):
        status = store.run(run_id).status
        if status in FINISHED:
            return status
        await asyncio.sleep(0.025)
    raise AssertionError(f"run {run_id} did not finish: still {store.run(run_id).status}")


async def start_example_run(client: httpx.AsyncClient, store: Store) -> str:
    """Add the example posting and CV through the UI's forms, start a run, wait for it."""
    csrf = await csrf_of(client)
    text = (EXAMPLES / "postings" / "northwind-platform-lead.md").read_text(encoding="utf-8")
    added = await client.post("/jobs/paste", data={"text": text, "csrf_token": csrf})
    assert added.status_code == 303, added.text
    cv = (EXAMPLES / "master-cv.md").read_bytes()
    uploaded = await client.post(
        "/jobs/cv", data={"csrf_token": csrf}, files={"file": ("master-cv.md", cv)}
    )
    assert uploaded.status_code == 303, uploaded.text
    candidate = int(uploaded.headers["location"].split("cv=")[1].split("#")[0])
    rows, _ = queries.posting_page(store.engine, limit=1, offset=0)
    started = await client.post(
        "/jobs/run",
        data={
            "posting_id": str(rows[0].id),
            "candidate_id": str(candidate),
            "strategy": "deterministic",
            "csrf_token": csrf,
        },
    )
    assert started.status_code == 303, started.text
    run_id = started.headers["location"].rsplit("/", 1)[1]
    await wait_until_finished(store, run_id)
    return run_id
