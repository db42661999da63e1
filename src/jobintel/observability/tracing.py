"""OpenTelemetry traces of runs, stages and external calls (off unless ``tracing_enabled``).

One trace per execution of a run: a root ``jobintel run`` (or ``jobintel rerun``) span,
a ``stage <name>`` span per stage of each job under it, and under those a client span per
guarded external call (``chat gpt-4o-mini``, ``search firecrawl``) carrying the
``gen_ai.*`` semantic-convention attributes, jobintel's own (cost, budget, breaker,
degradation) and one ``jobintel.attempt`` event per attempt the guard made.

Each ``Tracing`` owns its ``TracerProvider`` and hands its tracer to whoever needs it; the
process-wide provider is never set, so several can coexist (tests, an app per test). When
tracing is off nothing here is built: the runner and gateway get no tracer and skip every
span with one ``is None`` check.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, format_span_id, format_trace_id

from jobintel import __version__, context
from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.tokens import normalise_usage

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer
    from opentelemetry.util.types import AttributeValue

    from jobintel.settings import Settings

log = logging.getLogger("jobintel.observability")

#: Longest error text put on a span (messages are written for users, but may be long).
MAX_ERROR_CHARS = 500
#: Trace ids kept in a run's options: the latest is ``trace_id``, earlier ones follow it.
MAX_TRACE_IDS = 20


class Tracing:
    """A tracer provider of this process's own, its tracer, and the gateway's call hooks."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer("jobintel", __version__)
        self._closed = False
        _install_trace_ids()

    @classmethod
    def from_settings(cls, settings: Settings, *, exporter: SpanExporter | None = None) -> Tracing:
        """Sampled by ``tracing_sample_ratio`` per run, exported to ``exporter`` or else the
        OTLP/HTTP endpoint of the settings (with neither, spans only give logs their ids)."""
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        resource = Resource.create(
            {"service.name": settings.tracing_service_name, "service.version": __version__}
        )
        sampler = ParentBased(TraceIdRatioBased(settings.tracing_sample_ratio))
        provider = TracerProvider(resource=resource, sampler=sampler)
        if exporter is None:
            exporter = _otlp_exporter(settings)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        else:
            log.warning(
                "tracing is on but JOBINTEL_OTLP_ENDPOINT is not set: trace ids reach the "
                "logs and run records, but no span is exported; set the endpoint to send them"
            )
        return cls(provider)

    # -- gateway hooks ------------------------------------------------------------------

    @contextmanager
    def call_scope(
        self, meta: CallMeta, service: str, operation: str, model: str | None
    ) -> Iterator[None]:
        """A client span around one whole guarded call, retries included."""
        parent = trace.get_current_span()
        if parent.get_span_context().is_valid and not parent.is_recording():
            yield  # the run was not sampled, so neither are its calls: skip the span work
            return
        attributes: dict[str, AttributeValue] = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": service,
            "gen_ai.system": service,  # the attribute's older name, still read by some backends
        }
        if model:
            attributes["gen_ai.request.model"] = model
        attributes.update(_ids(meta.run_id, meta.job_id, meta.stage))
        name = f"{operation} {model or service}"
        with self.tracer.start_as_current_span(
            name,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            call = _Call(span)
            token = _CALL.set(call)
            try:
                yield
            except BaseException as exc:
                call.failed(exc)
                raise
            finally:
                _CALL.reset(token)
                call.finish()

    def on_call(self, record: CallRecord) -> None:
        """An attempt's event on the call's span, and the call's running totals."""
        call = _CALL.get()
        if call is not None:
            call.attempt(record)

    # -- lifetime -----------------------------------------------------------------------

    def flush(self) -> None:
        """Export what has ended so far."""
        self.provider.force_flush()

    def close(self) -> None:
        """Export what is left and stop (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.provider.shutdown()
        finally:
            _remove_trace_ids()


class _Call:
    """What one call's span accumulates over its attempts."""

    __slots__ = ("attempts", "cost_usd", "input_tokens", "last", "output_tokens", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.attempts = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_usd = Decimal(0)
        self.last: CallRecord | None = None

    def attempt(self, record: CallRecord) -> None:
        usage, _ = normalise_usage(record.usage)
        self.attempts += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cost_usd += record.cost_usd
        self.last = record
        event: dict[str, AttributeValue] = {
            "jobintel.attempt": record.attempt,
            "jobintel.outcome": record.outcome,
            "jobintel.latency_s": record.latency_s,
            "jobintel.cost_usd": float(record.cost_usd),
            "jobintel.cost_source": record.cost_source,
            "jobintel.budget.reserved_usd": float(record.reserved_usd),
            "jobintel.limiter_wait_s": record.limiter_wait_s,
            "jobintel.degraded": record.degraded,
            "gen_ai.usage.input_tokens": usage.input_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
        }
        if record.breaker_state is not None:
            event["jobintel.breaker_state"] = record.breaker_state
        if record.http_status is not None:
            event["http.response.status_code"] = record.http_status
        if record.outcome != "ok":
            event["error.type"] = record.outcome
        if record.error:
            event["jobintel.error"] = record.error[:MAX_ERROR_CHARS]
        self.span.add_event("jobintel.attempt", attributes=event)

    def failed(self, exc: BaseException) -> None:
        kind = type(exc).__name__
        self.span.set_attribute("error.type", kind)
        self.span.set_status(Status(StatusCode.ERROR, f"{kind}: {exc}"[:MAX_ERROR_CHARS]))
        scope = getattr(exc, "scope", None)  # BudgetExceeded: the budget that said no
        if scope is not None:
            self.span.set_attribute("jobintel.budget.scope", str(getattr(scope, "key", scope)))
            self.span.set_attribute("jobintel.budget.scope_kind", str(getattr(scope, "kind", "")))

    def finish(self) -> None:
        totals: dict[str, AttributeValue] = {
            "gen_ai.usage.input_tokens": self.input_tokens,
            "gen_ai.usage.output_tokens": self.output_tokens,
            "jobintel.cost_usd": float(self.cost_usd),
            "jobintel.attempts": self.attempts,
        }
        last = self.last
        if last is not None:
            totals["jobintel.outcome"] = last.outcome
            totals["jobintel.degraded"] = last.degraded
            totals["jobintel.budget.reserved_usd"] = float(last.reserved_usd)
            if last.breaker_state is not None:
                totals["jobintel.breaker_state"] = last.breaker_state
        self.span.set_attributes(totals)


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "jobintel_traced_call", default=None
)


# -- spans of the runner ------------------------------------------------------------------


@contextmanager
def run_span(
    tracer: Tracer | None, run_id: str, operation: str, **attributes: AttributeValue
) -> Iterator[Span | None]:
    """The root span of one execution of a run (None, and no work, without a tracer)."""
    if tracer is None:
        yield None
        return
    values: dict[str, AttributeValue] = {"jobintel.run_id": run_id, "jobintel.operation": operation}
    values.update({f"jobintel.{key}": value for key, value in attributes.items()})
    with tracer.start_as_current_span(f"jobintel {operation}", attributes=values) as span:
        try:
            yield span
        except Exception as exc:
            span.set_attributes({"jobintel.outcome": "failed", "error.type": type(exc).__name__})
            raise
        except BaseException:  # cancelled or stopped: the run can be resumed
            span.set_attribute("jobintel.outcome", "interrupted")
            raise


@contextmanager
def stage_span(
    tracer: Tracer | None, run_id: str, job_id: int, stage: str
) -> Iterator[Span | None]:
    """One stage of one job (None, and no work, without a tracer)."""
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span(
        f"stage {stage}", attributes=_ids(run_id, job_id, stage)
    ) as span:
        try:
            yield span
        except Exception as exc:
            span.set_attributes({"jobintel.outcome": "failed", "error.type": type(exc).__name__})
            raise


def stage_outcome(
    span: Span | None, outcome: str, *, strategy: str | None = None, reason: str | None = None
) -> None:
    """Record how a stage ended on its span (nothing without one)."""
    if span is None:
        return
    values: dict[str, AttributeValue] = {
        "jobintel.outcome": outcome,
        "jobintel.degraded": outcome == "degraded",
    }
    if strategy is not None:
        values["jobintel.strategy"] = strategy
    if reason:
        values["jobintel.degraded_reason"] = reason[:MAX_ERROR_CHARS]
    span.set_attributes(values)


def trace_id_of(span: Span | None) -> str | None:
    """The span's trace id in hex when it is recorded (sampled), else None."""
    if span is None or not span.is_recording():
        return None
    return format_trace_id(span.get_span_context().trace_id)


def with_trace_id(options: Mapping[str, object], trace_id: str | None) -> dict[str, object]:
    """A run's options with ``trace_id`` as its latest trace (earlier ones in ``trace_ids``)."""
    updated = dict(options)
    if trace_id is None:
        return updated
    earlier = options.get("trace_ids")
    ids = [str(i) for i in earlier] if isinstance(earlier, list) else []
    updated["trace_id"] = trace_id
    updated["trace_ids"] = [*(i for i in ids if i != trace_id), trace_id][-MAX_TRACE_IDS:]
    return updated


def stored_trace_id(options: Mapping[str, object]) -> str | None:
    """The trace id stored with a run's latest traced execution, or None."""
    trace_id = options.get("trace_id")
    return trace_id if isinstance(trace_id, str) and trace_id else None


def earlier_trace_ids(options: Mapping[str, object]) -> list[str]:
    """Trace ids of a run's earlier traced executions (resumes, re-runs), oldest first."""
    ids = options.get("trace_ids")
    latest = stored_trace_id(options)
    if not isinstance(ids, list):
        return []
    return [str(i) for i in ids if isinstance(i, str) and i != latest]


def _ids(run_id: str | None, job_id: int | None, stage: str | None) -> dict[str, AttributeValue]:
    ids: dict[str, AttributeValue] = {}
    if run_id is not None:
        ids["jobintel.run_id"] = run_id
    if job_id is not None:
        ids["jobintel.job_id"] = job_id
    if stage is not None:
        ids["jobintel.stage"] = stage
    return ids


# -- log correlation ----------------------------------------------------------------------

_installed = 0
_install_lock = threading.Lock()


def current_trace_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) in hex of the span recording in this context, or None."""
    span = trace.get_current_span()
    if not span.is_recording():
        return None
    ids = span.get_span_context()
    return format_trace_id(ids.trace_id), format_span_id(ids.span_id)


def _install_trace_ids() -> None:
    """Logs carry trace ids while any ``Tracing`` is open (the lookup is provider-free)."""
    global _installed
    with _install_lock:
        _installed += 1
        context.set_trace_ids(current_trace_ids)


def _remove_trace_ids() -> None:
    global _installed
    with _install_lock:
        _installed = max(0, _installed - 1)
        if _installed == 0:
            context.set_trace_ids(None)


def _otlp_exporter(settings: Settings) -> SpanExporter | None:
    """The OTLP/HTTP exporter for the settings' endpoint, or None without one."""
    from jobintel.observability.otlp import otlp_exporter

    return otlp_exporter(settings)
