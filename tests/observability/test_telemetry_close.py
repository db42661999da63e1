"""Closing telemetry flushes alerts and spans side by side, so their bounds do not add up."""

from __future__ import annotations

import threading
from typing import cast

from jobintel.observability.alerts.engine import AlertEngine
from jobintel.observability.telemetry import Telemetry
from jobintel.observability.tracing import Tracing


class SlowAlerts:
    """Alert delivery that only finishes once span export has begun (or gives up)."""

    def __init__(self, exporting: threading.Event) -> None:
        self.exporting = exporting
        self.saw_export = False
        self.ticked = False

    def tick(self) -> None:
        self.ticked = True

    def close(self) -> None:
        self.saw_export = self.exporting.wait(timeout=10)


class SlowTracing:
    """Span export that says when it begins, then fails."""

    def __init__(self) -> None:
        self.exporting = threading.Event()

    def close(self) -> None:
        self.exporting.set()
        raise RuntimeError("the OTLP endpoint is unreachable")


def test_spans_are_exported_while_alerts_are_delivered() -> None:
    """Span export starts before alert delivery ends (sequential closing would make the
    alerts wait out their 10 s here and see no export), and its failure is only logged."""
    tracing = SlowTracing()
    alerts = SlowAlerts(tracing.exporting)
    telemetry = Telemetry(alerts=cast(AlertEngine, alerts), tracing=cast(Tracing, tracing))
    telemetry.close()
    assert alerts.ticked and alerts.saw_export
