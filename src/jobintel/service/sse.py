"""A run's progress events as Server-Sent Events: past ones replayed, then live ones.

Events are stored before they are published, so a stream subscribes first, replays
from the store after the client's last id, and then forwards live events it has not sent.
The bus may notify from worker threads: events cross into the stream's loop with
``call_soon_threadsafe``. Events written by other processes (``jobintel run`` on the same
database) are picked up from the store at every heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from jobintel.pipeline import EventKind
from jobintel.service.executor import FINISHED, Executor
from jobintel.store import EventRecord, Store

HEARTBEAT_S = 15.0
#: How long a browser's EventSource waits before reconnecting.
RETRY_MS = 2000


def sse_frame(record: EventRecord) -> str:
    """One event: ``id:`` the stored id, ``event:`` its kind, ``data:`` it as JSON."""
    data = json.dumps(
        {
            "id": record.id,
            "run_id": record.run_id,
            "job_id": record.job_id,
            "stage": record.stage,
            "kind": record.kind,
            "duration_ms": record.duration_ms,
            "message": record.message,
            "created_at": record.created_at.isoformat(),
        },
        separators=(",", ":"),
    )
    return f"id: {record.id}\nevent: {record.kind}\ndata: {data}\n\n"


async def run_events(
    store: Store,
    executor: Executor,
    run_id: str,
    *,
    after_id: int = 0,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[str]:
    """SSE text for ``run_id`` after ``after_id``; ends once the run has finished."""
    loop = asyncio.get_running_loop()
    live: asyncio.Queue[EventRecord] = asyncio.Queue()

    def forward(record: EventRecord) -> None:
        if record.run_id != run_id:
            return
        # RuntimeError: the stream's loop has closed, nobody is listening any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(live.put_nowait, record)

    unsubscribe = executor.subscribe(forward)
    last = after_id
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            # Replay (first pass) or catch up (after a heartbeat) from the store.
            batch = await asyncio.to_thread(store.events, run_id, after_id=last)
            for record in batch:
                yield sse_frame(record)
                last = record.id
            if (
                batch
                and batch[-1].kind == EventKind.RUN_FINISHED
                and not executor.is_active(run_id)
            ):
                return
            if await _finished(store, executor, run_id):
                # Events stored between the replay and the status check.
                for record in await asyncio.to_thread(store.events, run_id, after_id=last):
                    yield sse_frame(record)
                return
            while True:
                try:
                    await asyncio.wait_for(live.get(), heartbeat_s)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    break
                # A live event is only a wake-up: events are written from several threads,
                # so they can be announced out of id order; the store gives them in order.
                while not live.empty():
                    live.get_nowait()
                for record in await asyncio.to_thread(store.events, run_id, after_id=last):
                    yield sse_frame(record)
                    last = record.id
                    if record.kind == EventKind.RUN_FINISHED:
                        return
    finally:
        unsubscribe()


async def _finished(store: Store, executor: Executor, run_id: str) -> bool:
    """Nothing more will happen to the run unless someone resumes it."""
    if executor.is_active(run_id):
        return False
    run = await asyncio.to_thread(store.run, run_id)
    return run.status in FINISHED
