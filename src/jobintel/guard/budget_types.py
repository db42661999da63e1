"""The vocabulary of budgets: scopes, limits, reservations, status, and the refusal."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobintel.errors import StrategyUnavailable

ScopeKind = Literal["call", "stage", "job", "run", "candidate", "day", "month"]
SCOPE_KINDS: tuple[ScopeKind, ...] = get_args(ScopeKind)
Unit = Literal["usd", "tokens"]

#: Money is tracked exactly to a billionth of a dollar on every backend.
NANO_USD = Decimal("0.000000001")


def usd_up(value: Decimal) -> Decimal:
    """Round an amount to be held or spent up to 1e-9 USD: rounding never hides a cost."""
    return value.quantize(NANO_USD, rounding=ROUND_CEILING)


def usd_down(value: Decimal) -> Decimal:
    """Round a limit down to 1e-9 USD: rounding never raises a limit."""
    return value.quantize(NANO_USD, rounding=ROUND_FLOOR)


def format_usd(value: Decimal) -> str:
    """``$5.00``, ``$0.03``, ``$0.000125``: cents, or as many digits as needed (up to 9)."""
    if value == value.quantize(Decimal("0.01")):
        return f"${value:.2f}"
    return "$" + format(value.quantize(NANO_USD).normalize(), "f")


def setting_name(kind: ScopeKind, unit: Unit = "usd") -> str:
    """The environment variable that sets a scope kind's limit (mapped by settings)."""
    if unit == "tokens":
        return f"JOBINTEL_BUDGET_TOKENS (its {kind!r} entry)"
    return f"JOBINTEL_BUDGET_{kind.upper()}_USD"


@dataclass(frozen=True, kw_only=True)
class BudgetScope:
    """One budget a call counts against; ``None`` limits are unlimited."""

    kind: ScopeKind
    key: str  # "run:<id>", "job:<id>", "stage:<job>:<stage>", "day:2026-11-29", …
    limit_usd: Decimal | None
    limit_tokens: int | None = None

    @property
    def tracked(self) -> bool:
        """Whether totals are kept: a single call is checked on its own, never summed."""
        return self.kind != "call" and (self.limit_usd is not None or self.limit_tokens is not None)


@dataclass(frozen=True, kw_only=True)
class BudgetLimits:
    """Limits per scope kind (``None``: unlimited) and the time zone of days and months.

    The defaults suit a user who must never be surprised by a bill; settings override
    them, and ``with_overrides`` applies per-run overrides from the CLI or the API.
    """

    per_call_usd: Decimal | None = Decimal("0.50")
    per_stage_usd: Decimal | None = None
    per_job_usd: Decimal | None = Decimal("2.00")
    per_run_usd: Decimal | None = Decimal("10.00")
    per_candidate_usd: Decimal | None = None
    per_day_usd: Decimal | None = Decimal("5.00")
    per_month_usd: Decimal | None = Decimal("50.00")
    per_call_tokens: int | None = None
    per_stage_tokens: int | None = None
    per_job_tokens: int | None = None
    per_run_tokens: int | None = None
    per_candidate_tokens: int | None = None
    per_day_tokens: int | None = None
    per_month_tokens: int | None = None
    #: IANA time zone in which calendar days and months start.
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        for kind in SCOPE_KINDS:
            usd = getattr(self, f"per_{kind}_usd")
            if usd is not None and not (isinstance(usd, Decimal) and usd.is_finite() and usd >= 0):
                raise ValueError(
                    f"budget limit per_{kind}_usd={usd!r}: expected a non-negative Decimal "
                    f"amount in USD or None for unlimited: fix {setting_name(kind)}"
                )
            tokens = getattr(self, f"per_{kind}_tokens")
            if tokens is not None and (
                isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0
            ):
                raise ValueError(
                    f"budget limit per_{kind}_tokens={tokens!r}: expected a non-negative "
                    f"integer or None for unlimited: fix {setting_name(kind, 'tokens')}"
                )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"budget time zone {self.timezone!r} is not an IANA time zone: set "
                "JOBINTEL_BUDGET_TIMEZONE to a name such as 'UTC' or 'Europe/Berlin'"
            ) from None

    def limit(self, kind: ScopeKind) -> tuple[Decimal | None, int | None]:
        """The (USD, tokens) limits of one scope kind."""
        usd: Decimal | None = getattr(self, f"per_{kind}_usd")
        tokens: int | None = getattr(self, f"per_{kind}_tokens")
        return usd, tokens

    def with_overrides(self, **changes: object) -> BudgetLimits:
        """A copy with some limits changed; amounts may be Decimal, int or str ("2.50")."""
        # Overrides come from CLI flags and API bodies, hence the string forms.
        known = {f.name for f in fields(self)}
        coerced: dict[str, object] = {}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(
                    f"unknown budget limit {name!r}: expected one of {', '.join(sorted(known))}"
                )
            if name.endswith("_usd"):
                value = _coerce_usd(name, value)
            elif name.endswith("_tokens") and isinstance(value, str):
                value = _coerce_tokens(name, value)
            coerced[name] = value
        return replace(self, **coerced)  # type: ignore[arg-type]


def _coerce_usd(name: str, value: object) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value).strip().removeprefix("$"))
        except InvalidOperation:
            pass
    raise ValueError(f"budget limit {name}={value!r}: expected an amount in USD such as '2.50'")


