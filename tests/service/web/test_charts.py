"""Chart geometry and budget gauges: pure functions the templates draw from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from jobintel.guard.budget_rules import ScopeTotals, status_of
from jobintel.guard.budget_types import BudgetLimits, BudgetStatus
from jobintel.service.web.charts import SCALE, bar_chart, timeline
from jobintel.service.web.gauges import budget_gauges

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def test_bars_scale_to_the_largest_and_keep_tiny_values_visible() -> None:
    """The largest value spans the strip, others are proportional, a tiny non-zero value
    still shows and zero draws nothing."""
    bars = bar_chart(
        [
            ("a", Decimal("2"), "$2"),
            ("b", Decimal("1"), "$1"),
            ("c", Decimal("0.00001"), "$0.00001"),
            ("d", Decimal(0), "$0"),
        ]
    )
    assert [b.width for b in bars] == [SCALE, SCALE / 2, 4.0, 0.0]
    assert [b.value_text for b in bars] == ["$2", "$1", "$0.00001", "$0"]


def test_bars_of_all_zero_values_are_empty() -> None:
    """Nothing spent anywhere draws empty strips rather than dividing by zero."""
    assert [b.width for b in bar_chart([("a", Decimal(0), "$0")])] == [0.0]


def test_timeline_places_each_stage_on_the_jobs_time_axis() -> None:
    """Spans start where the stage started relative to the job's first stage and end
    within the strip; an instant stage is still visible."""
    start = NOW
    spans = timeline(
        [
            ("ingest", "succeeded", start, start),
            ("extract", "degraded", start + timedelta(seconds=1), start + timedelta(seconds=3)),
            ("publish", "failed", start + timedelta(seconds=3), start + timedelta(seconds=4)),
        ]
    )
    assert [s.x for s in spans] == [0.0, 250.0, 750.0]
    assert [s.width for s in spans] == [4.0, 500.0, 250.0]
    assert spans[1].status == "degraded"
    assert (spans[2].start_ms, spans[2].end_ms) == (3000.0, 4000.0)
    assert all(s.x + s.width <= SCALE for s in spans)
    assert timeline([]) == []


def _status(key: str, kind: str, limit: str | None, spent: str) -> BudgetStatus:
    totals = ScopeTotals(
        kind=kind, limit_usd=None if limit is None else Decimal(limit), limit_tokens=None
    )
    totals.spent_usd = Decimal(spent)
    return status_of(key, totals)


def test_gauges_show_current_day_and_month_even_before_any_spend() -> None:
    """Today's and this month's budgets always have a gauge, at zero before any call."""
    gauges = budget_gauges([], BudgetLimits(), now=NOW)
    assert [(g.key, g.spent_usd) for g in gauges] == [
        ("day:2026-11-29", Decimal(0)),
        ("month:2026-11", Decimal(0)),
    ]


def test_gauges_cap_the_meter_and_flag_the_level() -> None:
    """Overspent budgets draw a full meter and read critical; old days and unlimited or
    unlisted runs are left out."""
    stored = [
        _status("day:2026-11-29", "day", "5.00", "6.00"),
        _status("day:2026-11-28", "day", "5.00", "1.00"),
        _status("run:abc", "run", "10.00", "8.50"),
        _status("run:old", "run", "10.00", "1.00"),
        _status("candidate:3", "candidate", None, "1.00"),
    ]
    gauges = {g.key: g for g in budget_gauges(stored, BudgetLimits(), now=NOW, run_ids=["abc"])}
    assert set(gauges) == {"day:2026-11-29", "month:2026-11", "run:abc"}
    day = gauges["day:2026-11-29"]
    assert day.value == Decimal("5.00") and day.level == "critical"
    assert gauges["run:abc"].level == "warning"
    assert gauges["run:abc"].label == "Run abc"


def test_scope_keys_follow_the_budget_time_zone() -> None:
    """Days are those of the budget's time zone, as the guard counts them."""
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    limits = BudgetLimits(timezone="Asia/Tokyo")
    keys = [g.key for g in budget_gauges([], limits, now=late)]
    assert keys == ["day:2026-11-30", "month:2026-11"]
