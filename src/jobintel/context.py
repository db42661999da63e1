"""The ids of the work in progress, carried by contextvars into logs, spans and events.

The runner binds ``run_id``, ``job_id`` and ``stage`` around each unit of work; anything
that runs inside it (the guard, the providers, a log call) reads them from here instead of
having them threaded through every signature. asyncio copies the context into each task,
so concurrent jobs never see each other's ids.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "jobintel_run_id", default=None
)
_JOB_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "jobintel_job_id", default=None
)
_STAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("jobintel_stage", default=None)

#: Returns (trace_id, span_id) as hex of the current span, or None; set by tracing when on.
TraceIds = Callable[[], tuple[str, str] | None]
_trace_ids: TraceIds | None = None


@contextmanager
def bind(
    *, run_id: str | None = None, job_id: int | None = None, stage: str | None = None
) -> Iterator[None]:
    """Set the given ids for the block (ids not given keep their outer values)."""
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = []
    if run_id is not None:
        tokens.append((_RUN_ID, _RUN_ID.set(run_id)))
    if job_id is not None:
        tokens.append((_JOB_ID, _JOB_ID.set(job_id)))
    if stage is not None:
        tokens.append((_STAGE, _STAGE.set(stage)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, Any]:
    """The bound ids (only those set), plus ``trace_id``/``span_id`` when a span records."""
    found: dict[str, Any] = {}
    run_id, job_id, stage = _RUN_ID.get(), _JOB_ID.get(), _STAGE.get()
    if run_id is not None:
        found["run_id"] = run_id
    if job_id is not None:
        found["job_id"] = job_id
    if stage is not None:
        found["stage"] = stage
    if _trace_ids is not None:
        ids = _trace_ids()
        if ids is not None:
            found["trace_id"], found["span_id"] = ids
    return found


def set_trace_ids(provider: TraceIds | None) -> None:
    """Install (or, with None, remove) the function giving the current span's ids."""
    global _trace_ids
    _trace_ids = provider
