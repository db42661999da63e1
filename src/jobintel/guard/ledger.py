"""The cost ledger: one row per attempt at an external call, and reports over them.

``CostLedger`` writes to the store's database (SQLite or PostgreSQL); ``InMemoryCostLedger``
keeps rows in a list for tests and one-off runs. Every method is synchronous and short:
from async code call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal, Protocol, get_args

from sqlalchemy import Engine, case, func, insert, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import ColumnElement

from jobintel.guard.tokens import normalise_usage
from jobintel.providers.base import Usage
from jobintel.store.ledger_tables import LedgerRow

__all__ = [
    "SUMMARY_DIMENSIONS",
    "CostLedger",
    "CostRow",
    "InMemoryCostLedger",
    "Ledger",
    "LedgerEntry",
    "SummaryBy",
    "short_error",
]

Operation = Literal["chat", "search", "scrape"]
SummaryBy = Literal["day", "provider", "model", "stage", "job", "run"]
SUMMARY_DIMENSIONS: tuple[SummaryBy, ...] = get_args(SummaryBy)
NO_KEY = "(none)"
ZERO = Decimal(0)
_NANO = Decimal("0.000000001")  # the guard's money unit, as in pricing.USD_QUANTUM
_ERROR_CHARS = 300


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    """One attempt: who asked, what was called, what it used and cost, how it ended.

    Token counts are normalised sub-counts: ``input_tokens`` includes the cached-read and
    cache-write tokens, ``output_tokens`` the reasoning tokens. ``at`` is stored in UTC;
    ``error`` is cut short and scrubbed of anything that looks like a credential.
    """

    service: str
    operation: Operation
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    run_id: str | None = None
    job_id: int | None = None
    stage: str | None = None
    candidate_id: int | None = None
    model: str | None = None
    attempt: int = 1
    input_tokens: int = 0
    output_tokens: int = 0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    credits: int = 0
    cost_usd: Decimal = ZERO
    #: Where ``cost_usd`` came from (``CostResult.source``), or "none" for failed attempts.
    cost_source: str = "none"
    reserved_usd: Decimal = ZERO
    latency_ms: float = 0.0
    #: "ok", or the error's class name.
    outcome: str = "ok"
    http_status: int | None = None
    breaker_state: str | None = None
    degraded: bool = False
    anomaly: str | None = None
    error: str | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        at = self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)
        object.__setattr__(self, "at", at.astimezone(UTC))
        for name in ("cost_usd", "reserved_usd"):
            amount = Decimal(getattr(self, name)).quantize(_NANO, rounding=ROUND_CEILING)
            object.__setattr__(self, name, amount)
        if self.error is not None:
            object.__setattr__(self, "error", short_error(self.error))

    @classmethod
    def with_usage(cls, usage: Usage, **values: Any) -> LedgerEntry:
        """An entry whose token and credit counts come from ``usage``, normalised."""
        usage, _ = normalise_usage(usage)
        return cls(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_read_tokens=usage.cached_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            credits=usage.credits,
            **values,
        )

    def day(self, zone: tzinfo = UTC) -> str:
        """The calendar day of ``at`` in ``zone`` (the budgets' time zone), YYYY-MM-DD."""
        return self.at.astimezone(zone).date().isoformat()


@dataclass(frozen=True, kw_only=True)
class CostRow:
    """Attempts and spend for one key of a report (a day, a model, a job...)."""

    key: str
    calls: int
    failed: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    credits: int = 0


class Ledger(Protocol):
    """What the gateway writes to and the reports read from."""

    def record(self, entry: LedgerEntry) -> None: ...

    def summary(
        self, by: SummaryBy = "day", *, since: date | None = None, run_id: str | None = None
    ) -> list[CostRow]: ...

    def job_costs(self, run_id: str) -> dict[int, Decimal]: ...

    def entries(self, *, run_id: str | None = None) -> list[LedgerEntry]: ...


# One statement, compiled once: building it per row costs more than the write itself.
_INSERT = insert(LedgerRow)

# A group before sorting: its key, then calls, failed, input, output, credits, cost, first at.
_Group = tuple[str, int, int, int, int, int, Decimal, datetime]


class CostLedger:
    """The ledger in the store's database; safe to share between threads and processes."""

    #: record() does blocking database work: callers in async code use a worker thread.
    blocking = True

    def __init__(self, engine: Engine, *, zone: tzinfo = UTC) -> None:
        self._engine = engine
        #: Days are written in the budgets' time zone, so a report's day is a budget day.
        self._zone = zone

    def record(self, entry: LedgerEntry) -> None:
        values = {f.name: getattr(entry, f.name) for f in fields(entry)}
        values["cost_nanousd"] = values.pop("cost_usd")
        values["reserved_nanousd"] = values.pop("reserved_usd")
        values["day"] = entry.day(self._zone)
        with self._engine.begin() as conn:
            conn.execute(_INSERT, values)

    def summary(
        self, by: SummaryBy = "day", *, since: date | None = None, run_id: str | None = None
    ) -> list[CostRow]:
        """Calls, failures, tokens and cost per ``by`` key (days in the budgets' time zone,
        as recorded)."""
        columns = _group_columns(by)
        failed = func.sum(case((LedgerRow.outcome != "ok", 1), else_=0))
        query = select(
            *columns,
            func.count(),
            failed,
            func.sum(LedgerRow.input_tokens),
            func.sum(LedgerRow.output_tokens),
            func.sum(LedgerRow.credits),
            func.sum(LedgerRow.cost_nanousd),
            func.min(LedgerRow.at),
        ).group_by(*columns)
        if since is not None:
            query = query.where(LedgerRow.day >= since.isoformat())
        if run_id is not None:
            query = query.where(LedgerRow.run_id == run_id)
        width = len(columns)
        with self._engine.connect() as conn:
            groups = [
                (
                    _key(by, tuple(row[:width])),
                    *(int(n or 0) for n in row[width : width + 5]),
                    row[width + 5] or ZERO,
                    row[width + 6],
                )
                for row in conn.execute(query)
            ]
        return _rows(by, groups)

    def job_costs(self, run_id: str) -> dict[int, Decimal]:
        """Each job's total cost in one run, for the run summary."""
        query = (
            select(LedgerRow.job_id, func.sum(LedgerRow.cost_nanousd))
            .where(LedgerRow.run_id == run_id, LedgerRow.job_id.is_not(None))
            .group_by(LedgerRow.job_id)
        )
        with self._engine.connect() as conn:
            return {job: cost or ZERO for job, cost in conn.execute(query) if job is not None}

    def entries(self, *, run_id: str | None = None) -> list[LedgerEntry]:
        """Rows in the order they were written (all runs, or one)."""
        query = select(LedgerRow).order_by(LedgerRow.id)
        if run_id is not None:
            query = query.where(LedgerRow.run_id == run_id)
        with self._engine.connect() as conn:
            return [_entry(row._mapping) for row in conn.execute(query)]


class InMemoryCostLedger:
    """The same ledger in a list: for tests and runs without a store."""

    blocking = False

    def __init__(self, *, zone: tzinfo = UTC) -> None:
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()
        self._zone = zone

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def summary(
        self, by: SummaryBy = "day", *, since: date | None = None, run_id: str | None = None
    ) -> list[CostRow]:
        selected = [
            e
            for e in self.entries(run_id=run_id)
            if since is None or e.day(self._zone) >= since.isoformat()
        ]
        buckets: dict[str, list[LedgerEntry]] = {}
        for entry in selected:
            buckets.setdefault(_key(by, _group_values(by, entry, self._zone)), []).append(entry)
        groups: list[_Group] = [
            (
                key,
                len(group),
                sum(1 for e in group if e.outcome != "ok"),
                sum(e.input_tokens for e in group),
                sum(e.output_tokens for e in group),
                sum(e.credits for e in group),
                sum((e.cost_usd for e in group), ZERO),
                min(e.at for e in group),
            )
            for key, group in buckets.items()
        ]
        return _rows(by, groups)

    def job_costs(self, run_id: str) -> dict[int, Decimal]:
        costs: dict[int, Decimal] = {}
        for entry in self.entries(run_id=run_id):
            if entry.job_id is not None:
                costs[entry.job_id] = costs.get(entry.job_id, ZERO) + entry.cost_usd
        return costs

    def entries(self, *, run_id: str | None = None) -> list[LedgerEntry]:
        with self._lock:
            return [e for e in self._entries if run_id is None or e.run_id == run_id]


def _group_columns(by: SummaryBy) -> Sequence[ColumnElement[Any] | QueryableAttribute[Any]]:
    if by == "day":
        return [LedgerRow.day]
    if by == "provider":
        return [LedgerRow.service]
    if by == "model":
        return [LedgerRow.service, func.coalesce(LedgerRow.model, LedgerRow.operation)]
    if by == "stage":
        return [LedgerRow.stage]
    if by == "job":
        return [LedgerRow.job_id]
    return [LedgerRow.run_id]


def _group_values(by: SummaryBy, entry: LedgerEntry, zone: tzinfo) -> tuple[object, ...]:
    if by == "day":
        return (entry.day(zone),)
    if by == "provider":
        return (entry.service,)
    if by == "model":
        return (entry.service, entry.model or entry.operation)
    if by == "stage":
        return (entry.stage,)
    if by == "job":
        return (entry.job_id,)
    return (entry.run_id,)


def _key(by: SummaryBy, values: tuple[object, ...]) -> str:
    if by == "model":
        return f"{values[0]}:{values[1]}"
    return NO_KEY if values[0] is None else str(values[0])


def _rows(by: SummaryBy, groups: Iterable[_Group]) -> list[CostRow]:
    """Days in order, runs and jobs in the order they started, the rest dearest first."""
    if by == "day":
        ordered = sorted(groups, key=lambda g: g[0])
    elif by in ("run", "job"):
        ordered = sorted(groups, key=lambda g: (_naive_utc(g[7]), g[0]))
    else:
        ordered = sorted(groups, key=lambda g: (-g[6], g[0]))
    return [
        CostRow(
            key=key,
            calls=calls,
            failed=failed,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            credits=credits,
            cost_usd=cost,
        )
        for key, calls, failed, input_tokens, output_tokens, credits, cost, _ in ordered
    ]


def _naive_utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones.
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _entry(row: Any) -> LedgerEntry:
    values = {f.name: row[f.name] for f in fields(LedgerEntry) if f.name in row}
    values["cost_usd"] = row["cost_nanousd"]
    values["reserved_usd"] = row["reserved_nanousd"]
    return LedgerEntry(**values)


_SECRETS = (
    (re.compile(r"\b(sk|pk|rk|fc)-[A-Za-z0-9_\-]{6,}"), r"\1-***"),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), r"\1***"),
    (
        re.compile(
            r"(?i)\b(api[_-]?key|x-api-key|token|secret|password|authorization)"
            r"([\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"
        ),
        r"\1\2***",
    ),
    (re.compile(r"(://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),
)


def short_error(text: str) -> str:
    """One line of at most 300 characters with credential-looking values masked."""
    line = " ".join(text.split())
    for pattern, masked in _SECRETS:
        line = pattern.sub(masked, line)
    return line if len(line) <= _ERROR_CHARS else line[: _ERROR_CHARS - 1] + "…"
