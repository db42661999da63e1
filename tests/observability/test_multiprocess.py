"""Multiprocess mode: worker processes write into one directory and a scrape sums them."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.events import GuardEvent
from jobintel.observability import mark_worker_dead, prepare_multiprocess_dir
from jobintel.observability.multiprocess import ENV, collecting_registry
from jobintel.providers.base import Usage
from tests.conftest import EXAMPLES
from tests.loopback import free_port


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
    """prepare_multiprocess_dir creates the directory and removes earlier processes' sample
    files, leaving anything else in it alone."""
    directory = tmp_path / "prom"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"stale")
    (directory / "gauge_livesum_123.db").write_bytes(b"stale")
    (directory / "nested").mkdir()
    (directory / "notes.txt").write_text("someone else's")
    assert prepare_multiprocess_dir(directory) == directory
    assert sorted(p.name for p in directory.iterdir()) == ["nested", "notes.txt"]
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


def test_serve_refuses_a_multiproc_dir_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jobintel serve` with PROMETHEUS_MULTIPROC_DIR pointing at a file exits 2 before
    serving, naming the variable and what to point it at."""
    from typer.testing import CliRunner

    from jobintel.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "prom").write_text("not a directory")
    monkeypatch.setenv(ENV, str(tmp_path / "prom"))
    result = CliRunner().invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 2, result.output
    output = result.output.replace("\n", "")  # rich wraps long lines
    assert f"{ENV}={tmp_path / 'prom'} is a file" in output
    assert "point it at a directory" in output


def test_serve_empties_the_multiproc_dir_before_its_app_writes_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead process's samples left in PROMETHEUS_MULTIPROC_DIR are removed when `jobintel
    serve` starts, so its /metrics counts only what the new process does."""
    directory = prepare_multiprocess_dir(tmp_path / "prom")
    monkeypatch.setenv(ENV, str(directory))  # spawned children import prometheus_client with it
    stale = multiprocessing.get_context("spawn").Process(target=_stale_worker)
    stale.start()
    stale.join(timeout=60)
    assert stale.exitcode == 0
    stale_files = set(directory.iterdir())
    assert stale_files
    stale_get = collecting_registry(directory).get_sample_value
    assert stale_get("jobintel_runs_total", {"status": "failed"}) == 7

    port = free_port()
    env = {
        **os.environ,
        ENV: str(directory),
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_METRICS_PUBLIC": "true",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "jobintel", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        text = _first_scrape(f"http://127.0.0.1:{port}/metrics", server)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert text is not None, output
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert found[("jobintel_runs_total", (("status", "failed"),))] == 0
    assert not any(name == "jobintel_external_calls_total" for name, _ in found)
    assert not stale_files & set(directory.iterdir())  # the dead pid's files are gone
    assert any(directory.iterdir())  # the server writes its own


def _stale_worker() -> None:
    """A process that ran before the server: its counters must not survive a restart."""
    from jobintel.observability import Metrics

    metrics = Metrics()
    metrics.runs.labels(status="failed").inc(7)
    metrics.external_calls.labels(service="openai", model="gpt-x", outcome="ok").inc(3)


def _first_scrape(url: str, server: subprocess.Popen[str]) -> str | None:
    for _ in range(600):
        if server.poll() is not None:
            return None
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        assert response.status_code == 200, response.text
        return response.text
    return None


def test_a_batch_run_writes_its_samples_to_the_shared_directory(tmp_path: Path) -> None:
    """`jobintel run` with PROMETHEUS_MULTIPROC_DIR set (and no --metrics-port) writes its
    samples there, so the service's /metrics counts the batch: its stages and its run."""
    directory = prepare_multiprocess_dir(tmp_path / "prom")
    env = {
        **os.environ,
        ENV: str(directory),
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_OUT_DIR": str(tmp_path / "out"),
        "JOBINTEL_STRATEGY": "deterministic",
    }
    posting = EXAMPLES / "postings" / "northwind-platform-lead.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobintel",
            "run",
            str(posting),
            "--cv",
            str(EXAMPLES / "master-cv.md"),
            "-q",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    get = collecting_registry(directory).get_sample_value
    assert get("jobintel_runs_total", {"status": "succeeded"}) == 1
    assert get("jobintel_stage_outcomes_total", {"stage": "fit", "outcome": "succeeded"}) == 1
    # The exited run's in-flight gauge files are gone; its counters stay, as they must.
    assert not list(directory.glob("gauge_live*"))
