"""The whole pipeline with LLM strategies, through the real SDK clients, against the simulator.

These runs use ``Gateway.from_settings`` exactly as the CLI does: the OpenAI or Anthropic
SDK over loopback HTTP to the provider simulator, FireCrawl research through its REST API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobintel.guard import CallRecord, Gateway
from jobintel.pipeline import EventBus, PipelineRunner, RunSummary, plan_run
from jobintel.settings import LLM_STAGES, Settings, load_settings
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES

POSTINGS = EXAMPLES / "postings"


def _settings(tmp_path: Path, sim: SimulatorHandle, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "out_dir": tmp_path / "out",
        "strategy": "llm",
        "model": "openai:gpt-4o-mini",
        "writer_model": "openai:gpt-4o",
        "openai_base_url": sim.openai_base_url,
        "openai_api_key": "sim-key",
        "research": "firecrawl",
        "firecrawl_base_url": sim.firecrawl_base_url,
        "firecrawl_api_key": "sim-key",
        # Generous: a slow machine must not turn a normal answer into a timeout and a retry.
        "llm_timeout_s": 30.0,
        "retry_backoff_s": 0.01,
        "retry_max_backoff_s": 0.05,
    }
    values.update(overrides)
    return load_settings(**values)


def _only_extract(tmp_path: Path, sim: SimulatorHandle, **overrides: Any) -> Settings:
    routes = {name: "deterministic" for name in LLM_STAGES if name != "extract"}
    return _settings(tmp_path, sim, stage_models=routes, **overrides)


async def _run(
    settings: Settings, postings: list[Path] | None = None
) -> tuple[RunSummary, dict[int, dict[str, Any]], list[CallRecord]]:
    """Plan and execute a run; each job's stage records by name, and every gateway call."""
    calls: list[CallRecord] = []
    store = Store.open(settings.effective_database_url)
    try:
        bus = EventBus(store)
        planned = plan_run(
            store,
            settings,
            bus,
            posting_paths=postings or [POSTINGS / "northwind-platform-lead.md"],
            cv_path=EXAMPLES / "master-cv.md",
            out_dir=settings.out_dir,
        )
        async with Gateway.from_settings(settings) as gateway:
            gateway.observe(calls.append)
            runner = PipelineRunner(store, settings, bus=bus, gateway=gateway)
            summary = await runner.execute(planned.run_id)
        records = {job.job_id: store.stage_results(job.job_id) for job in summary.jobs}
    finally:
        store.close()
    return summary, records, calls  # type: ignore[return-value]


