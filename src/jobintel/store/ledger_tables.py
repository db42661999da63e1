"""The cost ledger table: one row per attempt at an external call.

Money is stored as whole nano-dollars (BIGINT), so rows and their SUMs are exact on
SQLite and PostgreSQL alike; the ORM attribute is a ``Decimal`` in USD.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Dialect, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from jobintel.store.tables import Base

_NANO = Decimal("0.000000001")


class NanoUSD(TypeDecorator[Decimal]):
    """USD as ``Decimal`` in Python, whole nano-dollars (rounded up) in the database."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(Decimal(value).quantize(_NANO, rounding=ROUND_CEILING).scaleb(9))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # SUM over BIGINT comes back as NUMERIC on PostgreSQL: Decimal() takes both.
        return Decimal(value).scaleb(-9).quantize(_NANO)


class LedgerRow(Base):
    """What one attempt was, what it used and cost, and how it ended."""

    __tablename__ = "cost_ledger"
    __table_args__ = (
        Index("ix_cost_ledger_day", "day"),
        Index("ix_cost_ledger_run_id_job_id", "run_id", "job_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Calendar day of ``at`` (YYYY-MM-DD) in the budgets' time zone when written (UTC by
    #: default), so reports group by budget day, the same on every backend.
    day: Mapped[str] = mapped_column(String(10))
    # No foreign keys: money spent stays on the books whatever happens to the run.
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    candidate_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    operation: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    cached_read_tokens: Mapped[int] = mapped_column(Integer)
    cache_write_tokens: Mapped[int] = mapped_column(Integer)
    reasoning_tokens: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer)
    cost_nanousd: Mapped[Decimal] = mapped_column(NanoUSD)
    cost_source: Mapped[str] = mapped_column(String(16))
    reserved_nanousd: Mapped[Decimal] = mapped_column(NanoUSD)
    latency_ms: Mapped[float] = mapped_column(Float)
    #: "ok", or the error's class name (ProviderTimeout, BudgetExceeded, ...).
    outcome: Mapped[str] = mapped_column(String(64))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    breaker_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    degraded: Mapped[bool] = mapped_column(Boolean)
    anomaly: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
