"""The arithmetic of budgets, shared by every backend so they cannot disagree.

A backend loads the totals of the scopes involved (under its lock), applies these
functions, and writes the totals back; events are returned, never emitted here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from jobintel.guard.budget_types import (
    BudgetExceeded,
    BudgetScope,
    BudgetStatus,
    Reservation,
    format_usd,
    usd_up,
)
from jobintel.guard.events import GuardEvent

#: Alert thresholds, in percent of a scope's limit; each fires once per scope.
THRESHOLDS = (80, 100)


@dataclass(kw_only=True)
class ScopeTotals:
    """Mutable limits and totals of one tracked scope."""

    kind: str
    limit_usd: Decimal | None
    limit_tokens: int | None
    spent_usd: Decimal = Decimal(0)
    spent_tokens: int = 0
    reserved_usd: Decimal = Decimal(0)
    reserved_tokens: int = 0
    fired: int = 0  # highest threshold already announced

    @classmethod
    def fresh(cls, scope: BudgetScope) -> ScopeTotals:
        return cls(kind=scope.kind, limit_usd=scope.limit_usd, limit_tokens=scope.limit_tokens)

    def adopt_limits(self, scope: BudgetScope) -> bool:
        """Take the scope's current limits (settings may have changed); True if they did."""
        if (self.limit_usd, self.limit_tokens) == (scope.limit_usd, scope.limit_tokens):
            return False
        self.limit_usd, self.limit_tokens = scope.limit_usd, scope.limit_tokens
        # Announce only crossings that happen from now on, under the new limit.
        reached = [t for t in THRESHOLDS if (pct := used_pct(self)) is not None and pct >= t]
        self.fired = max(reached, default=0)
        return True


