"""A real OTLP/HTTP trace receiver on loopback: decodes what exporters POST to it.

It accepts POST on any path (``/v1/traces``, ``/api/public/otel/v1/traces``...), decodes
the protobuf ``ExportTraceServiceRequest`` and records the path, the headers and every
span with its attributes, so a test reads back exactly what a collector, Langfuse or
LangSmith would have received.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tests.loopback import serve_http


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as the receiver decoded it."""

    name: str
    trace_id: str  # 32 hex digits, as OpenTelemetry prints it
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, Any]
    events: tuple[str, ...]
    resource: dict[str, Any]
    status_code: int
    path: str


@dataclass(frozen=True)
class ReceivedExport:
    """One POST: where it went, its headers (names lower-cased) and its spans."""

    path: str
    headers: dict[str, str]
    spans: tuple[ReceivedSpan, ...]


@dataclass
class OtlpReceiver:
    """Records every export; answers ``status`` (200 unless a test sets another)."""

    url: str = ""
    status: int = 200
    exports: list[ReceivedExport] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self.lock:
            return [span for export in self.exports for span in export.spans]

    def wait_for_spans(self, count: int, timeout_s: float = 5.0) -> list[ReceivedSpan]:
        """The spans received once there are at least ``count`` (or whatever came in time)."""
        deadline = time.monotonic() + timeout_s
        while len(self.spans) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.spans


def value_of(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as the Python value it was set from."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(value_of(item) for item in value.array_value.values)
    if kind == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


def attributes_of(pairs: Any) -> dict[str, Any]:
    items: list[KeyValue] = list(pairs)
    return {pair.key: value_of(pair.value) for pair in items}


def decode(body: bytes, path: str) -> tuple[ReceivedSpan, ...]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        attributes=attributes_of(span.attributes),
                        events=tuple(event.name for event in span.events),
                        resource=resource,
                        status_code=span.status.code,
                        path=path,
                    )
                )
    return tuple(spans)


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """Serve an OTLP/HTTP receiver on a free 127.0.0.1 port for the block."""
    receiver = OtlpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            export = ReceivedExport(
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                spans=decode(body, self.path),
            )
            with receiver.lock:
                receiver.exports.append(export)
                status = receiver.status
            answer = ExportTraceServiceResponse().SerializeToString() if status == 200 else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    with serve_http(Handler) as receiver.url:
        yield receiver
