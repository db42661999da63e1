"""Budget vocabulary: which scopes a call counts against, limits, and the refusal's message."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jobintel.errors import StrategyUnavailable
from jobintel.guard.budget import BudgetExceeded, BudgetLimits, BudgetScope, scopes_for
from jobintel.guard.budget_types import format_usd


def test_scopes_cover_every_kind_most_specific_first() -> None:
    """A call with all ids counts against call, stage, job, run, candidate, day and month."""
    limits = BudgetLimits(per_stage_usd=Decimal("0.20"), per_candidate_usd=Decimal("20"))
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    scopes = scopes_for(limits, run_id="r1", job_id=7, stage="extract", candidate_id=3, now=now)
    assert [(s.kind, s.key) for s in scopes] == [
        ("call", "call"),
        ("stage", "stage:7:extract"),
        ("job", "job:7"),
        ("run", "run:r1"),
        ("candidate", "candidate:3"),
        ("day", "day:2026-11-29"),
        ("month", "month:2026-11"),
    ]
    assert [s.tracked for s in scopes] == [False, True, True, True, True, True, True]


def test_unlimited_scopes_and_missing_ids_are_left_out() -> None:
    """A scope with no limit, or whose id the call lacks, is neither checked nor tracked."""
    limits = BudgetLimits(per_call_usd=None, per_run_usd=None, per_day_tokens=1000)
    now = datetime(2026, 11, 29, tzinfo=UTC)
    scopes = scopes_for(limits, run_id="r1", stage="extract", now=now)
    assert [s.key for s in scopes] == ["day:2026-11-29", "month:2026-11"]
    assert scopes[0].limit_tokens == 1000


def test_day_and_month_follow_the_configured_time_zone() -> None:
    """23:30 UTC on 30 November is already 1 December in Berlin: a new day and month."""
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    utc = scopes_for(BudgetLimits(), now=now)
    berlin = scopes_for(BudgetLimits(timezone="Europe/Berlin"), now=now)
    assert [s.key for s in utc if s.kind in ("day", "month")] == ["day:2026-11-30", "month:2026-11"]
    assert [s.key for s in berlin if s.kind in ("day", "month")] == [
        "day:2026-12-01",
        "month:2026-12",
    ]


def test_naive_now_is_refused() -> None:
    """Calendar scopes need an aware time; a naive one would silently mean local time."""
    with pytest.raises(ValueError, match="aware"):
        scopes_for(BudgetLimits(), now=datetime(2026, 11, 29))


def test_limits_validate_amounts_and_time_zone() -> None:
    """Negative or float limits and unknown time zones are refused, naming the setting."""
    with pytest.raises(ValueError, match="JOBINTEL_BUDGET_DAY_USD"):
        BudgetLimits(per_day_usd=Decimal("-1"))
    with pytest.raises(ValueError, match="JOBINTEL_BUDGET_RUN_USD"):
        BudgetLimits(per_run_usd=0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="JOBINTEL_BUDGET_TIMEZONE"):
        BudgetLimits(timezone="Mars/Olympus")


def test_overrides_accept_strings_and_name_unknown_fields() -> None:
    """Per-run overrides from the CLI/API take "2.50"-style amounts and None for unlimited."""
    limits = BudgetLimits().with_overrides(
        per_run_usd="2.50", per_day_usd=None, per_job_tokens="9", timezone="Asia/Tokyo"
    )
    assert limits.per_run_usd == Decimal("2.50")
    assert limits.per_day_usd is None
    assert limits.per_job_tokens == 9
    assert limits.timezone == "Asia/Tokyo"
    assert BudgetLimits().per_run_usd == Decimal("10.00")  # the original is untouched
    with pytest.raises(ValueError, match="unknown budget limit 'per_week_usd'"):
        BudgetLimits().with_overrides(per_week_usd="1")
    with pytest.raises(ValueError, match="per_run_usd"):
        BudgetLimits().with_overrides(per_run_usd="lots")


def test_refusal_names_scope_amounts_and_the_setting_to_raise() -> None:
    """The message says which budget, how much is used, what the call needs, and the fix."""
    scope = BudgetScope(kind="day", key="day:2026-11-29", limit_usd=Decimal("5.00"))
    exc = BudgetExceeded(
        scope,
        unit="usd",
        limit=Decimal("5.00"),
        spent=Decimal("4.90"),
        reserved=Decimal("0.08"),
        requested=Decimal("0.03"),
    )
    assert isinstance(exc, StrategyUnavailable)
    assert str(exc) == (
        "daily budget day:2026-11-29 of $5.00 has $4.98 spent or reserved; this call "
        "needs up to $0.03: raise JOBINTEL_BUDGET_DAY_USD or wait until tomorrow"
    )
    copy = pickle.loads(pickle.dumps(exc))
    assert str(copy) == str(exc) and copy.scope == scope


def test_small_amounts_keep_their_digits() -> None:
    """Sub-cent costs are shown with the digits needed, whole cents with two."""
    assert format_usd(Decimal("5")) == "$5.00"
    assert format_usd(Decimal("0.000125")) == "$0.000125"
    assert format_usd(Decimal("0.120000000")) == "$0.12"
