"""Guard-facing metrics: limiter waits and headroom, breakers and routes prepared from the
store and settings at scrape time, and in-flight calls on a real run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from prometheus_client import CollectorRegistry

from jobintel.guard.breaker_rules import BreakerPolicy
from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.events import GuardEvent
from jobintel.guard.policies import budget_limits, rate_limit_policies
from jobintel.guard.ratelimit_sql import SqlRateLimiter
from jobintel.observability import Metrics
from jobintel.observability.telemetry import Telemetry
from jobintel.pipeline import EventBus, PipelineRunner, plan_run
from jobintel.providers.base import Usage
from jobintel.settings import load_settings
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES


def attempt(wait_s: float, **changes: object) -> CallRecord:
    values: dict[str, object] = {
        "meta": CallMeta(run_id="r1", job_id=3, stage="fit"),
        "service": "openai",
        "operation": "chat",
        "model": "gpt-x",
        "attempt": 1,
        "usage": Usage(input_tokens=10, output_tokens=5),
        "cost_usd": Decimal("0.001"),
        "latency_s": 0.2,
        "outcome": "ok",
        "limiter_wait_s": wait_s,
        "breaker_state": "closed",
        **changes,
    }
    return CallRecord(**values)  # type: ignore[arg-type]


def test_limiter_waits_are_timed_and_real_waits_counted_as_granted() -> None:
    """Every attempt the limiter let through (it reached the breaker) is timed under its
    service[:model] key, any wait (the limiter reports 0 for a grant at once) also counts as
    a granted wait, and an attempt refused before the breaker (budget, limiter) is neither."""
    metrics = Metrics(registry := CollectorRegistry())
    metrics.observe_call(attempt(0.0))  # granted at once
    metrics.observe_call(attempt(0.004))  # queued briefly behind another caller
    metrics.observe_call(attempt(1.5, breaker_state="half_open"))
    metrics.observe_call(
        attempt(0.0, outcome="RateLimitWaitExceeded", usage=Usage(), breaker_state=None)
    )
    metrics.observe_call(attempt(0.01, service="firecrawl", operation="search", model=None))
    get = registry.get_sample_value
    key = {"key": "openai:gpt-x"}
    assert get("jobintel_ratelimit_wait_seconds_count", key) == 3
    assert get("jobintel_ratelimit_wait_seconds_sum", key) == 1.504
    assert get("jobintel_ratelimit_wait_seconds_bucket", {**key, "le": "0.01"}) == 2
    assert get("jobintel_ratelimit_waits_total", {**key, "outcome": "granted"}) == 2
    assert get("jobintel_ratelimit_waits_total", {"key": "firecrawl", "outcome": "granted"}) == 1


async def test_headroom_breakers_and_limiter_series_are_read_from_the_store(
    tmp_path: Path,
) -> None:
    """A scrape-time refresh shows each limited key's free share of its per-minute requests
    and tokens (none for an unlimited kind, 0 after a 429 backoff), every stored breaker's
    state, and creates the wait series of every limiter key at 0."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        rate_limits={
            "openai:gpt-x": {"rpm": 10, "tpm": 1000},
            "anthropic": {"rpm": 4},
        },
    )
    store = Store.open(settings.effective_database_url)
    try:
        limiter = SqlRateLimiter(store.engine, policies=rate_limit_policies(settings))
        for tokens in (100, 150):
            await limiter.acquire("openai:gpt-x", tokens=tokens)
        breaker = SqlCircuitBreaker(
            store.engine, default=BreakerPolicy(consecutive_failures=1, cooldown_s=600)
        )
        await breaker.record(await breaker.allow("openai:gpt-x"), "failure")
        await breaker.record(await breaker.allow("firecrawl"), "success")
        metrics = Metrics(registry := CollectorRegistry())
        await metrics.refresh_from_store(store, settings)
        get = registry.get_sample_value
        ratio = "jobintel_ratelimit_headroom_ratio"
        assert get(ratio, {"key": "openai:gpt-x", "kind": "requests"}) == 0.8
        assert get(ratio, {"key": "openai:gpt-x", "kind": "tokens"}) == 0.75
        assert get(ratio, {"key": "anthropic", "kind": "requests"}) == 1
        assert get(ratio, {"key": "anthropic", "kind": "tokens"}) is None
        assert get("jobintel_breaker_state", {"key": "openai:gpt-x"}) == 2
        assert get("jobintel_breaker_state", {"key": "firecrawl"}) == 0
        refused = {"key": "anthropic", "outcome": "refused"}
        assert get("jobintel_ratelimit_waits_total", refused) == 0
        assert get("jobintel_ratelimit_wait_seconds_count", {"key": "anthropic"}) == 0

        await limiter.penalize("anthropic", 120)
        lifted = load_settings(data_dir=tmp_path / "data", rate_limits={"anthropic": {"rpm": 4}})
        await metrics.refresh_from_store(store, lifted)
    finally:
        store.close()
    assert get(ratio, {"key": "anthropic", "kind": "requests"}) == 0
    # The openai key lost its limits: its headroom series are gone, not left stale.
    assert get(ratio, {"key": "openai:gpt-x", "kind": "requests"}) is None
    assert get(ratio, {"key": "openai:gpt-x", "kind": "tokens"}) is None


