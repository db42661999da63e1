"""Alert history in the store: episodes (``alerts``) and channel outcomes (``alert_deliveries``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from jobintel.observability.alerts.channels import Notification
from jobintel.store.alert_tables import AlertDeliveryRow, AlertRow
from jobintel.store.guard_event_tables import GuardEventRow


@dataclass(frozen=True, kw_only=True)
class Delivery:
    channel: str
    notification: str
    outcome: str
    attempts: int
    error: str | None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class StoredAlert:
    id: int
    fingerprint: str
    rule: str
    subject: str
    severity: str
    state: str
    first_at: datetime
    last_sent_at: datetime
    resolved_at: datetime | None
    sends: int
    message: str
    deliveries: tuple[Delivery, ...]
    owner: str | None = None


def _utc(at: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


class AlertHistory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def open(self, note: Notification, *, owner: str) -> int | None:
        """Open a firing episode for ``note`` owned by ``owner``; its id.

        None when the fingerprint is already firing (another process sharing the store
        opened it first): the caller sends nothing. The partial unique index on firing
        fingerprints makes this atomic across processes.
        """
        try:
            with self._engine.begin() as conn:
                return int(
                    conn.execute(
                        insert(AlertRow)
                        .values(
                            fingerprint=note.fingerprint,
                            rule=note.rule,
                            subject=note.subject,
                            severity=note.severity,
                            state="firing",
                            first_at=note.first_at,
                            last_sent_at=note.sent_at,
                            resolved_at=None,
                            sends=1,
                            message=note.message,
                            owner=owner,
                        )
                        .returning(AlertRow.id)
                    ).scalar_one()
                )
        except IntegrityError:
            return None

    def repeat(self, note: Notification, *, owner: str, due: datetime) -> int | None:
        """Claim a repeat of ``owner``'s firing episode last sent at or before ``due``.

        None when the episode is not firing, belongs to another process, or another
        process already sent a repeat since ``due`` (so one repeat goes out per interval).
        """
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(AlertRow)
                .where(
                    AlertRow.fingerprint == note.fingerprint,
                    AlertRow.state == "firing",
                    AlertRow.owner == owner,
                    AlertRow.last_sent_at <= due,
                )
                .values(
                    last_sent_at=note.sent_at,
                    sends=AlertRow.sends + 1,
                    message=note.message,
                )
                .returning(AlertRow.id)
            ).scalar_one_or_none()
        return None if claimed is None else int(claimed)

    def resolve(
        self, note: Notification, *, owner: str | None = None
    ) -> tuple[int, datetime] | None:
        """Resolve the firing episode of ``note``'s fingerprint (only ``owner``'s when given);
        its id and when it started. None when nothing matching is firing: another process
        resolved it first, so exactly one process sends "resolved"."""
        query = update(AlertRow).where(
            AlertRow.fingerprint == note.fingerprint, AlertRow.state == "firing"
        )
        if owner is not None:
            query = query.where(AlertRow.owner == owner)
        with self._engine.begin() as conn:
            row = conn.execute(
                query.values(
                    state="resolved",
                    last_sent_at=note.sent_at,
                    resolved_at=note.resolved_at or note.sent_at,
                    sends=AlertRow.sends + 1,
                    message=note.message,
                ).returning(AlertRow.id, AlertRow.first_at)
            ).one_or_none()
        return None if row is None else (int(row.id), _utc(row.first_at))

    def adopt(self, alert_id: int, *, previous: str | None, owner: str) -> bool:
        """Take over a firing episode from ``previous`` (a process that ended or went quiet);
        False when it changed hands or resolved meanwhile."""
        query = update(AlertRow).where(AlertRow.id == alert_id, AlertRow.state == "firing")
        query = query.where(
            AlertRow.owner.is_(None) if previous is None else AlertRow.owner == previous
        )
        with self._engine.begin() as conn:
            return conn.execute(query.values(owner=owner)).rowcount == 1

    def is_firing(self, fingerprint: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(
                    select(AlertRow.id).where(
                        AlertRow.fingerprint == fingerprint, AlertRow.state == "firing"
                    )
                ).first()
                is not None
            )

    def record_delivery(self, alert_id: int, delivery: Delivery) -> None:
        """Add one channel's outcome to episode ``alert_id``."""
        with self._engine.begin() as conn:
            conn.execute(
                insert(AlertDeliveryRow).values(alert_id=alert_id, **dataclasses.asdict(delivery))
            )

    def last_guard_event_at(self, kind: str, subject: str) -> datetime | None:
        """When any process sharing the store last logged guard event ``kind`` about
        ``subject`` (the guard event log every run and the service write)."""
        with self._engine.connect() as conn:
            at = conn.execute(
                select(func.max(GuardEventRow.at)).where(
                    GuardEventRow.kind == kind, GuardEventRow.subject == subject
                )
            ).scalar()
        return None if at is None else _utc(at)

    def firing(self) -> list[StoredAlert]:
        """Every episode still firing (for an engine starting up)."""
        return self.recent(limit=10_000, state="firing")

    def recent(self, *, limit: int = 50, state: str | None = None) -> list[StoredAlert]:
        """Newest episodes first, each with its deliveries in order."""
        query = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
        if state is not None:
            query = query.where(AlertRow.state == state)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            deliveries: dict[int, list[Delivery]] = {i: [] for i in ids}
            if ids:
                for d in conn.execute(
                    select(AlertDeliveryRow)
                    .where(AlertDeliveryRow.alert_id.in_(ids))
                    .order_by(AlertDeliveryRow.id)
                ).all():
                    deliveries[d.alert_id].append(
                        Delivery(
                            channel=d.channel,
                            notification=d.notification,
                            outcome=d.outcome,
                            attempts=d.attempts,
                            error=d.error,
                            at=_utc(d.at),
                        )
                    )
        return [
            StoredAlert(
                id=r.id,
                fingerprint=r.fingerprint,
                rule=r.rule,
                subject=r.subject,
                severity=r.severity,
                state=r.state,
                first_at=_utc(r.first_at),
                last_sent_at=_utc(r.last_sent_at),
                resolved_at=None if r.resolved_at is None else _utc(r.resolved_at),
                sends=r.sends,
                message=r.message,
                deliveries=tuple(deliveries[r.id]),
                owner=r.owner,
            )
            for r in rows
        ]
