"""Progress events: persisted first, then fanned out to live subscribers (CLI, SSE)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum

from jobintel.store import EventRecord, Store

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    RUN_STARTED = "run_started"
    RUN_FINISHED = "run_finished"
    JOB_STARTED = "job_started"
    JOB_FINISHED = "job_finished"
    STAGE_STARTED = "stage_started"
    STAGE_SUCCEEDED = "stage_succeeded"
    STAGE_DEGRADED = "stage_degraded"
    STAGE_FAILED = "stage_failed"
    STAGE_SKIPPED = "stage_skipped"
    STAGE_RESTORED = "stage_restored"
    INPUT_ERROR = "input_error"
    DUPLICATE = "duplicate"


#: Stage events that end a stage for a job.
STAGE_TERMINAL = frozenset(
    {
        EventKind.STAGE_SUCCEEDED,
        EventKind.STAGE_DEGRADED,
        EventKind.STAGE_FAILED,
        EventKind.STAGE_SKIPPED,
        EventKind.STAGE_RESTORED,
    }
)

Subscriber = Callable[[EventRecord], None]


class EventBus:
    """Writes each event to the store, then hands the stored record to every subscriber.

    Persisting first means a subscriber that reconnects (SSE ``Last-Event-ID``) can replay
    from the store and never misses an event it was shown live.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(
        self,
        run_id: str,
        kind: EventKind,
        *,
        job_id: int | None = None,
        stage: str | None = None,
        duration_ms: float | None = None,
        message: str = "",
    ) -> EventRecord:
        record = self._store.append_event(
            run_id=run_id,
            kind=kind.value,
            job_id=job_id,
            stage=stage,
            duration_ms=duration_ms,
            message=message,
        )
        self.notify(record)
        return record

    async def apublish(
        self,
        run_id: str,
        kind: EventKind,
        *,
        job_id: int | None = None,
        stage: str | None = None,
        duration_ms: float | None = None,
        message: str = "",
    ) -> EventRecord:
        """``publish`` from async code: the store write runs in a worker thread, so a
        server's event loop keeps serving while a run writes its progress."""
        record = await asyncio.to_thread(
            self._store.append_event,
            run_id=run_id,
            kind=kind.value,
            job_id=job_id,
            stage=stage,
            duration_ms=duration_ms,
            message=message,
        )
        self.notify(record)
        return record

    def notify(self, record: EventRecord) -> None:
        """Hand an already-stored event (e.g. committed with a checkpoint) to subscribers."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(record)
            except Exception:
                # A broken display must never break a run.
                log.exception("progress subscriber failed", extra={"run_id": record.run_id})
