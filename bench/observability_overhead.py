"""Per-call overhead of metrics and tracing on the guard, against an instant fake model.

Every variant calls ``Gateway.call`` with the in-process guard (budgets, rate limiter,
breaker, retries, pricing, ledger) around a chat provider that answers at once, as
bench/guard_overhead.py does; what differs is what observes the call:
- ``bare``: nothing (no ``Telemetry``; guard events go to a sink that drops them, as a
  run always has a sink);
- ``metrics``: ``Telemetry(metrics=Metrics())`` attached (counters, histograms, in-flight
  gauge, guard events);
- ``tracing``: ``Telemetry`` with jobintel's ``Tracing`` (a client span per call with
  ``gen_ai.*`` attributes and an attempt event), the calls inside a run and a stage span
  as in a real run; spans go through the SDK's ``BatchSpanProcessor`` to an exporter that
  drops them, so span creation is measured and the network is not;
- ``tracing_sampled_out``: tracing on, but the run not sampled (``tracing_sample_ratio=0``);
- ``metrics_tracing``: both.

Variants are run in interleaved rounds, in a shuffled order each round, so drift (CPU
frequency, GC, other load on the machine) spreads evenly over them. Prints p50/p99 in microseconds and the overhead over ``bare``; the last line is one
JSON object.

    .venv/bin/python bench/observability_overhead.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from guard_overhead import MESSAGES, InstantChat, percentiles  # the sibling bench's own
from jobintel.guard import CallMeta, Gateway
from jobintel.guard.events import GuardEvent
from jobintel.guard.policies import build_guard
from jobintel.observability.metrics import Metrics
from jobintel.observability.telemetry import Telemetry
from jobintel.observability.tracing import Tracing, run_span, stage_span
from jobintel.providers.base import ChatRequest
from jobintel.settings import Settings, load_settings

REQUEST = ChatRequest(model="gpt-4o-mini", messages=MESSAGES, max_tokens=64)
META = CallMeta(run_id="bench", job_id=1, stage="fit", candidate_id=1)
VARIANTS = ("bare", "metrics", "tracing", "tracing_sampled_out", "metrics_tracing")


class DroppedSpans(SpanExporter):
    """Accepts every batch and keeps nothing: span creation is timed, export is not."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def discard(event: GuardEvent) -> None:
    return None


@dataclass
class Variant:
    name: str
    gateway: Gateway
    telemetry: Telemetry | None
    exporter: DroppedSpans | None


def build(name: str, tmp: Path) -> Variant:
    sample_ratio = 0.0 if name == "tracing_sampled_out" else 1.0
    settings: Settings = load_settings(
        data_dir=tmp / "data",
        budget_run_usd=None,
        budget_job_usd=None,
        budget_day_usd=None,
        budget_month_usd=None,
        budget_stage_usd="1000000",
        tracing_enabled="tracing" in name,
        tracing_sample_ratio=sample_ratio,
    )
    guard = build_guard(settings)
    if name == "bare":
        gateway = Gateway(chat={"openai": InstantChat()}, guard=guard, on_event=discard)
        return Variant(name, gateway, None, None)
    exporter = DroppedSpans() if "tracing" in name else None
    telemetry = Telemetry(
        metrics=Metrics() if "metrics" in name else None,
        tracing=Tracing.from_settings(settings, exporter=exporter) if exporter else None,
    )
    gateway = Gateway(
        chat={"openai": InstantChat()}, guard=guard, on_event=telemetry.event_sink(discard)
    )
    telemetry.attach(gateway)
    return Variant(name, gateway, telemetry, exporter)


async def timed(variant: Variant, n: int) -> list[float]:
    """``n`` call latencies in µs, inside a run and a stage span when tracing is on."""
    tracer = variant.telemetry.tracer if variant.telemetry else None
    gateway = variant.gateway
    samples: list[float] = []
    with (
        run_span(tracer, "bench", "run"),
        stage_span(tracer, "bench", 1, "fit"),
    ):
        for _ in range(n):
            started = time.perf_counter()
            await gateway.call(META, "openai", REQUEST)
            samples.append((time.perf_counter() - started) * 1e6)
    return samples


async def measure(calls: int, rounds: int, tmp: Path) -> tuple[dict[str, list[float]], int]:
    variants = [build(name, tmp / name) for name in VARIANTS]
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with ExitStack() as stack:
        for variant in variants:
            if variant.telemetry is not None and variant.telemetry.tracing is not None:
                stack.callback(variant.telemetry.tracing.close)
        for variant in variants:  # warm up: first calls create rows, labels, caches
            await timed(variant, 100)
        per_round = max(calls // rounds, 1)
        order = random.Random(0)  # a fixed shuffle: no variant always follows another
        for _ in range(rounds):
            order.shuffle(variants)
            for variant in variants:
                samples[variant.name].extend(await timed(variant, per_round))
        for variant in variants:
            if variant.telemetry is not None and variant.telemetry.tracing is not None:
                variant.telemetry.tracing.flush()
    exported = sum(v.exporter.spans for v in variants if v.exporter is not None)
    return samples, exported


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=6000, help="timed calls per variant")
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        samples, exported = asyncio.run(measure(args.calls, args.rounds, Path(tmp)))
    figures = {name: percentiles(values) for name, values in samples.items()}
    bare = figures["bare"]
    overhead = {
        name: {
            "p50_us": round(figures[name]["p50_us"] - bare["p50_us"], 1),
            "p99_us": round(figures[name]["p99_us"] - bare["p99_us"], 1),
        }
        for name in VARIANTS
        if name != "bare"
    }
    print(f"{'variant':<22}{'p50 µs':>10}{'p99 µs':>10}{'Δp50 µs':>10}{'Δp99 µs':>10}")
    for name in VARIANTS:
        delta = overhead.get(name, {"p50_us": 0.0, "p99_us": 0.0})
        print(
            f"{name:<22}{figures[name]['p50_us']:>10.1f}{figures[name]['p99_us']:>10.1f}"
            f"{delta['p50_us']:>10.1f}{delta['p99_us']:>10.1f}"
        )
    print(f"{len(samples['bare'])} timed calls per variant; {exported} spans exported (dropped)")
    print(
        json.dumps(
            {
                "calls_per_variant": len(samples["bare"]),
                **figures,
                "overhead_vs_bare_us": overhead,
                "spans_exported": exported,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
