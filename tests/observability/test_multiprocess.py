"""Multiprocess mode: worker processes write into one directory and a scrape sums them."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest

from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.events import GuardEvent
from jobintel.observability import mark_worker_dead, prepare_multiprocess_dir
from jobintel.observability.multiprocess import ENV, collecting_registry
from jobintel.providers.base import Usage


def _worker(calls: int, breaker_to: str) -> None:
    """Runs in a spawned process: PROMETHEUS_MULTIPROC_DIR is set before its first import."""
    from jobintel.observability import Metrics

    metrics = Metrics()
    assert metrics.multiprocess
    record = CallRecord(
        meta=CallMeta(),
        service="openai",
        operation="chat",
        model="gpt-x",
        attempt=1,
        usage=Usage(input_tokens=10, output_tokens=5),
        cost_usd=Decimal("0.5"),
        latency_s=0.2,
        outcome="ok",
    )
    for _ in range(calls):
        metrics.observe_call(record)
    metrics.on_guard_event(
        GuardEvent(
            kind="breaker_transition",
            subject="openai",
            message="moved",
            data={"from": "closed", "to": breaker_to},
        )
    )
    metrics.external_in_flight.labels(service="openai").inc()


def run_worker(calls: int, breaker_to: str) -> int:
    process = multiprocessing.get_context("spawn").Process(target=_worker, args=(calls, breaker_to))
    process.start()
    process.join(timeout=60)
    assert process.exitcode == 0
    pid = process.pid
    process.close()
    assert pid is not None
    return pid


def test_prepare_empties_the_directory(tmp_path: Path) -> None:
    """prepare_multiprocess_dir creates the directory and removes earlier processes' files."""
    directory = tmp_path / "prom"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"stale")
    (directory / "nested").mkdir()
    assert prepare_multiprocess_dir(directory) == directory
    assert list(directory.iterdir()) == []
    assert prepare_multiprocess_dir(tmp_path / "new").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        prepare_multiprocess_dir(tmp_path / "file")


def test_two_processes_aggregate_into_one_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counters from two spawned workers add up, the breaker gauge shows the most recent
    write, in-flight sums live workers and drops a worker marked dead."""
    directory = prepare_multiprocess_dir(tmp_path / "prom")
    monkeypatch.setenv(ENV, str(directory))
    first = run_worker(3, "open")
    second = run_worker(2, "half_open")
    assert any(directory.iterdir())
    get = collecting_registry(directory).get_sample_value
    ok = {"service": "openai", "model": "gpt-x", "outcome": "ok"}
    assert get("jobintel_external_calls_total", ok) == 5
    tokens = {"service": "openai", "model": "gpt-x", "kind": "input"}
    assert get("jobintel_external_tokens_total", tokens) == 50
    assert get("jobintel_external_cost_usd_total", {"service": "openai", "model": "gpt-x"}) == 2.5
    latency = {"service": "openai", "operation": "chat"}
    assert get("jobintel_external_call_duration_seconds_count", latency) == 5
    assert get("jobintel_breaker_state", {"key": "openai"}) == 1
    assert get("jobintel_external_calls_in_flight", {"service": "openai"}) == 2
    mark_worker_dead(first, directory)
    get = collecting_registry(directory).get_sample_value
    assert get("jobintel_external_calls_in_flight", {"service": "openai"}) == 1
    assert get("jobintel_external_calls_total", ok) == 5
    assert second != first
