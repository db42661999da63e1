"""`jobintel run --metrics-port`: a batch run serves its own /metrics on loopback while it runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.simulator import SimulatorHandle
from tests.conftest import EXAMPLES
from tests.loopback import free_port

POSTING = EXAMPLES / "postings" / "northwind-platform-lead.md"
CV = EXAMPLES / "master-cv.md"


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port some other program is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def values(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str) -> float:
    return sum(value for (sample, _), value in found.items() if sample == name)


def test_a_running_batch_serves_its_metrics_with_fresh_store_gauges(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """While `jobintel run --metrics-port` works through LLM calls, a scrape of
    127.0.0.1:PORT/metrics shows its calls and stages and the store-backed gauges (this run
    running, the day budget); when the run ends the port is closed again."""
    simulator.configure(latency_base_ms=400)  # every call takes a while: time to scrape
    port = free_port()
    env = {
        **os.environ,
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_OUT_DIR": str(tmp_path / "out"),
        "JOBINTEL_STRATEGY": "llm",
        "JOBINTEL_MODEL": "openai:gpt-4o-mini",
        "JOBINTEL_OPENAI_BASE_URL": simulator.openai_base_url,
        "JOBINTEL_OPENAI_API_KEY": "sim-key",
        "JOBINTEL_RESEARCH": "off",
        "JOBINTEL_BUDGET_DAY_USD": "3",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "jobintel", "run", str(POSTING), "--cv", str(CV)]
    process = subprocess.Popen(
        [*command, "--metrics-port", str(port), "-q"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    during: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    try:
        deadline = time.monotonic() + 60
        # Scrape until a finished call shows (the run is then still mid-way: several calls left).
        while process.poll() is None and time.monotonic() < deadline:
            try:
                response = httpx.get(url, timeout=5)
            except httpx.TransportError:
                time.sleep(0.02)  # not listening yet
                continue
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            found = values(response.text)
            if total(found, "jobintel_external_calls_total") >= 1:
                during = found
                break
            time.sleep(0.02)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert during, f"no scrape saw a call while the run ran:\n{output}"
    ok = frozenset({("service", "openai"), ("model", "gpt-4o-mini"), ("outcome", "ok")})
    assert during[("jobintel_external_calls_total", ok)] >= 1
    assert during[("jobintel_runs_running", frozenset())] == 1
    assert during[("jobintel_budget_limit_usd", frozenset({("scope", "day")}))] == 3
    ingested = frozenset({("stage", "ingest"), ("outcome", "succeeded")})
    assert during[("jobintel_stage_outcomes_total", ingested)] == 1  # before any model call
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=5)  # the run is over: nothing listens any more


@pytest.mark.parametrize("command", ["run", "rerun"])
def test_a_busy_metrics_port_is_refused_naming_the_option(
    command: str, busy_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run` and `rerun` refuse a --metrics-port that is in use before doing any work, with
    an error that names the option and says what to do."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    args = [str(POSTING), "--cv", str(CV)] if command == "run" else ["no-such-run", "fit"]
    result = CliRunner().invoke(app, [command, *args, "--metrics-port", str(busy_port)])
    assert result.exit_code == 2, result.output
    assert "--metrics-port" in result.output
    assert f"port {busy_port} on 127.0.0.1 is already in use" in result.output
    assert "pick a free port" in result.output
    assert not (tmp_path / "data" / "jobintel.db").exists()  # nothing was planned


def test_metrics_port_is_refused_when_samples_already_go_to_a_shared_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set the run's samples already reach the service's
    /metrics, so a --metrics-port (which would count them twice) is refused up front."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    result = CliRunner().invoke(
        app, ["run", str(POSTING), "--cv", str(CV), "--metrics-port", "9464"]
    )
    assert result.exit_code == 2, result.output
    assert "PROMETHEUS_MULTIPROC_DIR is set" in result.output
    assert "drop --metrics-port" in result.output
    assert not (tmp_path / "data" / "jobintel.db").exists()  # nothing was planned
