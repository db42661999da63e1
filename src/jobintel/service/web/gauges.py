"""Budget gauges: each budget's spend against its limit, as the dashboard draws them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from jobintel.guard.budget_rules import ScopeTotals, status_of
from jobintel.guard.budget_types import BudgetLimits, BudgetStatus, scopes_for

_KIND_LABELS = {
    "day": "Today",
    "month": "This month",
    "run": "Run",
    "candidate": "Candidate",
    "job": "Job",
    "stage": "Stage",
}
#: The dashboard shows these kinds, broadest first.
_ORDER = ("day", "month", "candidate", "run")


@dataclass(frozen=True, kw_only=True)
class Gauge:
    """One budget: ``<meter min=0 max=limit value=spent low=.. high=.. optimum=0>``."""

    key: str
    label: str
    limit_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    pct: float

    @property
    def value(self) -> Decimal:
        """The meter's value: spent, capped at the limit (a meter cannot go past max)."""
        return min(self.spent_usd, self.limit_usd)

    @property
    def low(self) -> Decimal:
        return self.limit_usd * Decimal("0.8")

    @property
    def high(self) -> Decimal:
        return self.limit_usd * Decimal("0.95")

    @property
    def level(self) -> str:
        return "critical" if self.pct >= 100 else "warning" if self.pct >= 80 else "info"


def budget_gauges(
    stored: Iterable[BudgetStatus],
    limits: BudgetLimits,
    *,
    now: datetime,
    run_ids: Sequence[str] = (),
) -> list[Gauge]:
    """Gauges for today's and this month's budgets (always), candidates and ``run_ids``.

    Budgets without a USD limit have nothing to measure against and are left out; the
    current day and month show at zero before the first call of the period.
    """
    by_key = {status.key: status for status in stored}
    for scope in scopes_for(limits, now=now):
        if scope.kind in ("day", "month") and scope.key not in by_key:
            by_key[scope.key] = status_of(scope.key, ScopeTotals.fresh(scope))
    current = {s.key for s in scopes_for(limits, now=now) if s.kind in ("day", "month")}
    wanted_runs = {f"run:{run_id}" for run_id in run_ids}
    gauges = []
    for status in by_key.values():
        if status.limit_usd is None or status.limit_usd <= 0:
            continue
        keep = (
            status.key in current
            or status.kind == "candidate"
            or (status.kind == "run" and status.key in wanted_runs)
        )
        if keep:
            gauges.append(_gauge(status))
    gauges.sort(key=lambda g: (_ORDER.index(g.key.split(":", 1)[0]), g.key))
    return gauges


def _gauge(status: BudgetStatus) -> Gauge:
    limit = status.limit_usd or Decimal(0)
    kind, _, rest = status.key.partition(":")
    label = _KIND_LABELS.get(kind, kind.title())
    if kind in ("run", "candidate"):
        label = f"{label} {rest}"
    elif rest:
        label = f"{label} ({rest})"
    pct = status.pct if status.pct is not None else 0.0
    return Gauge(
        key=status.key,
        label=label,
        limit_usd=limit,
        spent_usd=status.spent_usd,
        reserved_usd=status.reserved_usd,
        pct=pct,
    )
