"""Geometry of the server-rendered SVG charts: horizontal bars and run timelines.

Each chart row is HTML text (a label, a value) beside a thin inline SVG strip whose
``viewBox`` is ``SCALE`` units wide and stretches to its box: the text keeps its size on
a phone and on a desktop, and no script or style attribute is needed to draw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

#: Width of every strip's viewBox.
SCALE = 1000


@dataclass(frozen=True, kw_only=True)
class Bar:
    label: str
    value_text: str
    width: float  # 0..SCALE


def bar_chart(rows: Sequence[tuple[str, Decimal, str]]) -> list[Bar]:
    """One bar per ``(label, value, value_text)``, scaled so the largest spans the strip.

    A non-zero value too small to see still gets a sliver, so a cheap row is never
    mistaken for a free one.
    """
    peak = max((value for _, value, _ in rows), default=Decimal(0))
    bars = []
    for label, value, text in rows:
        width = 0.0 if peak <= 0 else float(value / peak) * SCALE
        if value > 0:
            width = max(width, 4.0)
        bars.append(Bar(label=label, value_text=text, width=round(width, 1)))
    return bars


@dataclass(frozen=True, kw_only=True)
class Span:
    """One stage of one job on the job's time axis."""

    stage: str
    status: str
    x: float  # 0..SCALE
    width: float
    start_ms: float  # since the job's first stage started
    end_ms: float


def timeline(stages: Sequence[tuple[str, str, datetime, datetime]]) -> list[Span]:
    """Gantt spans for ``(stage, status, started_at, finished_at)``, in the given order.

    The axis runs from the first start to the last end; every span is at least a few
    units wide so an instant stage stays visible.
    """
    if not stages:
        return []
    start = min(s[2] for s in stages)
    end = max(s[3] for s in stages)
    total = max((end - start).total_seconds(), 1e-6)
    spans = []
    for stage, status, began, finished in stages:
        offset = (began - start).total_seconds()
        length = (finished - began).total_seconds()
        x = min(offset / total * SCALE, SCALE - 4.0)
        width = min(max(length / total * SCALE, 4.0), SCALE - x)
        spans.append(
            Span(
                stage=stage,
                status=status,
                x=round(x, 1),
                width=round(width, 1),
                start_ms=offset * 1000,
                end_ms=(offset + length) * 1000,
            )
        )
    return spans
