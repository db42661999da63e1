"""SSE over a real socket: uvicorn on loopback, a client that disconnects and comes back."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from jobintel.guard.budget import BudgetLimits
from jobintel.service import create_app
from jobintel.service.auth.tokens import create_token
from jobintel.service.executor import InProcessExecutor
from jobintel.settings import Settings
from jobintel.store import Store
from tests.service.api.conftest import CV, POSTINGS, parse_sse, service_settings


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a free port) in a thread."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def held_until(gate: threading.Event) -> Any:
    """A gateway factory that holds each run at its start until ``gate`` is set."""

    @asynccontextmanager
    async def factory(
        settings: Settings, store: Store, limits: BudgetLimits
    ) -> AsyncIterator[None]:
        await asyncio.to_thread(gate.wait, 30)
        yield None

    return factory


def _read_events(
    lines: Iterator[str], count: int, on_open: threading.Event
) -> list[dict[str, Any]]:
    """Read SSE lines until ``count`` events have arrived; set ``on_open`` at the first line."""
    block: list[str] = []
    events: list[dict[str, Any]] = []
    for line in lines:
        on_open.set()
        if line:
            block.append(line)
            continue
        events.extend(parse_sse("\n".join(block) + "\n\n"))
        block = []
        if len(events) >= count:
            break
    return events


def test_live_events_arrive_in_order_and_a_reconnect_replays_exactly_what_was_missed(
    tmp_path: Path,
) -> None:
    """Over a real socket a client connected before the run starts receives its first
    events live, in order; it disconnects mid-run, and reconnecting with Last-Event-ID
    yields exactly the events it missed, ending with run_finished."""
    settings = service_settings(tmp_path)
    store = Store.open(settings.effective_database_url)
    app = create_app(settings, store=store)
    token = create_token(store.engine, "sse", ["admin"])
    gate = threading.Event()
    try:
        with (
            live_server(app) as url,
            httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as client,
        ):
            app.state.executor = InProcessExecutor(
                store, settings, gateway_factory=held_until(gate)
            )
            cv_id = client.post("/api/candidates", files={"file": ("cv.md", CV.read_bytes())})
            path = POSTINGS / "northwind-platform-lead.md"
            posting = client.post("/api/postings", files={"file": (path.name, path.read_bytes())})
            submitted = client.post(
                "/api/runs",
                json={
                    "posting_ids": [posting.json()["postings"][0]["id"]],
                    "candidate_id": cv_id.json()["id"],
                },
            )
            assert submitted.status_code == 202
            run_id = submitted.json()["id"]

            with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                opened = threading.Event()
                starter = threading.Thread(target=lambda: opened.wait(30) and gate.set())
                starter.start()
                first = _read_events(stream.iter_lines(), 6, opened)
                starter.join()
            assert first[0]["event"] == "run_started"
            ids = [e["id"] for e in first]
            assert ids == sorted(ids)

            rest = parse_sse(
                client.get(
                    f"/api/runs/{run_id}/events", headers={"Last-Event-ID": str(ids[-1])}
                ).text
            )
            stored = [e.id for e in store.events(run_id)]
            assert [e["id"] for e in rest] == [i for i in stored if i > ids[-1]]
            assert ids + [e["id"] for e in rest] == stored
            assert rest[-1]["event"] == "run_finished"
            assert client.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"
    finally:
        gate.set()
        store.close()
