"""A real Prometheus scrapes a real jobintel service through a batch: every dashboard query works.

The service (uvicorn on loopback) runs the example postings with LLM strategies and web
research against the provider simulator, with injected 500s and a 429, a day budget and
rate limits. Prometheus (Debian's binary, loopback, 1 s scrapes) uses the shipped
prometheus.yml and alert rules, with only the target, token file and intervals changed.
Then each Grafana panel's PromQL goes through Prometheus's HTTP API and must return data.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from jobintel.service.auth.tokens import create_token
from jobintel.settings import Settings, load_settings
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.deploy.test_prometheus_rules import (
    EXPECTED_ALERTS,
    HISTOGRAMS,
    KNOWN_SERIES,
    PROMETHEUS,
    dashboard_panels,
    grafana_to_promql,
)
from tests.loopback import free_port
from tests.service.web.live_server import serve

PROMETHEUS_BIN = shutil.which("prometheus") or "/usr/bin/prometheus"
FINISHED = {"succeeded", "failed", "partial", "cancelled", "interrupted"}
#: Bound on each wait below; a healthy run of this test takes a few seconds in all.
WAIT_S = 30.0


def require_prometheus() -> str:
    """Path to prometheus; its absence is a broken CI machine, never a reason to skip."""
    if not Path(PROMETHEUS_BIN).exists():
        pytest.fail(
            "prometheus is not installed: .ci/run installs Debian's `prometheus` package, "
            "which provides it (or run `apt-get install -y prometheus`)"
        )
    return PROMETHEUS_BIN


def scrape_config(directory: Path, service: str, token: str) -> Path:
    """deploy/prometheus as shipped, scraping ``service`` every second with ``token``."""
    shutil.copytree(PROMETHEUS / "rules", directory / "rules")
    (directory / "jobintel-metrics.token").write_text(token + "\n")
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["jobintel-service"]["static_configs"] = [{"targets": [service]}]
    # No batch runs with --metrics-port here; the CLI target would only be down.
    config["scrape_configs"] = [jobs["jobintel-service"]]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def prometheus(config: Path, storage: Path) -> Iterator[httpx.Client]:
    """Prometheus on a free loopback port; yields a client for its HTTP API."""
    port = free_port()
    log = (storage.parent / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            require_prometheus(),
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            def ready() -> bool:
                assert process.poll() is None, (storage.parent / "prometheus.log").read_text()
                try:
                    return client.get("/-/ready").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(ready, "Prometheus to start")
            yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for(
    check: Callable[[], bool], what: str, detail: Callable[[], object] = lambda: ""
) -> None:
    """Poll ``check`` until true; fail naming ``what`` (and ``detail()``) after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT_S:g} s waiting for {what}\n{detail()}")
        time.sleep(0.1)


def query(client: httpx.Client, promql: str) -> dict[str, Any]:
    response = client.get("/api/v1/query", params={"query": promql})
    body: dict[str, Any] = response.json()
    return body


def finite(result: dict[str, Any]) -> bool:
    """At least one series with a real number (not NaN: no 0/0, no empty histogram)."""
    data = result.get("data", {})
    return any(math.isfinite(float(sample["value"][1])) for sample in data.get("result", []))


def max_value(result: dict[str, Any]) -> float:
    values = [float(sample["value"][1]) for sample in result["data"]["result"]]
    return max((value for value in values if math.isfinite(value)), default=math.nan)


#: A rate window covering the whole test, so the batch's faults are still in it when the
#: panels are queried, however slowly a loaded machine gets there.
TEST_RATE_WINDOW = "15m"


def panel_queries() -> list[tuple[str, str]]:
    return [
        (
            f"{panel['title']} [{target['refId']}]",
            grafana_to_promql(target["expr"].replace("$__rate_interval", TEST_RATE_WINDOW)),
        )
        for panel in dashboard_panels()
        for target in panel["targets"]
    ]


def scenario_settings(tmp_path: Path, simulator: SimulatorHandle) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        strategy="llm",
        model="openai:gpt-4o-mini",
        openai_base_url=simulator.openai_base_url,
        openai_api_key="sim-key",
        research="firecrawl",
        firecrawl_base_url=simulator.firecrawl_base_url,
        firecrawl_api_key="sim-key",
        retry_backoff_s=0.01,
        budget_day_usd="5",
        budget_month_usd="50",
        rate_limits={
            "openai:gpt-4o-mini": {"rpm": 600, "tpm": 2_000_000},
            "firecrawl": {"rpm": 120},
        },
    )


