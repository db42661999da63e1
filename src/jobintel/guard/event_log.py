"""Guard events kept in the store (for ``jobintel`` commands, the UI and alerts) and logged."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from jobintel.guard.events import GuardEvent
from jobintel.store.guard_event_tables import GuardEventRow

log = logging.getLogger("jobintel.guard")
_LEVEL = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}


@dataclass(frozen=True, kw_only=True)
class StoredGuardEvent:
    id: int
    at: datetime
    kind: str
    subject: str
    severity: str
    message: str


class GuardEventLog:
    """An ``EventSink`` that logs each guard event and persists it in the store.

    Components emit events from inside the event loop, so the database write happens on a
    writer thread: a slow or locked database never stalls a call. ``flush`` waits for the
    writes; ``close`` flushes and stops the thread.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self._queue: queue.Queue[GuardEvent | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, event: GuardEvent) -> None:
        log.log(
            _LEVEL.get(event.severity, logging.WARNING),
            "%s %s: %s",
            event.kind,
            event.subject,
            event.message,
            extra={"guard_event": event.kind, "subject": event.subject},
        )
        if self._engine is None:
            return
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_all, name="jobintel-guard-events", daemon=True
                )
                self._writer.start()
        self._queue.put(event)

    def _write_all(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                self._write(event)
            finally:
                self._queue.task_done()

    def _write(self, event: GuardEvent) -> None:
        assert self._engine is not None
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(GuardEventRow).values(
                        at=event.at.astimezone(UTC),
                        kind=event.kind,
                        subject=event.subject,
                        severity=event.severity,
                        message=event.message,
                        data={k: str(v) for k, v in event.data.items()},
                    )
                )
        except Exception:
            # An event that cannot be stored must never break the call that raised it.
            log.exception("could not store guard event %s", event.kind)

    def flush(self) -> None:
        """Wait until every event emitted so far is stored."""
        if self._writer is not None:
            self._queue.join()

    def close(self) -> None:
        """Flush and stop the writer thread."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join()

    def recent(self, *, limit: int = 50, kinds: list[str] | None = None) -> list[StoredGuardEvent]:
        if self._engine is None:
            return []
        self.flush()
        query = select(GuardEventRow).order_by(GuardEventRow.id.desc()).limit(limit)
        if kinds:
            query = query.where(GuardEventRow.kind.in_(kinds))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StoredGuardEvent(
                id=r.id,
                at=r.at,
                kind=r.kind,
                subject=r.subject,
                severity=r.severity,
                message=r.message,
            )
            for r in rows
        ]
