"""One place that wires a process's observers into every gateway and event bus.

A ``Telemetry`` holds what this process reports to: Prometheus metrics, the in-process
alert engine and (when enabled) the OpenTelemetry tracer. ``jobintel run`` and the service
both build their gateways through ``Telemetry.gateway`` and subscribe it to their
``EventBus``, so a batch run and a served run are observed the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

from jobintel.guard import Gateway
from jobintel.guard.budget import BudgetLimits
from jobintel.guard.call import CallMeta
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import EventSink, FanOut
from jobintel.observability.alerts.config import alert_config
from jobintel.observability.alerts.engine import AlertEngine
from jobintel.observability.metrics import Metrics
from jobintel.pipeline.events import EventBus
from jobintel.providers.registry import stage_route
from jobintel.settings import LLM_STAGES, Settings
from jobintel.store import Store

log = logging.getLogger("jobintel.observability")

T = TypeVar("T")

#: How often time-based alert rules (windows, long runs, repeats) are re-evaluated.
TICK_S = 30.0


class Telemetry:
    """The observers of one process; each part is optional."""

    def __init__(
        self,
        *,
        metrics: Metrics | None = None,
        alerts: AlertEngine | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        self.metrics = metrics
        self.alerts = alerts
        self.tick_s = tick_s

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, *, metrics: Metrics | None = None
    ) -> Telemetry:
        """Alerts from ``JOBINTEL_ALERT_*`` (history in ``store``; channels optional)."""
        alerts = AlertEngine(alert_config(settings), engine=store.engine)
        return cls(metrics=metrics, alerts=alerts)

    # -- wiring ---------------------------------------------------------------------------

    def event_sink(self, base: EventSink) -> EventSink:
        """``base`` plus every observer of guard events."""
        sinks: list[EventSink] = [base]
        if self.metrics is not None:
            sinks.append(self.metrics.on_guard_event)
        if self.alerts is not None:
            sinks.append(_never_raise(self.alerts.on_guard_event))
        return FanOut(*sinks)

    def attach(self, gateway: Gateway) -> None:
        """Observe every call ``gateway`` makes."""
        if self.metrics is not None:
            gateway.observe(self.metrics.observe_call)
            gateway.around(self._in_flight)
        if self.alerts is not None:
            gateway.observe(_never_raise(self.alerts.on_call))

    def subscribe(self, bus: EventBus) -> Callable[[], None]:
        """Follow ``bus``'s progress events; returns the function that stops it."""
        stops: list[Callable[[], None]] = []
        if self.metrics is not None:
            stops.append(bus.subscribe(self.metrics.on_progress))
        if self.alerts is not None:
            stops.append(bus.subscribe(_never_raise(self.alerts.on_progress)))

        def stop() -> None:
            for unsubscribe in stops:
                unsubscribe()

        return stop

    @contextmanager
    def _in_flight(
        self, meta: CallMeta, service: str, operation: str, model: str | None
    ) -> Iterator[None]:
        assert self.metrics is not None
        with self.metrics.in_flight(service):
            yield

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
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await asyncio.to_thread(self.close)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            self.tick()

    def tick(self) -> None:
        if self.alerts is not None:
            try:
                self.alerts.tick()
            except Exception:
                log.exception("alert rules could not be evaluated")

    def close(self) -> None:
        """Evaluate once more, deliver what is queued, release resources."""
        if self.alerts is not None:
            self.tick()
            self.alerts.close()


def _never_raise(handler: Callable[[T], None]) -> Callable[[T], None]:
    """Observers must never break a call or a stage: log and carry on."""

    def safe(item: T) -> None:
        try:
            handler(item)
        except Exception:
            log.exception("an alert rule failed on %s", type(item).__name__)

    return safe
