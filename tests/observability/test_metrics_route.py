"""GET /metrics on the real app: auth, text exposition, and the adapters wired to the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from jobintel.observability import Metrics
from jobintel.observability.service import install_metrics
from jobintel.simulator import SimulatorHandle
from jobintel.store import EventRecord
from tests.service.api.conftest import CV, POSTINGS, Api, running_api, service_settings


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(service_settings(tmp_path)) as opened:
        yield opened


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_needs_a_read_token_by_default(api: Api) -> None:
    """Without credentials /metrics is 401; a token with the read scope gets the Prometheus
    text exposition with jobintel's metrics, including the store-backed gauges."""
    assert (await api.client.get("/metrics")).status_code == 401
    response = await api.client.get("/metrics", headers=api.auth("read"))
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    found = samples(response.text)
    assert found[("jobintel_runs_running", frozenset())] == 0
    assert found[("jobintel_budget_limit_usd", frozenset({("scope", "day")}))] == 5
    assert (
        "jobintel_stage_outcomes_total",
        frozenset({("stage", "fit"), ("outcome", "failed")}),
    ) in found


async def test_metrics_can_be_made_public(api: Api) -> None:
    """With app.state.metrics_public set, /metrics answers without credentials."""
    api.app.state.metrics_public = True
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert "jobintel_service_queue_depth" in response.text


async def test_install_metrics_is_idempotent_and_subscribes_to_the_executor(api: Api) -> None:
    """The app's lifespan installs one Metrics, fed by the executor; installing again is a no-op."""
    given = api.app.state.metrics
    assert isinstance(given, Metrics)
    assert install_metrics(api.app, Metrics(CollectorRegistry())) is given
    assert install_metrics(api.app) is given
    record = EventRecord(
        id=1,
        run_id="r",
        job_id=1,
        stage="extract",
        kind="stage_succeeded",
        duration_ms=20.0,
        message="",
        created_at=datetime(2026, 11, 29, tzinfo=UTC),
    )
    api.executor.bus.notify(record)
    labels = {"stage": "extract", "outcome": "succeeded"}
    assert given.registry.get_sample_value("jobintel_stage_outcomes_total", labels) == 1


async def test_a_real_run_shows_up_in_the_scrape(tmp_path: Path) -> None:
    """A deterministic run through the service counts its stages and its finished run."""
    async with running_api(service_settings(tmp_path)) as api:
        candidate = await api.upload_cv(CV)
        postings = await api.add_postings(sorted(POSTINGS.iterdir())[0])
        run = await api.finish(await api.submit(postings[:1], candidate))
        text = (await api.client.get("/metrics", headers=api.auth("read"))).text
    found = samples(text)
    status = run["status"]
    assert found[("jobintel_runs_total", frozenset({("status", status)}))] == 1
    extract = frozenset({("stage", "extract"), ("outcome", "succeeded")})
    assert found[("jobintel_stage_outcomes_total", extract)] == 1
    assert found[("jobintel_stage_duration_seconds_count", extract)] == 1
    assert found[("jobintel_runs_running", frozenset())] == 0


async def test_model_calls_of_a_service_run_reach_the_scrape(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A run with a model routed through the gateway shows its calls, tokens and cost."""
    settings = service_settings(
        tmp_path,
        strategy="llm",
        model="openai:gpt-4o-mini",
        openai_base_url=simulator.openai_base_url,
        openai_api_key="sim-key",
        research="off",
    )
    async with running_api(settings) as api:
        candidate = await api.upload_cv(CV)
        postings = await api.add_postings(sorted(POSTINGS.iterdir())[0])
        run = await api.finish(await api.submit(postings[:1], candidate))
        assert run["status"] == "succeeded"
        text = (await api.client.get("/metrics", headers=api.auth("read"))).text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    calls = sum(
        v
        for (name, labels), v in samples.items()
        if name == "jobintel_external_calls_total" and ("outcome", "ok") in labels
    )
    cost = sum(v for (name, _), v in samples.items() if name == "jobintel_external_cost_usd_total")
    assert calls >= 8 and cost > 0
