"""The Metrics adapters: each source of facts updates the right series, with bounded labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.events import GuardEvent
from jobintel.observability import Metrics
from jobintel.providers.base import Usage
from jobintel.providers.firecrawl import FireCrawl
from jobintel.providers.web import WebFetcher
from jobintel.settings import load_settings
from jobintel.store import EventRecord

EXPECTED = {
    "jobintel_external_calls_total": "counter",
    "jobintel_external_call_duration_seconds": "histogram",
    "jobintel_external_tokens_total": "counter",
    "jobintel_external_cost_usd_total": "counter",
    "jobintel_external_calls_in_flight": "gauge",
    "jobintel_budget_spent_usd": "gauge",
    "jobintel_budget_limit_usd": "gauge",
    "jobintel_breaker_state": "gauge",
    "jobintel_ratelimit_waits_total": "counter",
    "jobintel_ratelimit_wait_seconds": "histogram",
    "jobintel_ratelimit_headroom_ratio": "gauge",
    "jobintel_guard_events_total": "counter",
    "jobintel_stage_duration_seconds": "histogram",
    "jobintel_stage_outcomes_total": "counter",
    "jobintel_runs_total": "counter",
    "jobintel_runs_running": "gauge",
    "jobintel_run_oldest_running_seconds": "gauge",
    "jobintel_service_queue_depth": "gauge",
}
FORBIDDEN_LABELS = {"run_id", "job_id", "candidate_id", "posting_id", "request_id", "run", "job"}


def fresh() -> tuple[Metrics, CollectorRegistry]:
    registry = CollectorRegistry()
    return Metrics(registry), registry


def call(**changes: object) -> CallRecord:
    values: dict[str, object] = {
        "meta": CallMeta(run_id="r1", job_id=7, stage="extract"),
        "service": "openai",
        "operation": "chat",
        "model": "gpt-x",
        "attempt": 1,
        "usage": Usage(
            input_tokens=100,
            output_tokens=40,
            cached_read_tokens=30,
            cache_write_tokens=0,
            reasoning_tokens=10,
        ),
        "cost_usd": Decimal("0.0125"),
        "latency_s": 0.75,
        "outcome": "ok",
        **changes,
    }
    return CallRecord(**values)  # type: ignore[arg-type]


def progress(kind: str, **changes: object) -> EventRecord:
    values: dict[str, object] = {
        "id": 1,
        "run_id": "r1",
        "job_id": 7,
        "stage": None,
        "kind": kind,
        "duration_ms": None,
        "message": "",
        "created_at": datetime(2026, 11, 29, tzinfo=UTC),
        **changes,
    }
    return EventRecord(**values)  # type: ignore[arg-type]


def test_metric_names_types_and_labels_follow_the_convention() -> None:
    """Exactly the agreed metrics exist, named jobintel_<subsystem>_<noun>_<unit> with counters
    ending _total, and no label can carry a run, job or candidate id."""
    metrics, registry = fresh()
    metrics.observe_call(call(limiter_wait_s=0.5, breaker_state="closed"))
    metrics.ratelimit_headroom.labels(key="openai:gpt-x", kind="requests").set(0.5)
    families = {family.name: family for family in registry.collect()}
    # prometheus_client strips a counter's _total from the family name.
    found = {
        (name + "_total" if family.type == "counter" else name): family.type
        for name, family in families.items()
    }
    assert found == EXPECTED
    for name, kind in found.items():
        assert re.fullmatch(r"jobintel(_[a-z]+){2,}", name), name
        assert name.endswith("_total") == (kind == "counter"), name
        if kind == "histogram":
            assert name.endswith("_seconds"), name
    for family in families.values():
        for sample in family.samples:
            assert not FORBIDDEN_LABELS & set(sample.labels), (sample.name, sample.labels)


def test_bounded_series_exist_at_zero_before_any_event() -> None:
    """Known stages, run statuses, guard event kinds and services have series at 0 up front,
    so rate() and alert rules see them before the first event."""
    _, registry = fresh()
    get = registry.get_sample_value
    assert get("jobintel_stage_outcomes_total", {"stage": "extract", "outcome": "degraded"}) == 0
    assert get("jobintel_stage_outcomes_total", {"stage": "cv", "outcome": "failed"}) == 0
    assert get("jobintel_runs_total", {"status": "failed"}) == 0
    assert (
        get("jobintel_guard_events_total", {"kind": "pricing_anomaly", "severity": "warning"}) == 0
    )
    assert get("jobintel_external_calls_in_flight", {"service": "anthropic"}) == 0
    # The research services by the names their providers report.
    for research in (FireCrawl.name, WebFetcher.name):
        assert get("jobintel_external_calls_in_flight", {"service": research}) == 0
    fit = {"stage": "fit", "outcome": "degraded"}
    assert get("jobintel_stage_duration_seconds_count", fit) == 0


def test_a_routes_first_call_creates_its_error_series_at_zero() -> None:
    """The first attempt on a service/model creates that route's series for every outcome,
    so a later first error is an increase from 0 that rate() can see."""
    metrics, registry = fresh()
    metrics.observe_call(call())
    get = registry.get_sample_value
    route = {"service": "openai", "model": "gpt-x"}
    assert get("jobintel_external_calls_total", {**route, "outcome": "ok"}) == 1
    for outcome in ("ProviderUnavailable", "ProviderTimeout", "CircuitOpen", "BudgetExceeded"):
        assert get("jobintel_external_calls_total", {**route, "outcome": outcome}) == 0
    assert get("jobintel_external_calls_total", {**route, "outcome": "Other"}) is None


@pytest.mark.parametrize(
    ("research", "firecrawl_key", "service"),
    [("auto", "fc-key", "firecrawl"), ("auto", None, "http"), ("off", "fc-key", None)],
)
def test_configured_routes_exist_at_zero_before_their_first_call(
    tmp_path: Path, research: str, firecrawl_key: str | None, service: str | None
) -> None:
    """Every model route a stage is given and the research service the settings choose get
    their call series at 0 before any call: a run whose first attempts fail (before the
    first scrape) then shows an increase that rate() sees, not a series born at 1."""
    settings = load_settings(
        data_dir=tmp_path,
        strategy="llm",
        model="openai:gpt-4o-mini",
        openai_api_key="sk-test",
        research=research,
        firecrawl_api_key=firecrawl_key,
        stage_models={"cv": "anthropic:claude-x"},
    )
    metrics, registry = fresh()
    metrics.prepare_routes(settings)
    get = registry.get_sample_value
    for route in (
        {"service": "openai", "model": "gpt-4o-mini"},
        {"service": "anthropic", "model": "claude-x"},
    ):
        for outcome in ("ok", "ProviderUnavailable", "ProviderRateLimited"):
            assert get("jobintel_external_calls_total", {**route, "outcome": outcome}) == 0
    for name in ("firecrawl", "http"):
        error = {"service": name, "model": "none", "outcome": "ProviderUnavailable"}
        assert get("jobintel_external_calls_total", error) == (0 if name == service else None)


def test_observe_call_counts_the_attempt_its_tokens_cost_and_latency() -> None:
    """One CallRecord adds one call by service/model/outcome, its tokens by kind, its cost and
    one latency observation by service/operation."""
    metrics, registry = fresh()
    metrics.observe_call(call())
    metrics.observe_call(call(outcome="ProviderTimeout", usage=Usage(), cost_usd=Decimal(0)))
    get = registry.get_sample_value
    ok = {"service": "openai", "model": "gpt-x", "outcome": "ok"}
    assert get("jobintel_external_calls_total", ok) == 1
    assert get("jobintel_external_calls_total", {**ok, "outcome": "ProviderTimeout"}) == 1
    tokens = {"service": "openai", "model": "gpt-x"}
    assert get("jobintel_external_tokens_total", {**tokens, "kind": "input"}) == 100
    assert get("jobintel_external_tokens_total", {**tokens, "kind": "output"}) == 40
    assert get("jobintel_external_tokens_total", {**tokens, "kind": "cached_read"}) == 30
    assert get("jobintel_external_tokens_total", {**tokens, "kind": "reasoning"}) == 10
    assert get("jobintel_external_cost_usd_total", tokens) == 0.0125
    latency = {"service": "openai", "operation": "chat"}
    assert get("jobintel_external_call_duration_seconds_count", latency) == 2
    assert get("jobintel_external_call_duration_seconds_sum", latency) == 1.5


def test_a_call_without_a_model_is_labelled_none() -> None:
    """Research calls have no model: they are counted under model="none", not dropped."""
    metrics, registry = fresh()
    metrics.observe_call(call(service="firecrawl", operation="search", model=None))
    labels = {"service": "firecrawl", "model": "none", "outcome": "ok"}
    assert registry.get_sample_value("jobintel_external_calls_total", labels) == 1


def test_in_flight_counts_calls_while_they_run() -> None:
    """The in-flight gauge rises inside the block and falls back after it, even on error."""
    metrics, registry = fresh()
    labels = {"service": "openai"}
    with metrics.in_flight("openai"):
        assert registry.get_sample_value("jobintel_external_calls_in_flight", labels) == 1
    try:
        with metrics.in_flight("openai"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert registry.get_sample_value("jobintel_external_calls_in_flight", labels) == 0


def test_guard_events_are_counted_and_breaker_transitions_set_the_state_gauge() -> None:
    """Every guard event counts by kind/severity; a breaker transition sets its key's state
    (0 closed, 1 half_open, 2 open) from data["to"]."""
    metrics, registry = fresh()

    def transition(before: str, after: str) -> GuardEvent:
        return GuardEvent(
            kind="breaker_transition",
            subject="openai:gpt-x",
            message=f"{before} -> {after}",
            data={"from": before, "to": after},
        )

    key = {"key": "openai:gpt-x"}
    metrics.on_guard_event(transition("closed", "open"))
    assert registry.get_sample_value("jobintel_breaker_state", key) == 2
    metrics.on_guard_event(transition("open", "half_open"))
    assert registry.get_sample_value("jobintel_breaker_state", key) == 1
    metrics.on_guard_event(transition("half_open", "closed"))
    assert registry.get_sample_value("jobintel_breaker_state", key) == 0
    metrics.on_guard_event(
        GuardEvent(
            kind="pricing_anomaly", subject="openai:gpt-x", message="$0", severity="critical"
        )
    )
    get = registry.get_sample_value
    transitions = {"kind": "breaker_transition", "severity": "warning"}
    assert get("jobintel_guard_events_total", transitions) == 3
    anomaly = {"kind": "pricing_anomaly", "severity": "critical"}
    assert get("jobintel_guard_events_total", anomaly) == 1


def test_rate_limit_events_count_refused_waits_and_429_penalties() -> None:
    """A refused wait (its data has max_wait_s) counts as outcome="refused"; a 429 penalty
    (retry_after_s) as outcome="penalized"."""
    metrics, registry = fresh()
    refused = {"limit": "rpm", "needed_s": 9.0, "max_wait_s": 5.0}
    metrics.on_guard_event(
        GuardEvent(kind="rate_limited", subject="openai", message="x", data=refused)
    )
    metrics.on_guard_event(
        GuardEvent(kind="rate_limited", subject="openai", message="429", data={"retry_after_s": 2})
    )
    get = registry.get_sample_value
    assert get("jobintel_ratelimit_waits_total", {"key": "openai", "outcome": "refused"}) == 1
    assert get("jobintel_ratelimit_waits_total", {"key": "openai", "outcome": "penalized"}) == 1


def test_progress_events_count_stage_outcomes_durations_and_finished_runs() -> None:
    """Terminal stage events count by stage/outcome with their duration in seconds; a finished
    run counts by status ("failed: reason" is "failed", unknown ones "other"); others are
    ignored."""
    metrics, registry = fresh()
    metrics.on_progress(progress("stage_started", stage="fit"))
    metrics.on_progress(progress("stage_degraded", stage="fit", duration_ms=1500.0))
    metrics.on_progress(progress("stage_succeeded", stage="fit", duration_ms=250.0))
    metrics.on_progress(progress("stage_skipped", stage="people"))
    metrics.on_progress(progress("run_finished", job_id=None, message="partial"))
    metrics.on_progress(progress("run_finished", job_id=None, message="failed: disk full"))
    metrics.on_progress(progress("run_finished", job_id=None, message="weird"))
    get = registry.get_sample_value
    degraded = {"stage": "fit", "outcome": "degraded"}
    assert get("jobintel_stage_outcomes_total", degraded) == 1
    assert get("jobintel_stage_outcomes_total", {"stage": "fit", "outcome": "succeeded"}) == 1
    assert get("jobintel_stage_outcomes_total", {"stage": "people", "outcome": "skipped"}) == 1
    assert get("jobintel_stage_duration_seconds_sum", degraded) == 1.5
    assert get("jobintel_stage_duration_seconds_count", degraded) == 1
    # A stage without a duration is counted but not timed.
    assert (
        get("jobintel_stage_duration_seconds_count", {"stage": "people", "outcome": "skipped"})
        is None
    )
    assert get("jobintel_runs_total", {"status": "partial"}) == 1
    assert get("jobintel_runs_total", {"status": "failed"}) == 1
    assert get("jobintel_runs_total", {"status": "other"}) == 1
    assert get("jobintel_runs_total", {"status": "succeeded"}) == 0


def test_each_metrics_object_has_its_own_registry() -> None:
    """Two Metrics objects never share series (tests and apps in one process stay apart)."""
    first, second = Metrics(), Metrics()
    first.on_progress(progress("run_finished", message="succeeded"))
    assert first.registry is not second.registry
    assert second.registry.get_sample_value("jobintel_runs_total", {"status": "succeeded"}) == 0
    assert b"jobintel_runs_total" in first.exposition()
