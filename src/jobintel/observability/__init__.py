"""Observability: Prometheus metrics (and, later, alerting and tracing)."""

from jobintel.observability.metrics import Metrics
from jobintel.observability.multiprocess import (
    mark_worker_dead,
    multiprocess_dir,
    prepare_multiprocess_dir,
)
from jobintel.observability.service import install_metrics

__all__ = [
    "Metrics",
    "install_metrics",
    "mark_worker_dead",
    "multiprocess_dir",
    "prepare_multiprocess_dir",
]
