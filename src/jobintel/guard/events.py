"""Guard events: budget thresholds, breaker transitions, limiter waits, pricing anomalies.

Every guard component takes an optional ``on_event`` sink and calls it with a frozen
``GuardEvent``; the gateway fans them out to the store, logs, metrics and alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

log = logging.getLogger("jobintel.guard")

GuardEventKind = Literal[
    "budget_threshold",  # a scope reached 80% (or 100%) of its limit
    "budget_exceeded",  # a reservation was refused
    "breaker_transition",  # closed/open/half_open changes
    "rate_limited",  # a caller waited past its bound, or a provider sent 429
    "pricing_anomaly",  # a priced model reported $0 or no usage
    "reservation_expired",  # a crashed holder's reservation was reclaimed
]


@dataclass(frozen=True, kw_only=True)
class GuardEvent:
    kind: GuardEventKind
    #: What it is about: a budget scope key ("day:2026-11-29"), or "service[:model]".
    subject: str
    message: str
    severity: Literal["info", "warning", "critical"] = "warning"
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


EventSink = Callable[[GuardEvent], None]


def ignore_events(event: GuardEvent) -> None:
    """The default sink: components work without anyone listening."""
    return None


class FanOut:
    """An ``EventSink`` that hands each event to several sinks; ``close`` closes those that can."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def __call__(self, event: GuardEvent) -> None:
        # One failing sink (a metric, an alert rule) must not hide the event from the others
        # nor fail the guard step that emitted it.
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:
                log.exception("guard event sink %r failed on %s", sink, event.kind)

    def close(self) -> None:
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if callable(close):
                close()
