"""The OTLP/HTTP exporter built from settings, against a real receiver on loopback."""

from __future__ import annotations

import logging
import traceback

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

from jobintel.errors import ConfigError
from jobintel.observability.otlp import otlp_exporter, traces_endpoint
from tests.loopback import free_port
from tests.observability.otlp.conftest import SettingsFactory, write_spans
from tests.observability.otlp.receiver import OtlpReceiver

SECRET = "sk-otlp-7f3a9c-never-log-me"


def test_no_endpoint_means_no_exporter(make_settings: SettingsFactory) -> None:
    """Without JOBINTEL_OTLP_ENDPOINT there is nothing to export to, so no exporter."""
    assert otlp_exporter(make_settings(otlp_headers={"x-api-key": SECRET})) is None


def test_spans_arrive_with_attributes_and_headers(
    receiver: OtlpReceiver, make_settings: SettingsFactory
) -> None:
    """Spans batched through the exporter reach the receiver with their attributes, parent
    links, resource and the configured headers."""
    exporter = otlp_exporter(
        make_settings(otlp_endpoint=receiver.url, otlp_headers={"x-api-key": SECRET})
    )
    assert exporter is not None
    provider = TracerProvider(resource=Resource.create({"service.name": "jobintel-test"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.otlp")
    with tracer.start_as_current_span("run", attributes={"jobintel.run_id": "r-42"}) as run:
        with tracer.start_as_current_span("chat gpt-4o-mini") as call:
            call.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            call.set_attribute("gen_ai.usage.input_tokens", 42)
            call.set_attribute("jobintel.cost_usd", 0.000123)
            call.set_attribute("jobintel.degraded", False)
            call.add_event("attempt", {"attempt": 1})
        run_trace_id = format(run.get_span_context().trace_id, "032x")
    provider.force_flush()
    provider.shutdown()

    spans = {span.name: span for span in receiver.wait_for_spans(2)}
    assert set(spans) == {"run", "chat gpt-4o-mini"}
    chat = spans["chat gpt-4o-mini"]
    assert chat.attributes == {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 42,
        "jobintel.cost_usd": 0.000123,
        "jobintel.degraded": False,
    }
    assert chat.events == ("attempt",)
    assert chat.parent_span_id == spans["run"].span_id
    assert chat.trace_id == spans["run"].trace_id == run_trace_id
    assert spans["run"].attributes == {"jobintel.run_id": "r-42"}
    assert chat.resource["service.name"] == "jobintel-test"
    assert {export.path for export in receiver.exports} == {"/v1/traces"}
    headers = receiver.exports[0].headers
    assert headers["x-api-key"] == SECRET
    assert headers["content-type"] == "application/x-protobuf"


@pytest.mark.parametrize(
    ("suffix", "path"),
    [
        ("", "/v1/traces"),
        ("/", "/v1/traces"),
        ("/v1/traces", "/v1/traces"),
        ("/v1/traces/", "/v1/traces"),
        ("/collector", "/collector/v1/traces"),
        ("/collector/v1/traces", "/collector/v1/traces"),
    ],
)
def test_endpoint_is_normalised_to_the_traces_path(
    receiver: OtlpReceiver, make_settings: SettingsFactory, suffix: str, path: str
) -> None:
    """A base URL gets /v1/traces appended; a URL already ending in /v1/traces is kept."""
    exporter = otlp_exporter(make_settings(otlp_endpoint=receiver.url + suffix))
    assert exporter is not None
    write_spans(exporter)
    assert len(receiver.wait_for_spans(2)) == 2
    assert {export.path for export in receiver.exports} == {path}


def test_query_string_survives_normalisation() -> None:
    """A receiver that takes a token in the query keeps it after /v1/traces is appended."""
    assert traces_endpoint(" https://otel.example.com/tenant-a?org=7 ") == (
        "https://otel.example.com/tenant-a/v1/traces?org=7"
    )


@pytest.mark.parametrize(
    "endpoint",
    ["grpc://127.0.0.1:4317", "127.0.0.1:4318", "localhost", "ftp://user:hunter2@example.com/x"],
)
def test_non_http_endpoint_is_rejected_naming_the_setting(
    make_settings: SettingsFactory, endpoint: str
) -> None:
    """A non-http(s) endpoint is a ConfigError naming JOBINTEL_OTLP_ENDPOINT and the fix,
    without echoing the URL (it may carry credentials)."""
    with pytest.raises(ConfigError) as caught:
        otlp_exporter(make_settings(otlp_endpoint=endpoint))
    [(setting, message)] = caught.value.problems
    assert setting == "JOBINTEL_OTLP_ENDPOINT"
    assert "http:// or https://" in message
    assert "http://127.0.0.1:4318" in message  # the fix: an example of a valid value
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [f"Bearer {SECRET}\r\nX-Injected: 1", f" {SECRET}", f"{SECRET}\u2019", ""],
)
def test_unsendable_header_is_rejected_without_its_value(
    make_settings: SettingsFactory, value: str
) -> None:
    """A header value the HTTP client would refuse (and quote in its error) is rejected up
    front, naming JOBINTEL_OTLP_HEADERS and the header but never the value."""
    settings = make_settings(
        otlp_endpoint="http://127.0.0.1:4318", otlp_headers={"x-api-key": value}
    )
    with pytest.raises(ConfigError) as caught:
        otlp_exporter(settings)
    [(setting, message)] = caught.value.problems
    assert setting == "JOBINTEL_OTLP_HEADERS"
    assert "'x-api-key'" in message
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_invalid_header_name_is_rejected(make_settings: SettingsFactory) -> None:
    """A header name with a space or colon cannot be sent; the error names it and the fix."""
    settings = make_settings(
        otlp_endpoint="http://127.0.0.1:4318", otlp_headers={"x api:key": SECRET}
    )
    with pytest.raises(ConfigError, match="JOBINTEL_OTLP_HEADERS: header name 'x api:key'"):
        otlp_exporter(settings)


def _logged_text(records: list[logging.LogRecord]) -> str:
    """Everything a log handler could write for ``records``: messages, args, tracebacks."""
    parts: list[str] = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            parts.extend(traceback.format_exception(record.exc_info[1]))
    return "\n".join(parts)


def test_receiver_error_is_logged_without_secrets(
    receiver: OtlpReceiver, make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A receiver answering 500 makes the export fail quietly: spans end normally, the
    failure is logged, and the header values appear nowhere in the log."""
    receiver.status = 500
    exporter = otlp_exporter(
        make_settings(
            otlp_endpoint=receiver.url,
            otlp_headers={"Authorization": f"Bearer {SECRET}"},
            otlp_timeout_s=2,
        )
    )
    assert exporter is not None
    with caplog.at_level(logging.DEBUG):
        write_spans(exporter)  # ends spans through a SimpleSpanProcessor: must not raise
    assert receiver.exports[0].headers["authorization"] == f"Bearer {SECRET}"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failed export should be logged"
    assert "500" in _logged_text(errors)
    assert SECRET not in _logged_text(caplog.records)
    assert SECRET not in caplog.text


def test_unreachable_receiver_never_raises_and_hides_secrets(
    make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """With nothing listening, export returns FAILURE within the timeout instead of
    raising, and the connection error it logs carries no header value."""
    exporter = otlp_exporter(
        make_settings(
            otlp_endpoint=f"http://127.0.0.1:{free_port()}",
            otlp_headers={"x-api-key": SECRET},
            otlp_timeout_s=0.5,
        )
    )
    assert exporter is not None
    span = TracerProvider().get_tracer("tests.otlp").start_span("stage")
    span.end()
    assert isinstance(span, ReadableSpan)
    with caplog.at_level(logging.DEBUG):
        result = exporter.export([span])  # what a span processor calls: must not raise
        write_spans(exporter)  # ends spans, then shuts the exporter down
    assert result is SpanExportResult.FAILURE
    assert any(r.levelno >= logging.ERROR for r in caplog.records)
    assert SECRET not in _logged_text(caplog.records)