def to_usd(value: Decimal | int, name: str) -> Decimal:
    """A non-negative exact amount, rounded up to 1e-9 USD; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal amount in USD, got {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a non-negative amount in USD, got {value}")
    return usd_up(amount)


def check_tokens(tokens: int) -> None:
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        raise ValueError(f"tokens must be a non-negative integer, got {tokens!r}")


def first_refusal(
    scopes: Sequence[BudgetScope], totals: Mapping[str, ScopeTotals], amount: Decimal, tokens: int
) -> BudgetExceeded | None:
    """The refusal of the first scope that cannot cover the call: the call's own limit
    first, then the tracked scopes in the order given (most specific first)."""
    for scope in scopes:
        if scope.kind == "call" and (refusal := check_fits(scope, None, amount, tokens)):
            return refusal
    for scope in dedupe_tracked(scopes):
        if refusal := check_fits(scope, totals.get(scope.key), amount, tokens):
            return refusal
    return None


def dedupe_tracked(scopes: Sequence[BudgetScope]) -> list[BudgetScope]:
    """The scopes whose totals are kept, each key once (the first occurrence wins)."""
    seen: dict[str, BudgetScope] = {}
    for scope in scopes:
        if scope.tracked and scope.key not in seen:
            seen[scope.key] = scope
    return list(seen.values())


def check_fits(
    scope: BudgetScope, totals: ScopeTotals | None, amount: Decimal, tokens: int
) -> BudgetExceeded | None:
    """The refusal if holding ``amount``/``tokens`` would take ``scope`` past a limit."""
    if scope.kind == "call":
        totals = ScopeTotals.fresh(scope)  # one call on its own: nothing accumulates
    elif not scope.tracked or totals is None:
        return None
    if totals.limit_usd is not None and (
        totals.spent_usd + totals.reserved_usd + amount > totals.limit_usd
    ):
        return BudgetExceeded(
            scope,
            unit="usd",
            limit=totals.limit_usd,
            spent=totals.spent_usd,
            reserved=totals.reserved_usd,
            requested=amount,
        )
    if totals.limit_tokens is not None and (
        totals.spent_tokens + totals.reserved_tokens + tokens > totals.limit_tokens
    ):
        return BudgetExceeded(
            scope,
            unit="tokens",
            limit=Decimal(totals.limit_tokens),
            spent=Decimal(totals.spent_tokens),
            reserved=Decimal(totals.reserved_tokens),
            requested=Decimal(tokens),
        )
    return None


def apply_reserve(totals: ScopeTotals, amount: Decimal, tokens: int) -> None:
    totals.reserved_usd += amount
    totals.reserved_tokens += tokens


def apply_release(totals: ScopeTotals, amount: Decimal, tokens: int) -> None:
    # max(): a limit change or a manual edit must never leave a negative hold behind.
    totals.reserved_usd = max(Decimal(0), totals.reserved_usd - amount)
    totals.reserved_tokens = max(0, totals.reserved_tokens - tokens)


def apply_settle(totals: ScopeTotals, actual: Decimal, tokens: int) -> None:
    totals.spent_usd += actual
    totals.spent_tokens += tokens


def used_pct(totals: ScopeTotals) -> float | None:
    """Spent as a percentage of the limit: the larger of the USD and token shares."""
    shares: list[float] = []
    if totals.limit_usd is not None:
        shares.append(_share(totals.spent_usd, totals.limit_usd))
    if totals.limit_tokens is not None:
        shares.append(_share(Decimal(totals.spent_tokens), Decimal(totals.limit_tokens)))
    return max(shares) if shares else None


def _share(spent: Decimal, limit: Decimal) -> float:
    if limit == 0:
        return 100.0 if spent == 0 else float("inf")
    return float(spent * 100 / limit)


def threshold_events(key: str, totals: ScopeTotals) -> list[GuardEvent]:
    """Events for thresholds newly crossed by the spend; marks them as fired."""
    pct = used_pct(totals)
    events: list[GuardEvent] = []
    if pct is None or totals.limit_usd == 0:
        return events  # a zero limit forbids spending; there is nothing to warn about
    for threshold in THRESHOLDS:
        if threshold > totals.fired and pct >= threshold:
            totals.fired = threshold
            limit = (
                format_usd(totals.limit_usd)
                if totals.limit_usd is not None
                else f"{totals.limit_tokens:,} tokens"
            )
            events.append(
                GuardEvent(
                    kind="budget_threshold",
                    subject=key,
                    message=f"budget {key} has used {pct:.0f}% of its {limit} limit",
                    severity="critical" if threshold >= 100 else "warning",
                    data={
                        "threshold_pct": threshold,
                        "kind": totals.kind,
                        "spent_usd": str(totals.spent_usd),
                        "limit_usd": None if totals.limit_usd is None else str(totals.limit_usd),
                        "spent_tokens": totals.spent_tokens,
                        "limit_tokens": totals.limit_tokens,
                    },
                )
            )
    return events


def exceeded_event(refusal: BudgetExceeded) -> GuardEvent:
    return GuardEvent(
        kind="budget_exceeded",
        subject=refusal.scope.key,
        message=str(refusal),
        data={
            "kind": refusal.scope.kind,
            "unit": refusal.unit,
            "limit": str(refusal.limit),
            "spent": str(refusal.spent),
            "reserved": str(refusal.reserved),
            "requested": str(refusal.requested),
        },
    )


def expired_event(
    *, reservation_id: str, holder: str, amount_usd: Decimal, tokens: int, keys: Sequence[str]
) -> GuardEvent:
    return GuardEvent(
        kind="reservation_expired",
        subject=keys[0] if keys else "call",
        message=(
            f"reclaimed {format_usd(amount_usd)} held by {holder}, which neither settled "
            "nor released it in time (crashed or stuck)"
        ),
        data={
            "reservation_id": reservation_id,
            "holder": holder,
            "amount_usd": str(amount_usd),
            "tokens": tokens,
            "scopes": list(keys),
        },
    )


def overrun_event(reservation: Reservation, actual: Decimal, tokens: int) -> GuardEvent | None:
    """A settle above the worst case: the price table or the bound on input is wrong."""
    if actual <= reservation.amount_usd and tokens <= reservation.tokens:
        return None
    keys = reservation.tracked_keys
    return GuardEvent(
        kind="pricing_anomaly",
        subject=keys[0] if keys else "call",
        message=(
            f"actual cost {format_usd(actual)} / {tokens:,} tokens exceeded the reserved "
            f"worst case {format_usd(reservation.amount_usd)} / {reservation.tokens:,} tokens; "
            "the spend is recorded as reported: check the model's prices"
        ),
        severity="critical",
        data={
            "reservation_id": reservation.id,
            "reserved_usd": str(reservation.amount_usd),
            "actual_usd": str(actual),
            "reserved_tokens": reservation.tokens,
            "actual_tokens": tokens,
        },
    )


def status_of(key: str, totals: ScopeTotals) -> BudgetStatus:
    remaining_usd = (
        None
        if totals.limit_usd is None
        else max(Decimal(0), totals.limit_usd - totals.spent_usd - totals.reserved_usd)
    )
    remaining_tokens = (
        None
        if totals.limit_tokens is None
        else max(0, totals.limit_tokens - totals.spent_tokens - totals.reserved_tokens)
    )
    return BudgetStatus(
        key=key,
        kind=totals.kind,
        limit_usd=totals.limit_usd,
        spent_usd=totals.spent_usd,
        reserved_usd=totals.reserved_usd,
        remaining_usd=remaining_usd,
        limit_tokens=totals.limit_tokens,
        spent_tokens=totals.spent_tokens,
        reserved_tokens=totals.reserved_tokens,
        remaining_tokens=remaining_tokens,
        pct=used_pct(totals),
    )
