"""Progress of a run: a Server-Sent Events stream and a JSON snapshot."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from jobintel.service.api.deps import ExecutorDep, Reader, StoreDep
from jobintel.service.api.routes.runs import run_or_404
from jobintel.service.api.schemas import MAX_ID, Progress
from jobintel.service.problems import invalid, problem_responses
from jobintel.service.progress import run_progress
from jobintel.service.sse import HEARTBEAT_S, run_events
from jobintel.store import Store

router = APIRouter(
    prefix="/api/runs", tags=["progress"], responses=problem_responses(401, 403, 404, 422)
)

_STREAM = {
    200: {
        "description": "Stage events: `id:` the event id, `event:` its kind, `data:` JSON. "
        "Past events are replayed first; the stream ends after `run_finished`.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    response_model=None,
    responses=_STREAM,  # type: ignore[arg-type]
    summary="Server-Sent Events of the run's progress (honours Last-Event-ID)",
)
async def run_event_stream(
    run_id: str,
    request: Request,
    store: StoreDep,
    executor: ExecutorDep,
    _who: Reader,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Replay only events after this id")
    ] = None,
) -> StreamingResponse:
    await asyncio.to_thread(run_or_404, store, run_id)
    start = after or 0
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        if not text.isdigit() or int(text) > MAX_ID:
            raise invalid("Last-Event-ID", "expected the numeric id of an event")
        start = max(start, int(text))
    heartbeat = float(getattr(request.app.state, "sse_heartbeat_s", HEARTBEAT_S))
    return StreamingResponse(
        run_events(store, executor, run_id, after_id=start, heartbeat_s=heartbeat),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{run_id}/progress",
    response_model=Progress,
    summary="Percent done, per-stage counts and median durations, and each job's stages",
)
async def get_progress(run_id: str, store: StoreDep, _who: Reader) -> Progress:
    return await asyncio.to_thread(_progress, store, run_id)


def _progress(store: Store, run_id: str) -> Progress:
    run_or_404(store, run_id)
    return run_progress(store, run_id)