def run_batch(base_url: str, token: str) -> str:
    """Upload the examples' CV and postings, run them all, and wait for the run to end."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as client:
        cv = EXAMPLES / "master-cv.md"
        response = client.post("/api/candidates", files={"file": (cv.name, cv.read_bytes())})
        assert response.status_code in (200, 201), response.text
        candidate = response.json()["id"]
        postings: list[int] = []
        for path in sorted((EXAMPLES / "postings").iterdir()):
            response = client.post("/api/postings", files={"file": (path.name, path.read_bytes())})
            assert response.status_code == 201, response.text
            postings += [posting["id"] for posting in response.json()["postings"]]
        assert len(postings) >= 4
        response = client.post(
            "/api/runs", json={"posting_ids": postings, "candidate_id": candidate}
        )
        assert response.status_code == 202, response.text
        run_id: str = response.json()["id"]
        status = ""

        def finished() -> bool:
            nonlocal status
            status = client.get(f"/api/runs/{run_id}").json()["status"]
            return status in FINISHED

        wait_for(finished, f"run {run_id} to finish")
        return status


def test_every_dashboard_query_returns_data_from_a_real_prometheus(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """With Prometheus scraping the service (bearer token from a file, as shipped) through a
    faulty LLM batch, the target is up, the shipped alert rules evaluate cleanly, every
    exported metric is stored, and every dashboard panel query is valid PromQL that returns
    at least one real number."""
    # Slow enough that Prometheus scrapes mid-run (rates then see the increase), with
    # 500s (errors, retries) and a 429 (limiter penalty, Retry-After) among the calls.
    simulator.configure(
        latency_base_ms=60,
        fault_script=["ok", "500", "ok", "ok", "429", "ok", "ok", "500", "ok"],
        fault_retry_after_s=1,
    )
    settings = scenario_settings(tmp_path, simulator)
    store = Store.open(settings.effective_database_url)
    try:
        token = create_token(store.engine, "prometheus", ["read"])
        runner = create_token(store.engine, "batch", ["run"])
    finally:
        store.close()
    with serve(settings) as base_url:
        service = base_url.removeprefix("http://")
        config = scrape_config(tmp_path / "prometheus", service, token)
        with prometheus(config, tmp_path / "tsdb") as api:

            def service_up() -> bool:
                up = query(api, 'up{job="jobintel-service"}')["data"]["result"]
                return bool(up) and up[0]["value"][1] == "1"

            wait_for(service_up, "the service target to be up (scraped with the token)")
            status = run_batch(base_url, runner)
            assert status in {"succeeded", "partial"}, status
            served = simulator.stats()
            assert served.faults, served  # the injected faults were dealt

            def scraped_after_the_run() -> bool:
                done = query(
                    api, "sum(jobintel_runs_total) >= 1 and sum(jobintel_runs_running) == 0"
                )
                return bool(done["data"]["result"])

            wait_for(scraped_after_the_run, "a scrape after the run's end")
            pending = dict(panel_queries())
            answers: dict[str, dict[str, Any]] = {}

            def all_answered() -> bool:
                for title, promql in list(pending.items()):
                    answers[title] = query(api, promql)
                    if answers[title].get("status") == "success" and finite(answers[title]):
                        del pending[title]
                return not pending

            wait_for(
                all_answered,
                "every panel query to return data",
                lambda: json.dumps({title: answers.get(title) for title in pending}, indent=1),
            )

            # The injected faults show as rates: what the panels exist to show.
            assert max_value(answers["Failure and refusal ratio by provider [A]"]) > 0
            assert max_value(answers["Rate limiter waits [A]"]) > 0
            assert 0 < max_value(answers["Rate limiter headroom [A]"]) <= 1
            # Headroom is per minute: the batch's use shows in the lowest value it scraped.
            lowest = query(
                api, f"min(min_over_time(jobintel_ratelimit_headroom_ratio[{TEST_RATE_WINDOW}]))"
            )
            assert 0 <= max_value(lowest) < 1

            names = query(api, 'count by (__name__) ({__name__=~"jobintel_.*"})')
            stored = {
                name
                for sample in names["data"]["result"]
                # prometheus_client's *_created timestamps come with every counter/histogram.
                if not (name := sample["metric"]["__name__"]).endswith("_created")
            }
            assert stored == KNOWN_SERIES - HISTOGRAMS, KNOWN_SERIES ^ stored

            evaluated: dict[str, str] = {}

            def rules_evaluated() -> bool:
                groups = api.get("/api/v1/rules").json()["data"]["groups"]
                evaluated.update(
                    (rule["name"], rule["health"]) for group in groups for rule in group["rules"]
                )
                return evaluated == dict.fromkeys(EXPECTED_ALERTS, "ok")

            wait_for(rules_evaluated, "the shipped alert rules to evaluate", lambda: evaluated)
