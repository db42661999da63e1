"""jobintel's Prometheus metrics and the adapters that feed them.

Names follow STYLE.md: ``jobintel_<subsystem>_<noun>_<unit>``, counters end ``_total``,
base units (seconds, USD), bounded labels — never a run or job id. Each ``Metrics`` owns its
registry, so tests (and several apps in one process) never share series.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from jobintel.guard.call import CallRecord
from jobintel.guard.events import GuardEvent, GuardEventKind
from jobintel.observability.multiprocess import collecting_registry, multiprocess_dir
from jobintel.settings import LLM_STAGES
from jobintel.store import EventRecord

if TYPE_CHECKING:
    from jobintel.settings import Settings
    from jobintel.store import Store

#: Services the guard knows; their series exist (at 0) before the first call.
KNOWN_SERVICES = ("openai", "anthropic", "openrouter", "compatible", "ollama", "firecrawl", "web")
#: Pipeline stages with a pre-initialised series (other stage names still get one on use).
KNOWN_STAGES = ("ingest", *LLM_STAGES)
STAGE_OUTCOMES = ("succeeded", "degraded", "failed", "skipped", "restored")
RUN_STATUSES = ("succeeded", "failed", "partial", "cancelled", "interrupted")
BUDGET_SCOPES = ("day", "month")
SEVERITIES = ("info", "warning", "critical")
TOKEN_KINDS = ("input", "output", "cached_read", "cache_write", "reasoning")
#: Gauge value per breaker state (documented in the metric's help).
BREAKER_STATES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}

_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_STAGE_BUCKETS = (0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
_STAGE_KINDS = {f"stage_{outcome}": outcome for outcome in STAGE_OUTCOMES}
_OTHER = "other"


class Metrics:
    """Every jobintel metric, on ``registry`` (a fresh one by default).

    With ``PROMETHEUS_MULTIPROC_DIR`` set and no registry given, samples go to that
    directory and ``registry`` aggregates all processes' files at scrape time.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        shared = multiprocess_dir() if registry is None else None
        # In multiprocess mode the metrics' own registry is never scraped: values live in files.
        own = registry if registry is not None else CollectorRegistry()
        self.registry = collecting_registry(shared) if shared else own
        self.multiprocess = shared is not None

        self.external_calls = Counter(
            "jobintel_external_calls_total",
            "External API attempts by service, model and outcome (ok or the error class).",
            ["service", "model", "outcome"],
            registry=own,
        )
        self.external_call_duration = Histogram(
            "jobintel_external_call_duration_seconds",
            "Latency of one external API attempt.",
            ["service", "operation"],
            buckets=_CALL_BUCKETS,
            registry=own,
        )
        self.external_tokens = Counter(
            "jobintel_external_tokens_total",
            "Tokens by kind (input and output include their cached and reasoning parts).",
            ["service", "model", "kind"],
            registry=own,
        )
        self.external_cost = Counter(
            "jobintel_external_cost_usd_total",
            "Cost of external calls in USD.",
            ["service", "model"],
            registry=own,
        )
        self.external_in_flight = Gauge(
            "jobintel_external_calls_in_flight",
            "External calls in progress.",
            ["service"],
            registry=own,
            multiprocess_mode="livesum",
        )
        self.budget_spent = Gauge(
            "jobintel_budget_spent_usd",
            "USD spent in the current day or month budget scope.",
            ["scope"],
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.budget_limit = Gauge(
            "jobintel_budget_limit_usd",
            "The day or month budget limit in USD (absent when unlimited).",
            ["scope"],
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.breaker_state = Gauge(
            "jobintel_breaker_state",
            "Circuit breaker state: 0 closed, 1 half_open, 2 open.",
            ["key"],
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.ratelimit_waits = Counter(
            "jobintel_ratelimit_waits_total",
            "Rate-limiter waits by key and outcome (granted, refused, penalized after a 429).",
            ["key", "outcome"],
            registry=own,
        )
        self.guard_events = Counter(
            "jobintel_guard_events_total",
            "Guard events (budget, breaker, rate limit, pricing anomaly) by kind and severity.",
            ["kind", "severity"],
            registry=own,
        )
        self.stage_duration = Histogram(
            "jobintel_stage_duration_seconds",
            "Time a stage took for one job.",
            ["stage", "outcome"],
            buckets=_STAGE_BUCKETS,
            registry=own,
        )
        self.stage_outcomes = Counter(
            "jobintel_stage_outcomes_total",
            "Stage results per job.",
            ["stage", "outcome"],
            registry=own,
        )
        self.runs = Counter(
            "jobintel_runs_total", "Finished runs by status.", ["status"], registry=own
        )
        self.runs_running = Gauge(
            "jobintel_runs_running",
            "Runs in progress.",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.run_oldest_running = Gauge(
            "jobintel_run_oldest_running_seconds",
            "Age of the oldest running run (0 when none runs).",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.queue_depth = Gauge(
            "jobintel_service_queue_depth",
            "Runs queued and not yet started.",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self._initialise()

    def _initialise(self) -> None:
        """Create the bounded series at 0 so rate() and alerts see them before any event."""
        for service in KNOWN_SERVICES:
            self.external_in_flight.labels(service=service)
        for stage in KNOWN_STAGES:
            for outcome in STAGE_OUTCOMES:
                self.stage_outcomes.labels(stage=stage, outcome=outcome)
        for status in RUN_STATUSES:
            self.runs.labels(status=status)
        for kind in typing.get_args(GuardEventKind):
            for severity in SEVERITIES:
                self.guard_events.labels(kind=kind, severity=severity)

    # -- adapters -----------------------------------------------------------------------

    def observe_call(self, record: CallRecord) -> None:
        """A gateway observer (``gateway.observe(metrics.observe_call)``): one attempt."""
        model = record.model or "none"
        service = record.service
        self.external_calls.labels(service=service, model=model, outcome=record.outcome).inc()
        self.external_call_duration.labels(service=service, operation=record.operation).observe(
            max(record.latency_s, 0.0)
        )
        usage = record.usage
        for kind, count in zip(
            TOKEN_KINDS,
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.cached_read_tokens,
                usage.cache_write_tokens,
                usage.reasoning_tokens,
            ),
            strict=True,
        ):
            if count > 0:
                self.external_tokens.labels(service=service, model=model, kind=kind).inc(count)
        if record.cost_usd > 0:
            self.external_cost.labels(service=service, model=model).inc(float(record.cost_usd))

    @contextmanager
    def in_flight(self, service: str) -> Iterator[None]:
        """Count a call as in flight while the block runs (for the gateway's call path)."""
        gauge = self.external_in_flight.labels(service=service)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def on_guard_event(self, event: GuardEvent) -> None:
        """An ``EventSink``: counts the event; breaker transitions set the breaker gauge."""
        self.guard_events.labels(kind=event.kind, severity=event.severity).inc()
        if event.kind == "breaker_transition":
            state = BREAKER_STATES.get(str(event.data.get("to", "")))
            if state is not None:
                self.breaker_state.labels(key=event.subject).set(state)
        elif event.kind == "rate_limited":
            outcome = "refused" if "max_wait_s" in event.data else "penalized"
            self.ratelimit_waits.labels(key=event.subject, outcome=outcome).inc()

    def on_progress(self, record: EventRecord) -> None:
        """An ``EventBus`` subscriber: stage outcomes and durations, finished runs."""
        outcome = _STAGE_KINDS.get(record.kind)
        if outcome is not None and record.stage:
            self.stage_outcomes.labels(stage=record.stage, outcome=outcome).inc()
            if record.duration_ms is not None:
                self.stage_duration.labels(stage=record.stage, outcome=outcome).observe(
                    max(record.duration_ms, 0.0) / 1000
                )
        elif record.kind == "run_finished":
            # The runner says "partial"; the executor says "failed: <reason>".
            status = record.message.split(":", 1)[0].strip()
            self.runs.labels(status=status if status in RUN_STATUSES else _OTHER).inc()

    async def refresh_from_store(
        self, store: Store, settings: Settings, *, now: datetime | None = None
    ) -> None:
        """Set the gauges that mirror the store (budgets, runs, queue); call at scrape time."""
        from jobintel.observability.store_gauges import read_gauges

        values = await read_gauges(store, settings, now=now)
        for scope in BUDGET_SCOPES:
            self.budget_spent.labels(scope=scope).set(float(values.spent_usd.get(scope, 0)))
            limit = values.limit_usd.get(scope)
            if limit is not None:
                self.budget_limit.labels(scope=scope).set(float(limit))
            elif scope in self._limited_scopes():
                self.budget_limit.remove(scope)  # the limit was lifted: no stale series
        self.runs_running.set(values.running)
        self.run_oldest_running.set(values.oldest_running_s)
        self.queue_depth.set(values.queued)

    def _limited_scopes(self) -> set[str]:
        return {
            sample.labels["scope"]
            for family in self.budget_limit.collect()
            for sample in family.samples
        }

    def exposition(self) -> bytes:
        """The text exposition of every metric (every process's, in multiprocess mode)."""
        return generate_latest(self.registry)
