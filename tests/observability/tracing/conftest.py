"""Traced runs for the tracing tests: the real runner, gateway and store, spans in memory."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from jobintel.guard.ledger import CostLedger, LedgerEntry
from jobintel.guard.policies import budget_limits
from jobintel.logs import ContextFilter, JsonFormatter
from jobintel.observability.telemetry import Telemetry
from jobintel.pipeline import PIPELINE, EventBus, PipelineRunner, RunSummary, plan_run
from jobintel.pipeline.dag import StageGraph
from jobintel.settings import LLM_STAGES, Settings, load_settings
from jobintel.simulator import SimulatorHandle
from jobintel.store import StageRecord, Store
from tests.conftest import EXAMPLES

POSTING = EXAMPLES / "postings" / "northwind-platform-lead.md"


def llm_settings(tmp_path: Path, sim: SimulatorHandle, **overrides: Any) -> Settings:
    """Every LLM stage on the simulator's OpenAI wire, FireCrawl research, tracing on."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "out_dir": tmp_path / "out",
        "strategy": "llm",
        "model": "openai:gpt-4o-mini",
        "writer_model": "openai:gpt-4o",
        "openai_base_url": sim.openai_base_url,
        "openai_api_key": "sim-key",
        "research": "firecrawl",
        "firecrawl_base_url": sim.firecrawl_base_url,
        "firecrawl_api_key": "sim-key",
        "llm_timeout_s": 10.0,
        "retry_backoff_s": 0.01,
        "retry_max_backoff_s": 0.05,
        "tracing_enabled": True,
    }
    values.update(overrides)
    return load_settings(**values)


def only_extract(tmp_path: Path, sim: SimulatorHandle, **overrides: Any) -> Settings:
    """Only the extract stage calls a model; the others run deterministically."""
    routes = {name: "deterministic" for name in LLM_STAGES if name != "extract"}
    return llm_settings(tmp_path, sim, stage_models=routes, research="off", **overrides)


def offline_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"strategy": "deterministic", "tracing_enabled": True, **overrides}
    return load_settings(data_dir=tmp_path / "data", out_dir=tmp_path / "out", **values)


@dataclass(frozen=True, kw_only=True)
class TracedRun:
    """What a run left behind: its spans, ledger, stored options and stage checkpoints."""

    run_id: str
    summary: RunSummary
    spans: tuple[ReadableSpan, ...]
    ledger: list[LedgerEntry]
    options: dict[str, Any]
    stages: dict[str, StageRecord]

    @property
    def root(self) -> ReadableSpan:
        (root,) = [s for s in self.spans if s.parent is None]
        return root

    @property
    def trace_id(self) -> str:
        assert self.root.context is not None
        return format_trace_id(self.root.context.trace_id)

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name.startswith(prefix)]

    def stage(self, name: str) -> ReadableSpan:
        (span,) = [s for s in self.spans if s.name == f"stage {name}"]
        return span

    @property
    def calls(self) -> list[ReadableSpan]:
        return [s for s in self.spans if s.kind == SpanKind.CLIENT]


def span_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format_span_id(span.context.span_id)


def trace_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return format_trace_id(span.context.trace_id)


def parent_of(span: ReadableSpan) -> str | None:
    """The parent span's id in hex (None for a root span)."""
    return None if span.parent is None else format_span_id(span.parent.span_id)


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def traced_run(
    settings: Settings,
    *,
    run_id: str | None = None,
    rerun_stage: str | None = None,
    graph: StageGraph = PIPELINE,
) -> TracedRun:
    """Plan a run over one posting (or reuse ``run_id``), execute it (or re-run a stage)
    with tracing from ``Telemetry.from_settings``, and read back what it left."""
    exporter = InMemorySpanExporter()
    store = Store.open(settings.effective_database_url)
    try:
        bus = EventBus(store)
        if run_id is None:
            run_id = plan_run(
                store,
                settings,
                bus,
                posting_paths=[POSTING],
                cv_path=EXAMPLES / "master-cv.md",
                out_dir=settings.out_dir,
            ).run_id
        telemetry = Telemetry.from_settings(settings, store, span_exporter=exporter)
        try:
            limits = budget_limits(settings)
            async with telemetry.gateway(settings, store, limits) as gateway:
                runner = PipelineRunner(
                    store, settings, bus=bus, graph=graph, gateway=gateway, tracer=telemetry.tracer
                )
                if rerun_stage is None:
                    summary = await runner.execute(run_id)
                else:
                    summary = await runner.rerun(run_id, rerun_stage)
        finally:
            telemetry.close()
        (job,) = summary.jobs
        return TracedRun(
            run_id=run_id,
            summary=summary,
            spans=tuple(exporter.get_finished_spans()),
            ledger=CostLedger(store.engine).entries(run_id=run_id),
            options=dict(store.run(run_id).options),
            stages=store.stage_results(job.job_id),
        )
    finally:
        store.close()


@dataclass
class JsonLogs:
    """JSON log lines of the ``jobintel`` logger, formatted as ``log_format=json`` does."""

    stream: io.StringIO

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]


@pytest.fixture
def json_logs() -> Iterator[JsonLogs]:
    """Capture ``jobintel`` logs at INFO and above as the JSON lines a user would see."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("jobintel")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield JsonLogs(stream)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
