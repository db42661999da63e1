"""Rate-limiter and circuit-breaker state shared by every process using the store.

Times are epoch seconds (``time.time()``) as floats: the guard does arithmetic on them on
every call, and a double holds them to well under a microsecond.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jobintel.store.tables import Base


class RateLimitKeyRow(Base):
    """Per ``service[:model]`` key: the lock row, the 429 back-off, and reported limits."""

    __tablename__ = "rate_limit_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    not_before: Mapped[float] = mapped_column(Float, default=0.0)
    limit_requests: Mapped[int | None] = mapped_column(Integer, nullable=True)
    limit_tokens: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RateLimitGrantRow(Base):
    """One granted request (or usage a provider reported) in a key's sliding window."""

    __tablename__ = "rate_limit_grants"
    # AUTOINCREMENT on SQLite too: an id is never reused, so a late settle cannot hit
    # someone else's grant.
    __table_args__ = (
        Index("ix_rate_limit_grants_key_at", "key", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[float] = mapped_column(Float)
    requests: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[int] = mapped_column(BigInteger)


class RateLimitWaiterRow(Base):
    """A caller waiting its turn; ids give the first-come, first-served order."""

    __tablename__ = "rate_limit_waiters"
    __table_args__ = (
        Index("ix_rate_limit_waiters_key_id", "key", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    tokens: Mapped[int] = mapped_column(BigInteger)
    #: A waiter that stops refreshing this (its process died) loses its place.
    expires_at: Mapped[float] = mapped_column(Float)


class RateLimitDailyRow(Base):
    """Requests and credits a service used on one calendar day."""

    __tablename__ = "rate_limit_daily"

    service: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[int] = mapped_column(BigInteger, default=0)


class BreakerStateRow(Base):
    """One circuit breaker: its state and, while half-open, the probe in flight."""

    __tablename__ = "breaker_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    generation: Mapped[int] = mapped_column(Integer)
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    next_probe_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    probe_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    probe_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class BreakerCallRow(Base):
    """One counted call outcome, for the failure rate over the sliding window."""

    __tablename__ = "breaker_calls"
    __table_args__ = (Index("ix_breaker_calls_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[float] = mapped_column(Float)
    failed: Mapped[bool] = mapped_column(Boolean)
