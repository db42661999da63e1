"""The service's ``Metrics``: the lifespan installs one with its ``Telemetry``; this finds it."""

from __future__ import annotations

from fastapi import FastAPI

from jobintel.observability.metrics import Metrics


def install_metrics(app: FastAPI, metrics: Metrics | None = None) -> Metrics:
    """The app's ``Metrics`` (``app.state.metrics``), installing one if the app has none.

    ``create_app``'s lifespan installs it, fed through ``Telemetry``; an app without that
    lifespan gets one subscribed to its executor's bus, if any, and ``GET /metrics`` still
    serves the store-backed gauges. Idempotent: a second call returns the installed object.
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
