"""jobintel's Prometheus metrics and the adapters that feed them.

Names follow STYLE.md: ``jobintel_<subsystem>_<noun>_<unit>``, counters end ``_total``,
base units (seconds, USD), bounded labels — never a run or job id. Each ``Metrics`` owns its
registry, so tests (and several apps in one process) never share series.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from jobintel.guard.breaker import CircuitOpen
from jobintel.guard.budget_types import BudgetExceeded
from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.events import GuardEvent, GuardEventKind
from jobintel.guard.ratelimit_types import RateLimitWaitExceeded
from jobintel.observability.multiprocess import collecting_registry, multiprocess_dir
from jobintel.providers.errors import (
    FetchRefused,
    ModelRefused,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from jobintel.settings import LLM_STAGES
from jobintel.store import EventRecord

if TYPE_CHECKING:
    from jobintel.settings import Settings
    from jobintel.store import Store

#: The ``model`` label of a call that has no model (research: FireCrawl, plain HTTP).
NO_MODEL = "none"

#: Services the guard knows; their series exist (at 0) before the first call.
KNOWN_SERVICES = ("openai", "anthropic", "openrouter", "compatible", "ollama", "firecrawl", "http")
#: Pipeline stages with a pre-initialised series (other stage names still get one on use).
KNOWN_STAGES = ("ingest", *LLM_STAGES)
STAGE_OUTCOMES = ("succeeded", "degraded", "failed", "skipped", "restored")
#: Stage outcomes that carry a duration, whose histogram series are pre-initialised.
TIMED_STAGE_OUTCOMES = ("succeeded", "degraded", "failed")
#: An attempt's outcome: "ok" or the class name of the error the guard raised. Each route's
#: series exist at 0 from its first call (or first scrape), so the first error is a rate.
CALL_OUTCOMES = (
    "ok",
    *(
        error.__name__
        for error in (
            ProviderTimeout,
            ProviderUnavailable,
            ProviderRateLimited,
            ProviderRejected,
            ProviderMalformed,
            FetchRefused,
            ModelRefused,
            CircuitOpen,
            BudgetExceeded,
            RateLimitWaitExceeded,
        )
    ),
)
RUN_STATUSES = ("succeeded", "failed", "partial", "cancelled", "interrupted")
BUDGET_SCOPES = ("day", "month")
SEVERITIES = ("info", "warning", "critical")
TOKEN_KINDS = ("input", "output", "cached_read", "cache_write", "reasoning")
#: Gauge value per breaker state (documented in the metric's help).
BREAKER_STATES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}
RATELIMIT_OUTCOMES = ("granted", "refused", "penalized")

_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_STAGE_BUCKETS = (0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
_STAGE_KINDS = {f"stage_{outcome}": outcome for outcome in STAGE_OUTCOMES}
_OTHER = "other"
#: The HTTP fetcher's breakers are per site (``http:<host>``); their series is ``key="http"``.
SITE_BREAKER_PREFIX = "http:"
SITE_BREAKERS = "http"

M = TypeVar("M", bound=MetricWrapperBase)


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
            "Circuit breaker state: 0 closed, 1 half_open, 2 open (key http: the worst web site).",
            ["key"],
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.ratelimit_waits = Counter(
            "jobintel_ratelimit_waits_total",
            "Rate-limiter waits by key and outcome (granted after waiting, refused, "
            "penalized after a 429).",
            ["key", "outcome"],
            registry=own,
        )
        self.ratelimit_wait = Histogram(
            "jobintel_ratelimit_wait_seconds",
            "Time an attempt waited for rate-limit room before it was granted (0 at once).",
            ["key"],
            buckets=_WAIT_BUCKETS,
            registry=own,
        )
        self.ratelimit_headroom = Gauge(
            "jobintel_ratelimit_headroom_ratio",
            "Fraction of a limiter key's per-minute requests or tokens still free (0 while "
            "the provider asked to back off; absent when that kind is unlimited).",
            ["key", "kind"],
            registry=own,
            multiprocess_mode="mostrecent",
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
        self._headroom_series: set[tuple[str, str]] = set()
        self._site_breakers: dict[str, float] = {}
        self._children: dict[tuple[int, tuple[str, ...]], MetricWrapperBase] = {}
        self._routes: set[tuple[str, str]] = set()
        self._initialise()

    def _initialise(self) -> None:
        """Create the bounded series at 0 so rate() and alerts see them before any event."""
        for service in KNOWN_SERVICES:
            self.external_in_flight.labels(service=service)
        for stage in KNOWN_STAGES:
            for outcome in STAGE_OUTCOMES:
                self.stage_outcomes.labels(stage=stage, outcome=outcome)
            for outcome in TIMED_STAGE_OUTCOMES:
                self.stage_duration.labels(stage=stage, outcome=outcome)
        for status in RUN_STATUSES:
            self.runs.labels(status=status)
        for kind in typing.get_args(GuardEventKind):
            for severity in SEVERITIES:
                self.guard_events.labels(kind=kind, severity=severity)

    # -- adapters -----------------------------------------------------------------------

    def observe_call(self, record: CallRecord) -> None:
        """A gateway observer (``gateway.observe(metrics.observe_call)``): one attempt."""
        model = record.model or NO_MODEL
        service = record.service
        child = self._child
        self.prepare_route(service, model)
        child(self.external_calls, service, model, record.outcome).inc()
        child(self.external_call_duration, service, record.operation).observe(
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
                child(self.external_tokens, service, model, kind).inc(count)
        if record.cost_usd > 0:
            child(self.external_cost, service, model).inc(float(record.cost_usd))
        # Only an attempt the limiter let through reaches the breaker (and has its state).
        if record.breaker_state is not None:
            key = f"{service}:{record.model}" if record.model else service  # as the gateway keys
            wait = max(record.limiter_wait_s, 0.0)
            child(self.ratelimit_wait, key).observe(wait)
            if wait > 0:  # the limiter reports 0 when it granted at once
                child(self.ratelimit_waits, key, "granted").inc()

    def _child(self, metric: M, *values: str) -> M:
        """``metric.labels(*values)``, remembered: label values are bounded, and the lookup
        costs more than the increment on the per-call path."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found  # type: ignore[return-value]

    def prepare_route(self, service: str, model: str) -> None:
        """Create a ``service``/``model`` route's call series for every outcome at 0."""
        if (service, model) in self._routes:
            return
        self._routes.add((service, model))
        for outcome in CALL_OUTCOMES:
            self.external_calls.labels(service=service, model=model, outcome=outcome)

    def prepare_routes(self, settings: Settings) -> None:
        """``prepare_route`` for every model route the settings give a pipeline stage, and
        for the research service they choose: a fault in a run's first seconds then shows
        as an increase from 0 rather than as a series born at 1, which ``rate()`` ignores."""
        from jobintel.providers.registry import research_service, stage_route

        routes = [route for stage in LLM_STAGES if (route := stage_route(settings, stage))]
        for route in routes:
            self.prepare_route(route.provider, route.model)
        research = research_service(settings, llm_configured=bool(routes))
        if research is not None:
            self.prepare_route(research, NO_MODEL)

    @contextmanager
    def in_flight(self, service: str) -> Iterator[None]:
        """Count a call as in flight while the block runs (for the gateway's call path)."""
        gauge = self._child(self.external_in_flight, service)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def call_scope(
        self, meta: CallMeta, service: str, operation: str, model: str | None
    ) -> AbstractContextManager[None]:
        """A ``Gateway.around`` scope: the call is in flight while it runs."""
        return self.in_flight(service)

    def on_guard_event(self, event: GuardEvent) -> None:
        """An ``EventSink``: counts the event; breaker transitions set the breaker gauge."""
        self.guard_events.labels(kind=event.kind, severity=event.severity).inc()
        if event.kind == "breaker_transition":
            state = BREAKER_STATES.get(str(event.data.get("to", "")))
            if state is not None:
                self._set_breaker(event.subject, state)
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
        """Set the gauges that mirror the store (budgets, runs, queue, breakers, limiter
        headroom) and create the configured routes' series; call at scrape time."""
        from jobintel.observability.store_gauges import read_gauges

        self.prepare_routes(settings)
        values = await read_gauges(store, settings, now=now)
        for key, state in values.breakers.items():
            if state in BREAKER_STATES:
                self._set_breaker(key, BREAKER_STATES[state])
        self._set_headroom(values.headroom)
        for key in values.limiter_keys:
            # Every known limiter key's series exist before its first wait.
            self.ratelimit_wait.labels(key=key)
            for outcome in RATELIMIT_OUTCOMES:
                self.ratelimit_waits.labels(key=key, outcome=outcome)
        for scope in BUDGET_SCOPES:
            self.budget_spent.labels(scope=scope).set(float(values.spent_usd.get(scope, 0)))
            limit = values.limit_usd.get(scope)
            if limit is not None:
                self.budget_limit.labels(scope=scope).set(float(limit))
            elif scope in self._limited_scopes():
                self._drop(self.budget_limit, (scope,), lifted=math.nan)
        self.runs_running.set(values.running)
        self.run_oldest_running.set(values.oldest_running_s)
        self.queue_depth.set(values.queued)

    def _set_breaker(self, key: str, state: float) -> None:
        """Set a breaker's gauge. The fetcher has a breaker per web site: those fold into
        one ``key="http"`` series showing the worst site, so labels stay bounded."""
        if not key.startswith(SITE_BREAKER_PREFIX):
            self.breaker_state.labels(key=key).set(state)
            return
        self._site_breakers[key] = state
        self.breaker_state.labels(key=SITE_BREAKERS).set(max(self._site_breakers.values()))

    def _set_headroom(self, headroom: dict[tuple[str, str], float]) -> None:
        for (key, kind), ratio in headroom.items():
            self.ratelimit_headroom.labels(key=key, kind=kind).set(ratio)
        for stale in self._headroom_series - set(headroom):
            self._drop(self.ratelimit_headroom, stale, lifted=1.0)
        self._headroom_series = set(headroom)

    def _drop(self, gauge: Gauge, labels: tuple[str, ...], *, lifted: float) -> None:
        """A limit was lifted: remove its series (no stale value). Multiprocess mode cannot
        remove a series, so it shows ``lifted`` instead."""
        if self.multiprocess:
            gauge.labels(*labels).set(lifted)
        else:
            gauge.remove(*labels)

    def _limited_scopes(self) -> set[str]:
        return {
            sample.labels["scope"]
            for family in self.budget_limit.collect()
            for sample in family.samples
        }

    def exposition(self) -> bytes:
        """The text exposition of every metric (every process's, in multiprocess mode)."""
        return generate_latest(self.registry)