async def test_configured_routes_have_every_outcome_series_before_their_first_call(
    tmp_path: Path,
) -> None:
    """A scrape-time refresh creates the call series of each stage's model route for "ok"
    and every error outcome at 0, so the first error shows in rate() and in the alert rule;
    a deterministic configuration creates none."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        strategy="llm",
        model="openai:gpt-x",
        writer_model="anthropic:claude-y",
        openai_api_key="sk-test",
        anthropic_api_key="sk-test",
    )
    offline = load_settings(data_dir=tmp_path / "data", strategy="deterministic")
    store = Store.open(settings.effective_database_url)
    try:
        metrics = Metrics(registry := CollectorRegistry())
        await metrics.refresh_from_store(store, offline)
        assert not [
            s for f in registry.collect() if f.name == "jobintel_external_calls" for s in f.samples
        ]
        await metrics.refresh_from_store(store, settings)
    finally:
        store.close()
    get = registry.get_sample_value
    for service, model in (("openai", "gpt-x"), ("anthropic", "claude-y")):
        for outcome in ("ok", "ProviderUnavailable", "ProviderTimeout", "BudgetExceeded"):
            labels = {"service": service, "model": model, "outcome": outcome}
            assert get("jobintel_external_calls_total", labels) == 0, labels


async def test_in_flight_gauge_counts_each_call_of_a_real_run_while_it_runs(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """Through Telemetry.attach, every attempt of a whole LLM run sees its own call counted as
    in flight (observers run inside the call's scope), and the gauge is back at 0 after."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        strategy="llm",
        model="openai:gpt-4o-mini",
        openai_base_url=simulator.openai_base_url,
        openai_api_key="sim-key",
        research="off",
    )
    metrics = Metrics(registry := CollectorRegistry())
    telemetry = Telemetry(metrics=metrics)
    seen: list[float | None] = []
    store = Store.open(settings.effective_database_url)
    try:
        bus = EventBus(store)
        planned = plan_run(
            store,
            settings,
            bus,
            posting_paths=[EXAMPLES / "postings" / "northwind-platform-lead.md"],
            cv_path=EXAMPLES / "master-cv.md",
            out_dir=settings.out_dir,
        )
        async with telemetry.gateway(settings, store, budget_limits(settings)) as gateway:
            assert gateway is not None
            gateway.observe(
                lambda record: seen.append(
                    registry.get_sample_value(
                        "jobintel_external_calls_in_flight", {"service": record.service}
                    )
                )
            )
            summary = await PipelineRunner(store, settings, bus=bus, gateway=gateway).execute(
                planned.run_id
            )
    finally:
        store.close()
    assert summary.status == "succeeded"
    assert len(seen) >= 3
    assert all(value is not None and value >= 1 for value in seen), seen
    assert (
        registry.get_sample_value("jobintel_external_calls_in_flight", {"service": "openai"}) == 0
    )


def test_web_site_breakers_fold_into_one_bounded_series() -> None:
    """The fetcher's per-site breakers never become a series each: ``key="http"`` shows the
    worst site, and goes back to closed when every site has closed."""
    metrics = Metrics(registry := CollectorRegistry())

    def transition(key: str, to: str) -> None:
        metrics.on_guard_event(
            GuardEvent(kind="breaker_transition", subject=key, message="", data={"to": to})
        )

    transition("http:acme.example", "open")
    transition("http:globex.example", "closed")
    transition("openai:gpt-x", "half_open")
    keys = {
        sample.labels["key"]: sample.value
        for family in registry.collect()
        if family.name == "jobintel_breaker_state"
        for sample in family.samples
    }
    assert keys == {"http": 2.0, "openai:gpt-x": 1.0}
    transition("http:acme.example", "closed")
    assert registry.get_sample_value("jobintel_breaker_state", {"key": "http"}) == 0.0