async def test_every_stage_runs_its_llm_strategy_over_the_openai_wire(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """All LLM stages succeed via the OpenAI SDK; cheap and writer routes are both used."""
    settings = _settings(tmp_path, simulator)
    summary, records, calls = await _run(settings)
    (job,) = summary.jobs
    stages = records[job.job_id]
    assert job.status == "succeeded"
    for name in LLM_STAGES:
        assert stages[name].status == "succeeded", (name, stages[name].reason)
        assert stages[name].strategy.startswith("llm:openai:gpt-4o"), name
    assert stages["extract"].strategy == "llm:openai:gpt-4o-mini"
    assert stages["cv"].strategy == "llm:openai:gpt-4o"
    chat = [c for c in calls if c.operation == "chat"]
    assert {c.meta.stage for c in chat} == set(LLM_STAGES)
    assert all(c.usage.input_tokens > 0 and c.usage.output_tokens > 0 for c in chat)
    assert [c.operation for c in calls if c.service == "firecrawl"] == ["search"]
    stats = simulator.stats()
    assert stats.total_requests == len(calls)
    published = Path(job.output_dir or "")
    assert (published / "cv.pdf").is_file()
    assert "llm:openai:gpt-4o" in (published / "dossier.md").read_text(encoding="utf-8")


async def test_streaming_anthropic_route_reports_usage_and_succeeds(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """Routed to Anthropic with streaming on, every stage succeeds and every call has usage."""
    settings = _settings(
        tmp_path,
        simulator,
        model="anthropic:claude-haiku-4-5",
        writer_model="anthropic:claude-sonnet-4-5",
        anthropic_base_url=simulator.anthropic_base_url,
        anthropic_api_key="sim-key",
        llm_stream=True,
        research="off",
    )
    summary, records, calls = await _run(settings)
    (job,) = summary.jobs
    assert job.status == "succeeded", {n: r.reason for n, r in records[job.job_id].items()}
    assert {c.service for c in calls} == {"anthropic"}
    assert all(c.outcome == "ok" and c.usage.output_tokens > 0 for c in calls)
    assert simulator.stats().requests.get("/v1/messages", 0) == len(calls)


async def test_provider_down_degrades_every_llm_stage_and_the_run_finishes(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """With every request failing 5xx the dossier is still published from deterministic stages."""
    simulator.configure(error_5xx_rate=1.0)
    summary, records, _ = await _run(_settings(tmp_path, simulator))
    (job,) = summary.jobs
    stages = records[job.job_id]
    assert job.status == "degraded"
    for name in LLM_STAGES:
        if name == "company":
            continue  # research failure falls back to a posting-only model summary
        assert stages[name].status == "degraded", name
        assert stages[name].strategy == "deterministic"
        reason = stages[name].reason or ""
        assert "ProviderUnavailable" in reason or "CircuitOpen" in reason, (name, reason)
    assert stages["publish"].status == "succeeded"
    assert (Path(job.output_dir or "") / "dossier.html").is_file()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("500", "ProviderUnavailable"),
        ("timeout", "ProviderTimeout"),
        ("malformed", "ProviderMalformed"),
        ("truncate", "ProviderMalformed"),
        ("429", "ProviderRateLimited"),
    ],
)
async def test_a_transient_fault_is_retried_and_the_stage_still_uses_the_model(
    tmp_path: Path, simulator: SimulatorHandle, fault: str, error: str
) -> None:
    """One 5xx/timeout/malformed/truncated/429 answer costs a retry, not the LLM result."""
    # The held answer outlasts the client's 3 s by far; the hold ends when the client hangs up.
    simulator.configure(fault_script=[fault], timeout_hold_s=60.0)
    settings = _only_extract(tmp_path, simulator, llm_stream=fault == "truncate", llm_timeout_s=3.0)
    summary, records, calls = await _run(settings)
    extract = records[summary.jobs[0].job_id]["extract"]
    assert (extract.status, extract.strategy) == ("succeeded", "llm:openai:gpt-4o-mini")
    assert [(c.attempt, c.outcome) for c in calls] == [(1, error), (2, "ok")]


async def test_a_rejected_request_is_not_retried_and_the_stage_degrades(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A 400 is our bug, not the provider's: one attempt, then the deterministic strategy."""
    simulator.configure(fault_script=["400"])
    summary, records, calls = await _run(_only_extract(tmp_path, simulator))
    extract = records[summary.jobs[0].job_id]["extract"]
    assert (extract.status, extract.strategy) == ("degraded", "deterministic")
    assert "ProviderRejected" in (extract.reason or "")
    assert [c.outcome for c in calls] == ["ProviderRejected"]


async def test_a_model_that_declines_is_asked_once_and_the_stage_degrades(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A refusal is paid for once: no retry, no repair turn, then the deterministic strategy."""
    simulator.configure(fault_script=["refusal", "refusal", "refusal"])
    summary, records, calls = await _run(_only_extract(tmp_path, simulator))
    extract = records[summary.jobs[0].job_id]["extract"]
    assert (extract.status, extract.strategy) == ("degraded", "deterministic")
    assert "ModelRefused" in (extract.reason or "") and "declined" in (extract.reason or "")
    assert [(c.attempt, c.outcome) for c in calls] == [(1, "ModelRefused")]
    assert calls[0].cost_usd > 0 and simulator.stats().total_requests == 1


async def test_invalid_structured_answer_is_repaired_once(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """An answer that fails the schema gets one repair turn, and the stage then succeeds."""
    simulator.configure(fault_script=["invalid"])
    summary, records, calls = await _run(_only_extract(tmp_path, simulator))
    stages = records[summary.jobs[0].job_id]
    assert stages["extract"].status == "succeeded"
    assert [c.meta.stage for c in calls].count("extract") == 2


async def test_invalid_answer_after_repair_falls_back_to_deterministic(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """Two invalid answers in a row: the stage degrades with LLMOutputInvalid, never publishes junk."""
    simulator.configure(fault_script=["invalid", "invalid"])
    summary, records, _ = await _run(_only_extract(tmp_path, simulator))
    extract = records[summary.jobs[0].job_id]["extract"]
    assert (extract.status, extract.strategy) == ("degraded", "deterministic")
    assert "LLMOutputInvalid" in (extract.reason or "")
    assert extract.output is not None and json.dumps(extract.output)


async def test_second_posting_of_a_company_costs_no_research_calls(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """Company research is cached per company: a later run for the same employer reuses it."""
    settings = _settings(tmp_path, simulator)
    posting = POSTINGS / "northwind-platform-lead.md"
    _, _, first = await _run(settings, [posting])
    copy = tmp_path / "northwind-again.md"
    copy.write_text(
        posting.read_text(encoding="utf-8").replace("Platform", "Infrastructure"), encoding="utf-8"
    )
    _, records, second = await _run(settings, [copy])
    assert [c.service for c in first if c.operation != "chat"] == ["firecrawl"]
    assert [c for c in second if c.operation != "chat"] == []
    assert [c for c in second if c.meta.stage == "company"] == []
    (stages,) = records.values()
    assert stages["company"].status == "succeeded"
