"""schemathesis against the served OpenAPI spec: no generated request gets a 5xx.

The real app runs under uvicorn on loopback with a real SQLite store (a posting, a CV
and a finished run in it, so ids can hit real rows); every operation is called with an
admin token, so requests get past authentication to the handlers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from jobintel.service import create_app
from jobintel.service.auth.tokens import create_token
from jobintel.settings import load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, admin token) of the app served on 127.0.0.1 with a seeded store."""
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app_settings = load_settings(
        data_dir=tmp / "data", out_dir=tmp / "out", strategy="deterministic"
    )
    store = Store.open(app_settings.effective_database_url)
    token = create_token(store.engine, "fuzz", ["admin"])
    app = create_app(app_settings, store=store)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    asyncio.run(_seed(url, token))
    try:
        yield url, token
    finally:
        server.should_exit = True
        thread.join()
        store.close()


async def _seed(url: str, token: str) -> None:
    import httpx

    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=60) as client:
        cv = (EXAMPLES / "master-cv.md").read_bytes()
        candidate = (await client.post("/api/candidates", files={"file": ("cv.md", cv)})).json()
        posting = (EXAMPLES / "postings" / "northwind-platform-lead.md").read_bytes()
        created = (await client.post("/api/postings", files={"file": ("p.md", posting)})).json()
        body = {
            "posting_ids": [p["id"] for p in created["postings"]],
            "candidate_id": candidate["id"],
        }
        run = (await client.post("/api/runs", json=body)).json()
        async with client.stream("GET", f"/api/runs/{run['id']}/events") as events:
            async for _ in events.aiter_lines():
                pass


def test_no_generated_request_gets_a_server_error(live: tuple[str, str]) -> None:
    """Whatever schemathesis sends to any operation, the service never answers 5xx."""
    url, token = live
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # every resource is in the spec
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            if case.path.endswith("/events"):
                case.query = {**(case.query or {}), "after": 10**9}  # ends at once
            response = case.call(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            calls.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        call()
    assert len(calls) >= 5 * len(operations)
    assert {200, 201, 202}.intersection(calls) and {404, 422}.intersection(calls)
