"""Guard events kept in the store (for ``jobintel`` commands, the UI and alerts) and logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

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
    """An ``EventSink`` that logs each guard event and persists it in the store."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

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
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(GuardEventRow).values(
                        at=event.at,
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

    def recent(self, *, limit: int = 50, kinds: list[str] | None = None) -> list[StoredGuardEvent]:
        if self._engine is None:
            return []
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
