"""Budget tables: one row per budget scope, one per open (or expired) reservation.

Money is exact: ``NUMERIC(18, 9)`` on PostgreSQL and a decimal string on SQLite, whose
driver would otherwise round-trip through float. Both hold amounts to 1e-9 USD.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Numeric, TypeDecorator, TypeEngine

from jobintel.store.tables import Base, utcnow

NANO_USD = Decimal("0.000000001")


class Money(TypeDecorator[Decimal]):
    """USD as ``Decimal``, exact to 1e-9 on every backend."""

    impl = Numeric(18, 9)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 9, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value).quantize(NANO_USD)
        return format(exact, "f") if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value) if isinstance(value, str) else Decimal(str(value))


class BudgetScopeRow(Base):
    """Limits and running totals of one budget scope (``day:2026-11-29``, ``run:<id>``…)."""

    __tablename__ = "budget_scopes"
    __table_args__ = (Index("ix_budget_scopes_kind_updated_at", "kind", "updated_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    limit_usd: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    limit_tokens: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    spent_usd: Mapped[Decimal] = mapped_column(Money)
    spent_tokens: Mapped[int] = mapped_column(BigInteger)
    reserved_usd: Mapped[Decimal] = mapped_column(Money)
    reserved_tokens: Mapped[int] = mapped_column(BigInteger)
    #: Highest alert threshold (percent: 0, 80 or 100) already announced for this scope.
    thresholds_fired: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BudgetReservationRow(Base):
    """A worst-case amount held against several scopes until it is settled or released."""

    __tablename__ = "budget_reservations"
    __table_args__ = (Index("ix_budget_reservations_state_expires_at", "state", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope_keys: Mapped[list[str]] = mapped_column(JSON)
    amount_usd: Mapped[Decimal] = mapped_column(Money)
    tokens: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str] = mapped_column(String(200))
    #: "open" while held; "expired" once reclaimed from a holder that never came back.
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Seconds since the epoch on the shared wall clock of the budget's users.
    expires_at: Mapped[float] = mapped_column(Float)
