"""Progress: SSE replay and resumption by Last-Event-ID, heartbeats, and the JSON snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from jobintel.pipeline import PIPELINE, EventBus, EventKind
from jobintel.service.executor import RunOptions, Subscriber
from jobintel.service.progress import run_progress
from jobintel.service.sse import run_events
from jobintel.store import EventRecord
from tests.service.api.conftest import POSTINGS, Api, parse_sse


async def _finished_run(api: Api) -> str:
    cv_id = await api.upload_cv()
    postings = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    postings += await api.add_postings(POSTINGS / "orbit-frontend.json")
    run_id = await api.submit(postings, cv_id)
    await api.finish(run_id)
    return run_id


async def test_events_replay_in_order_and_resume_after_last_event_id(api: Api) -> None:
    """The stream replays every stored event in id order, from run_started to run_finished;
    reconnecting with Last-Event-ID (or ?after=) yields exactly the events after it."""
    run_id = await _finished_run(api)
    stored = [e.id for e in api.store.events(run_id)]
    events = await api.events(run_id)
    assert [e["id"] for e in events] == stored
    assert events[0]["event"] == "run_started"
    assert events[-1]["event"] == "run_finished"
    assert all(e["event"] == e["data"]["kind"] for e in events)

    cut = stored[len(stored) // 2]
    resumed = await api.events(run_id, **{"Last-Event-ID": str(cut)})
    assert [e["id"] for e in resumed] == [i for i in stored if i > cut]
    query = await api.client.get(f"/api/runs/{run_id}/events?after={cut}", headers=api.auth())
    assert [e["id"] for e in parse_sse(query.text)] == [i for i in stored if i > cut]
    assert query.headers["content-type"].startswith("text/event-stream")
    assert await api.events(run_id, **{"Last-Event-ID": str(stored[-1])}) == []


async def test_a_bad_last_event_id_is_a_problem_naming_the_header(api: Api) -> None:
    """A Last-Event-ID that is not an event id is 422 naming the header; a missing run is 404."""
    run_id = await _finished_run(api)
    response = await api.client.get(
        f"/api/runs/{run_id}/events", headers={**api.auth(), "Last-Event-ID": "abc"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Last-Event-ID"
    missing = await api.client.get("/api/runs/nope/events", headers=api.auth())
    assert missing.status_code == 404


async def test_progress_reflects_stage_state_while_the_run_goes(api: Api) -> None:
    """Seen from inside the run (when the fit stage starts), progress shows fit running,
    ingest done, publish pending and a percent strictly between 0 and 100."""
    cv_id = await api.upload_cv()
    [posting] = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    snapshots = []

    def on_event(record: EventRecord) -> None:
        if record.kind == EventKind.STAGE_STARTED and record.stage == "fit":
            snapshots.append(run_progress(api.store, record.run_id))

    unsubscribe = api.executor.subscribe(on_event)
    run_id = await api.submit([posting], cv_id)
    await api.finish(run_id)
    unsubscribe()
    [during] = snapshots
    assert during.status == "running"
    assert 0 < during.percent < 100
    assert during.stages["fit"].running == 1
    assert during.stages["ingest"].done == 1
    assert during.jobs[0].stages["publish"] == "pending"
    assert during.jobs[0].stages["fit"] == "running"
    after = (await api.client.get(f"/api/runs/{run_id}/progress", headers=api.auth())).json()
    assert after["percent"] == 100.0
    assert set(after["stages"]) == set(PIPELINE.names)
    assert all(s["p50_ms"] is not None for s in after["stages"].values())


class FakeExecutor:
    """An executor with a live run and a bus of its own: the stream's view of the world."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.active = True

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        return self.bus.subscribe(subscriber)

    def is_active(self, run_id: str) -> bool:
        return self.active

    async def start(self) -> None: ...

    async def submit(self, run_id: str, options: RunOptions) -> None: ...
    async def cancel(self, run_id: str) -> bool:
        return False

    async def resume(self, run_id: str) -> None: ...
    async def rerun(self, run_id: str, stage: str, job_ids: Sequence[int] = ()) -> None: ...
    async def aclose(self) -> None: ...


async def test_a_quiet_stream_sends_heartbeats_and_live_events_from_other_threads(
    api: Api,
) -> None:
    """While nothing happens the stream sends comment heartbeats; an event published from
    a worker thread arrives in the stream, and run_finished ends it."""
    cv_id = await api.upload_cv()
    run_id = api.store.create_run(candidate_id=cv_id, out_dir=str(api.settings.out_dir), jobs=[])
    executor = FakeExecutor(EventBus(api.store))
    stream = run_events(api.store, executor, run_id, heartbeat_s=0.01)
    assert (await anext(stream)).startswith("retry:")
    assert await anext(stream) == ": heartbeat\n\n"
    await asyncio.to_thread(executor.bus.publish, run_id, EventKind.RUN_STARTED, message="1 job(s)")
    frames = [await anext(stream)]
    while not frames[-1].startswith("id:"):
        frames.append(await anext(stream))
    assert "event: run_started" in frames[-1]
    executor.active = False
    api.store.set_run_status(run_id, "succeeded")
    await asyncio.to_thread(executor.bus.publish, run_id, EventKind.RUN_FINISHED, message="done")
    rest = [frame async for frame in stream]
    assert "event: run_finished" in rest[-1]
