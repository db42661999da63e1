"""`jobintel run` with tracing on exports the run's trace to an OTLP/HTTP receiver."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.observability.otlp import environment, langfuse_settings
from jobintel.observability.tracing import stored_trace_id
from jobintel.pipeline import PIPELINE
from jobintel.settings import LLM_STAGES
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.loopback import free_port
from tests.observability.otlp.receiver import OtlpReceiver, ReceivedSpan

API_KEY = "otlp-e2e-key-5d1e0b-never-printed"


def _ancestors(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> list[str]:
    """Names of ``span``'s parents, nearest first."""
    names: list[str] = []
    parent = by_id.get(span.parent_span_id)
    while parent is not None:
        names.append(parent.name)
        parent = by_id.get(parent.parent_span_id)
    return names


def _set_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, values: dict[str, str]) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    for name in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _run_cli(tmp_path: Path, *options: str) -> tuple[str, str | None, str]:
    """Run one posting through `jobintel run`; the run's id, stored trace id and output."""
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(EXAMPLES / "postings" / "northwind-platform-lead.md"),
            "--cv",
            str(EXAMPLES / "master-cv.md"),
            "-q",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'jobintel.db'}")
    try:
        (run,) = store.runs()
    finally:
        store.close()
    return run.id, stored_trace_id(run.options), result.output


def test_run_exports_one_trace_with_run_and_stage_spans(
    receiver: OtlpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deterministic `jobintel run` sends one trace, a run span with a span per stage
    under it, whose trace id is the one stored on the run; the key is never printed."""
    _set_env(
        monkeypatch,
        tmp_path,
        {
            "JOBINTEL_TRACING_ENABLED": "true",
            "JOBINTEL_OTLP_ENDPOINT": receiver.url,
            "JOBINTEL_OTLP_HEADERS": f'{{"x-api-key": "{API_KEY}"}}',
            "JOBINTEL_TRACING_SERVICE_NAME": "jobintel-e2e",
        },
    )
    run_id, stored, output = _run_cli(tmp_path, "--strategy", "deterministic")
    assert API_KEY not in output

    stage_names = {f"stage {name}" for name in PIPELINE.names}
    spans = receiver.wait_for_spans(len(stage_names) + 1)
    assert stored is not None
    assert {span.trace_id for span in spans} == {stored}
    by_id = {span.span_id: span for span in spans}
    [root] = [span for span in spans if not span.parent_span_id]
    assert root.name == "jobintel run"
    assert root.attributes["jobintel.run_id"] == run_id
    assert root.resource["service.name"] == "jobintel-e2e"
    stages = [span for span in spans if span.name.startswith("stage ")]
    assert {span.name for span in stages} == stage_names
    for stage in stages:
        assert _ancestors(stage, by_id)[-1] == "jobintel run"
        assert stage.attributes["jobintel.run_id"] == run_id
        assert stage.attributes["jobintel.outcome"] == "succeeded"
    assert {export.headers["x-api-key"] for export in receiver.exports} == {API_KEY}


def test_llm_run_exports_call_spans_to_langfuse_settings(
    receiver: OtlpReceiver,
    simulator: SimulatorHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the Langfuse env lines (host at the receiver), a run whose extract stage calls
    a model exports the call as a gen_ai client span under that stage, to Langfuse's path
    with its Basic auth."""
    routes = {name: "deterministic" for name in LLM_STAGES if name != "extract"}
    _set_env(
        monkeypatch,
        tmp_path,
        {
            **environment(langfuse_settings("pk-lf-e2e", "sk-lf-e2e", host=receiver.url)),
            "JOBINTEL_MODEL": "openai:gpt-4o-mini",
            "JOBINTEL_OPENAI_BASE_URL": simulator.openai_base_url,
            "JOBINTEL_OPENAI_API_KEY": "sim-key",
            "JOBINTEL_RESEARCH": "off",
            "JOBINTEL_STAGE_MODELS": json.dumps(routes),
        },
    )
    _, stored, output = _run_cli(tmp_path, "--strategy", "llm")
    assert "sk-lf-e2e" not in output

    spans = receiver.wait_for_spans(len(PIPELINE.names) + 2)
    assert {span.trace_id for span in spans} == {stored}
    assert {export.path for export in receiver.exports} == {"/api/public/otel/v1/traces"}
    assert all(e.headers["authorization"].startswith("Basic ") for e in receiver.exports)
    by_id = {span.span_id: span for span in spans}
    [call] = [span for span in spans if span.name == "chat gpt-4o-mini"]
    assert by_id[call.parent_span_id].name == "stage extract"
    assert call.attributes["gen_ai.operation.name"] == "chat"
    assert call.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert call.attributes["gen_ai.usage.input_tokens"] > 0
    assert call.attributes["gen_ai.usage.output_tokens"] > 0
    assert "jobintel.attempt" in call.events


def test_run_succeeds_when_the_receiver_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With nothing listening at the endpoint the run still succeeds and keeps its trace
    id; the failed export is logged, without the header value."""
    _set_env(
        monkeypatch,
        tmp_path,
        {
            "JOBINTEL_TRACING_ENABLED": "true",
            "JOBINTEL_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            "JOBINTEL_OTLP_HEADERS": f'{{"x-api-key": "{API_KEY}"}}',
            "JOBINTEL_OTLP_TIMEOUT_S": "0.5",
        },
    )
    with caplog.at_level(logging.WARNING):
        _, stored, output = _run_cli(tmp_path, "--strategy", "deterministic")
    assert stored is not None
    assert any("export" in record.getMessage() for record in caplog.records)
    assert API_KEY not in output
    assert API_KEY not in caplog.text
