"""One place that wires a process's observers into every gateway and event bus.

A ``Telemetry`` holds what this process reports to: Prometheus metrics, the in-process
alert engine and (when enabled) the OpenTelemetry tracer. ``jobintel run`` and the service
both build their gateways through ``Telemetry.gateway`` and subscribe it to their
``EventBus``, so a batch run and a served run are observed the same way.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from jobintel.errors import ConfigError
from jobintel.guard import Gateway
from jobintel.guard.budget import BudgetLimits
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import EventSink, FanOut
from jobintel.observability.alerts.config import alert_config
from jobintel.observability.alerts.engine import AlertEngine
from jobintel.observability.metrics import Metrics
from jobintel.pipeline.events import EventBus
from jobintel.providers.registry import stage_route
from jobintel.settings import LLM_STAGES, Settings
from jobintel.store import Store

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

    from jobintel.observability.tracing import Tracing

log = logging.getLogger("jobintel.observability")

#: How often time-based alert rules (windows, long runs, repeats) are re-evaluated.
TICK_S = 30.0


def settings_problems(settings: Settings) -> list[tuple[str, str]]:
    """Alerting and trace-export settings that cannot work, each naming its variable; check
    them before a run or the service starts, not halfway through."""
    from jobintel.observability.otlp import otlp_problems

    problems: list[tuple[str, str]] = []
    try:
        alert_config(settings)
    except ConfigError as exc:
        problems.extend(exc.problems)
    return problems + otlp_problems(settings)


class Telemetry:
    """The observers of one process; each part is optional."""

    def __init__(
        self,
        *,
        metrics: Metrics | None = None,
        alerts: AlertEngine | None = None,
        tracing: Tracing | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        self.metrics = metrics
        self.alerts = alerts
        self.tracing = tracing
        self.tick_s = tick_s

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Store,
        *,
        metrics: Metrics | None = None,
        span_exporter: SpanExporter | None = None,
    ) -> Telemetry:
        """Alerts from ``JOBINTEL_ALERT_*`` (history in ``store``; channels optional), and
        traces when ``tracing_enabled`` (to ``span_exporter``, else the OTLP endpoint)."""
        alerts = AlertEngine(alert_config(settings), engine=store.engine)
        tracing = None
        if settings.tracing_enabled:
            # Imported here: with tracing off, the SDK is never loaded nor set up.
            from jobintel.observability.tracing import Tracing

            tracing = Tracing.from_settings(settings, exporter=span_exporter)
        return cls(metrics=metrics, alerts=alerts, tracing=tracing)

    @property
    def tracer(self) -> Tracer | None:
        """The tracer for runs and stages (None when tracing is off: no spans at all)."""
        return self.tracing.tracer if self.tracing is not None else None

    # -- wiring ---------------------------------------------------------------------------

    def event_sink(self, base: EventSink) -> EventSink:
        """``base`` plus every observer of guard events."""
        sinks: list[EventSink] = [base]
        if self.metrics is not None:
            sinks.append(self.metrics.on_guard_event)
        if self.alerts is not None:
            sinks.append(self.alerts.on_guard_event)
        return FanOut(*sinks)

    def attach(self, gateway: Gateway) -> None:
        """Observe every call ``gateway`` makes."""
        if self.metrics is not None:
            gateway.observe(self.metrics.observe_call)
            gateway.around(self.metrics.call_scope)
        if self.alerts is not None:
            gateway.observe(self.alerts.on_call)
        if self.tracing is not None:
            gateway.around(self.tracing.call_scope)
            gateway.observe(self.tracing.on_call)

    def subscribe(self, bus: EventBus) -> Callable[[], None]:
        """Follow ``bus``'s progress events; returns the function that stops it."""
        stops: list[Callable[[], None]] = []
        if self.metrics is not None:
            stops.append(bus.subscribe(self.metrics.on_progress))
        if self.alerts is not None:
            stops.append(bus.subscribe(self.alerts.on_progress))

        def stop() -> None:
            for unsubscribe in stops:
                unsubscribe()

        return stop

    @asynccontextmanager
    async def gateway(
        self, settings: Settings, store: Store, limits: BudgetLimits
    ) -> AsyncIterator[Gateway | None]:
        """The gateway for a run, observed; None when no stage is routed to a model (an
        offline run opens no HTTP client).

        Budgets, rate limits, breakers and the ledger live in the store, so every process
        sharing the database shares them.
        """
        if not any(stage_route(settings, stage) for stage in LLM_STAGES):
            yield None
            return
        gateway = Gateway.from_settings(
            settings,
            engine=store.engine,
            on_event=self.event_sink(GuardEventLog(store.engine)),
            limits=limits,
        )
        self.attach(gateway)
        async with gateway:
            yield gateway

    # -- lifetime -------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Telemetry]:
        """Tick the time-based alert rules while the block runs, then flush and close."""
        ticker = asyncio.create_task(self._tick_forever(), name="jobintel-telemetry-tick")
        try:
            yield self
        finally:
            ticker.cancel()
            # Waits for the ticker to stop; a cancel aimed at this task still propagates.
            await asyncio.gather(ticker, return_exceptions=True)
            await asyncio.to_thread(self.close)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            # On a worker thread: a tick may read the store, which must not stall the loop.
            await asyncio.to_thread(self.tick)

    def tick(self) -> None:
        if self.alerts is not None:
            try:
                self.alerts.tick()
            except Exception:
                log.exception("alert rules could not be evaluated")

    def close(self) -> None:
        """Evaluate once more, deliver what is queued, export the spans, release resources.

        Alerts and spans are flushed side by side: a stuck alert channel and an unreachable
        trace endpoint each have their own bound, and exit waits for the longer, not both.
        """
        spans = None
        if self.tracing is not None:
            spans = threading.Thread(
                target=self._close_tracing, name="jobintel-span-export", daemon=True
            )
            spans.start()
        try:
            if self.alerts is not None:
                self.tick()
                self.alerts.close()
        finally:
            if spans is not None:
                spans.join()

    def _close_tracing(self) -> None:
        assert self.tracing is not None
        try:
            self.tracing.close()
        except Exception:
            log.exception("the last spans could not be exported")
