"""The real app on a real SQLite store, driven in-process through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from jobintel.guard.budget import BudgetLimits
from jobintel.guard.gateway import Gateway
from jobintel.service import create_app
from jobintel.service.auth.tokens import create_token
from jobintel.service.executor import InProcessExecutor
from jobintel.settings import Settings, load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES

CV = EXAMPLES / "master-cv.md"
POSTINGS = EXAMPLES / "postings"
FINISHED = {"succeeded", "failed", "partial", "cancelled", "interrupted"}


@dataclass
class Api:
    """The app, a client for it, its store, and one token per scope."""

    app: FastAPI
    client: httpx.AsyncClient
    store: Store
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, scope: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    @property
    def executor(self) -> InProcessExecutor:
        executor: InProcessExecutor = self.app.state.executor
        return executor

    async def upload_cv(self, path: Path = CV) -> int:
        response = await self.client.post(
            "/api/candidates", headers=self.auth(), files={"file": (path.name, path.read_bytes())}
        )
        assert response.status_code in (200, 201), response.text
        candidate_id: int = response.json()["id"]
        return candidate_id

    async def add_postings(self, path: Path) -> list[int]:
        response = await self.client.post(
            "/api/postings", headers=self.auth(), files={"file": (path.name, path.read_bytes())}
        )
        assert response.status_code == 201, response.text
        return [p["id"] for p in response.json()["postings"]]

    async def submit(self, posting_ids: list[int], candidate_id: int, **extra: Any) -> str:
        body = {"posting_ids": posting_ids, "candidate_id": candidate_id, **extra}
        response = await self.client.post("/api/runs", headers=self.auth(), json=body)
        assert response.status_code == 202, response.text
        run_id: str = response.json()["id"]
        return run_id

    async def events(self, run_id: str, **headers: str) -> list[dict[str, Any]]:
        """The run's SSE stream read to its end (it ends after ``run_finished``)."""
        response = await self.client.get(
            f"/api/runs/{run_id}/events", headers={**self.auth("read"), **headers}
        )
        assert response.status_code == 200, response.text
        return parse_sse(response.text)

    async def run(self, run_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/runs/{run_id}", headers=self.auth("read"))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def finish(self, run_id: str) -> dict[str, Any]:
        """Wait for the run to end by following its events, then read it."""
        await self.events(run_id)
        return await self.run(run_id)


def parse_sse(text: str) -> list[dict[str, Any]]:
    """SSE text as ``{"id", "event", "data"}`` dicts (comments and ``retry:`` left out)."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            events.append(
                {
                    "id": int(fields["id"]),
                    "event": fields["event"],
                    "data": json.loads(fields["data"]),
                }
            )
    return events


def service_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"strategy": "deterministic", **overrides}
    return load_settings(data_dir=tmp_path / "data", out_dir=tmp_path / "out", **values)


@asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[Api]:
    store = Store.open(settings.effective_database_url)
    app = create_app(settings, store=store)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                api = Api(app=app, client=client, store=store, settings=settings)
                for scope in ("read", "run", "admin"):
                    api.tokens[scope] = create_token(store.engine, f"test-{scope}", [scope])
                yield api
    finally:
        store.close()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(service_settings(tmp_path)) as opened:
        yield opened


GatewayFactory = Callable[[Settings, Store, BudgetLimits], AbstractAsyncContextManager[None]]


def gated(gate: asyncio.Event, *, first_only: bool = True) -> GatewayFactory:
    """A gateway factory (no gateway: deterministic runs) that holds the first run at its
    start until ``gate`` is set; the run keeps its worker slot meanwhile."""
    calls = 0

    @asynccontextmanager
    async def factory(
        settings: Settings, store: Store, limits: BudgetLimits
    ) -> AsyncIterator[None]:
        nonlocal calls
        calls += 1
        if calls == 1 or not first_only:
            await gate.wait()
        yield None

    return factory


def use_executor(
    api: Api, factory: Callable[..., AbstractAsyncContextManager[Gateway | None]]
) -> None:
    """Swap the app's executor for one with this gateway factory (before any run)."""
    api.app.state.executor = InProcessExecutor(api.store, api.settings, gateway_factory=factory)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog seeing every ``jobintel`` record at DEBUG, even after ``configure_logging``."""
    logger = logging.getLogger("jobintel")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
