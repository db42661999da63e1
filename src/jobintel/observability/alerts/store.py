"""Alert history in the store: episodes (``alerts``) and channel outcomes (``alert_deliveries``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from jobintel.observability.alerts.channels import Notification
from jobintel.store.alert_tables import AlertDeliveryRow, AlertRow


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


def _utc(at: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


class AlertHistory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, note: Notification) -> int | None:
        """Store ``note`` against its episode (opening one when firing); the episode's id.

        None when another process sharing the store got there first: the alert is already
        firing (its "firing" was sent) or already resolved. The caller sends nothing then, so
        a CLI run next to the service does not notify twice.
        """
        with self._engine.begin() as conn:
            active = conn.execute(
                select(AlertRow.id)
                .where(AlertRow.fingerprint == note.fingerprint, AlertRow.state == "firing")
                .order_by(AlertRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if (note.kind == "firing" and active is not None) or (
                note.kind == "resolved" and active is None
            ):
                return None
            if active is None:
                return int(
                    conn.execute(
                        insert(AlertRow)
                        .values(
                            fingerprint=note.fingerprint,
                            rule=note.rule,
                            subject=note.subject,
                            severity=note.severity,
                            state=note.status,
                            first_at=note.first_at,
                            last_sent_at=note.sent_at,
                            resolved_at=note.resolved_at,
                            sends=1,
                            message=note.message,
                        )
                        .returning(AlertRow.id)
                    ).scalar_one()
                )
            conn.execute(
                update(AlertRow)
                .where(AlertRow.id == active)
                .values(
                    state=note.status,
                    last_sent_at=note.sent_at,
                    resolved_at=note.resolved_at,
                    sends=AlertRow.sends + 1,
                    message=note.message,
                )
            )
            return int(active)

    def record_delivery(
        self,
        alert_id: int,
        note: Notification,
        *,
        channel: str,
        outcome: str,
        attempts: int,
        error: str | None,
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(AlertDeliveryRow).values(
                    alert_id=alert_id,
                    at=note.sent_at,
                    notification=note.kind,
                    channel=channel,
                    outcome=outcome,
                    attempts=attempts,
                    error=error,
                )
            )

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
            )
            for r in rows
        ]
