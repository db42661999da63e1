"""Observability: Prometheus metrics, in-process alerts, OpenTelemetry traces.

``telemetry.Telemetry`` wires them into a run's gateway and event bus; ``metrics``,
``alerts``, ``tracing`` and ``otlp`` are the parts. Only the metrics façade is imported
here, so the pipeline can use ``observability.tracing`` without loading the service stack
or the OpenTelemetry SDK.
"""

from jobintel.observability.metrics import Metrics
from jobintel.observability.multiprocess import (
    mark_worker_dead,
    multiprocess_dir,
    prepare_multiprocess_dir,
)

__all__ = [
    "Metrics",
    "mark_worker_dead",
    "multiprocess_dir",
    "prepare_multiprocess_dir",
]
