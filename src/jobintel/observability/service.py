"""Wiring the metrics into the service: ``install_metrics(app)`` from the app's lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from jobintel.observability.metrics import Metrics


def install_metrics(app: FastAPI, metrics: Metrics | None = None) -> Metrics:
    """Put a ``Metrics`` on ``app.state.metrics`` and subscribe it to the executor's bus.

    Call it in the lifespan after ``app.state.executor`` is set. Idempotent: a second call
    returns the installed object. Without an executor yet, only the state is set (and
    ``GET /metrics`` still serves the store-backed gauges).
    """
    installed: Metrics | None = getattr(app.state, "metrics", None)
    if installed is not None:
        return installed
    installed = metrics or Metrics()
    app.state.metrics = installed
    executor = getattr(app.state, "executor", None)
    if executor is not None:
        app.state.metrics_unsubscribe = executor.subscribe(installed.on_progress)
    return installed