def _coerce_tokens(name: str, value: str) -> int:
    try:
        return int(value.replace(",", "").replace("_", ""))
    except ValueError:
        raise ValueError(
            f"budget limit {name}={value!r}: expected a whole number of tokens such as '200000'"
        ) from None


def scopes_for(
    limits: BudgetLimits,
    *,
    run_id: str | None = None,
    job_id: int | str | None = None,
    stage: str | None = None,
    candidate_id: int | str | None = None,
    now: datetime,
) -> list[BudgetScope]:
    """The budgets one call counts against, most specific first; unlimited ones are left out.

    ``now`` must be time-zone aware; the day and month scopes are the calendar day and
    month of ``now`` in ``limits.timezone``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"scopes_for needs an aware datetime, got naive {now.isoformat()}")
    local = now.astimezone(ZoneInfo(limits.timezone))
    keyed: list[tuple[ScopeKind, str | None]] = [
        ("call", "call"),
        ("stage", f"stage:{job_id}:{stage}" if job_id is not None and stage else None),
        ("job", f"job:{job_id}" if job_id is not None else None),
        ("run", f"run:{run_id}" if run_id else None),
        ("candidate", f"candidate:{candidate_id}" if candidate_id is not None else None),
        ("day", f"day:{local:%Y-%m-%d}"),
        ("month", f"month:{local:%Y-%m}"),
    ]
    scopes = []
    for kind, key in keyed:
        usd, tokens = limits.limit(kind)
        if key is not None and (usd is not None or tokens is not None):
            scopes.append(
                BudgetScope(
                    kind=kind,
                    key=key,
                    limit_usd=None if usd is None else usd_down(usd),
                    limit_tokens=tokens,
                )
            )
    return scopes


_LABELS: dict[ScopeKind, str] = {
    "call": "per-call budget",
    "stage": "stage budget",
    "job": "job budget",
    "run": "run budget",
    "candidate": "candidate budget",
    "day": "daily budget",
    "month": "monthly budget",
}
_WAIT: dict[ScopeKind, str] = {
    "call": " or lower the stage's max_tokens",
    "job": " (or override it for this run)",
    "run": " (or override it for this run)",
    "day": " or wait until tomorrow",
    "month": " or wait until next month",
}


class BudgetExceeded(StrategyUnavailable):
    """A call was not made: one budget scope cannot cover its worst-case cost."""

    def __init__(
        self,
        scope: BudgetScope,
        *,
        unit: Unit,
        limit: Decimal,
        spent: Decimal,
        reserved: Decimal,
        requested: Decimal,
    ) -> None:
        self.scope = scope
        self.unit = unit
        self.limit = limit
        self.spent = spent
        self.reserved = reserved
        self.requested = requested
        super().__init__(self._message())

    def _message(self) -> str:
        kind = self.scope.kind
        fix = f"raise {setting_name(kind, self.unit)}{_WAIT.get(kind, '')}"
        if self.unit == "usd":
            label, limit, held, need = (
                _LABELS[kind],
                format_usd(self.limit),
                format_usd(self.spent + self.reserved),
                format_usd(self.requested),
            )
        else:
            label = _LABELS[kind].replace("budget", "token budget")
            limit, held, need = (
                f"{int(self.limit):,} tokens",
                f"{int(self.spent + self.reserved):,} tokens",
                f"{int(self.requested):,} tokens",
            )
        if kind == "call":
            return f"{label} of {limit} cannot cover this call, which needs up to {need}: {fix}"
        return (
            f"{label} {self.scope.key} of {limit} has {held} spent or reserved; "
            f"this call needs up to {need}: {fix}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions with keyword-only arguments need help to cross process boundaries.
        return (
            _rebuild_exceeded,
            (self.scope, self.unit, self.limit, self.spent, self.reserved, self.requested),
        )


def _rebuild_exceeded(
    scope: BudgetScope,
    unit: Unit,
    limit: Decimal,
    spent: Decimal,
    reserved: Decimal,
    requested: Decimal,
) -> BudgetExceeded:
    return BudgetExceeded(
        scope, unit=unit, limit=limit, spent=spent, reserved=reserved, requested=requested
    )


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """A worst-case amount held against ``scopes`` until settled, released or expired."""

    id: str
    scopes: tuple[BudgetScope, ...]
    amount_usd: Decimal
    tokens: int
    holder: str
    created_at: float  # on the budget's clock
    expires_at: float

    @property
    def tracked_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.key for s in self.scopes if s.tracked))


@dataclass(frozen=True, kw_only=True)
class BudgetStatus:
    """One scope's limits and totals; ``remaining``/``pct`` are None when unlimited."""

    key: str
    kind: str
    limit_usd: Decimal | None
    spent_usd: Decimal
    reserved_usd: Decimal
    remaining_usd: Decimal | None
    limit_tokens: int | None
    spent_tokens: int
    reserved_tokens: int
    remaining_tokens: int | None
    #: Spent as a percentage of the limit (the larger of USD and tokens).
    pct: float | None


_holder: tuple[int, str] | None = None


def process_holder() -> str:
    """``host:pid:token``: who holds a reservation, unique per process (also after fork)."""
    global _holder
    pid = os.getpid()
    if _holder is None or _holder[0] != pid:
        _holder = (pid, f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}")
    return _holder[1]
