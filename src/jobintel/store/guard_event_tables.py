"""Guard events as they happened: budget thresholds, breaker transitions, refusals, anomalies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jobintel.store.tables import Base


class GuardEventRow(Base):
    __tablename__ = "guard_events"
    __table_args__ = (
        Index("ix_guard_events_at", "at"),
        # The latest event of a kind about a subject (alerts read it to tell a quiet spell).
        Index("ix_guard_events_kind_subject_at", "kind", "subject", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
