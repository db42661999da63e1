"""Shared pieces for OTLP tests: a loopback receiver, isolated settings and a span writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from jobintel.settings import Settings, load_settings
from tests.observability.otlp.receiver import OtlpReceiver, otlp_receiver

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as running:
        yield running


@pytest.fixture
def make_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SettingsFactory:
    """Settings in a temp dir, free of the developer's .env and OTEL_* variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        monkeypatch.delenv(name, raising=False)

    def make(**overrides: object) -> Settings:
        return load_settings(data_dir=tmp_path / "data", out_dir=tmp_path / "out", **overrides)

    return make


def write_spans(exporter: SpanExporter) -> None:
    """Export a small trace through ``exporter``: a run span with one stage span in it."""
    provider = TracerProvider(resource=Resource.create({"service.name": "jobintel-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.otlp")
    with (
        tracer.start_as_current_span("run", attributes={"jobintel.run_id": "r-1"}),
        tracer.start_as_current_span("stage fit", attributes={"jobintel.stage": "fit"}),
    ):
        pass
    provider.shutdown()
