"""The whole pipeline with these stages routed to a model: simulated answers, then refusals."""

from __future__ import annotations

from pathlib import Path

from jobintel.guard import Gateway
from jobintel.pipeline import EventBus, PipelineRunner, RunSummary, plan_run
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.settings import Settings, load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.fakes import ScriptedChat
from tests.llm_stages.support import LLM_STAGES, simulated

ROUTE = "ollama:sim"


def _settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        stage_models=dict.fromkeys(LLM_STAGES, ROUTE),
    )


async def _run(settings: Settings, chat: ScriptedChat) -> tuple[Store, RunSummary]:
    store = Store.open(settings.effective_database_url)
    bus = EventBus(store)
    planned = plan_run(
        store,
        settings,
        bus,
        posting_paths=[EXAMPLES / "postings"],
        cv_path=EXAMPLES / "master-cv.md",
        out_dir=settings.out_dir,
    )
    runner = PipelineRunner(store, settings, bus=bus, gateway=Gateway(chat={"ollama": chat}))
    return store, await runner.execute(planned.run_id)


async def test_simulated_answers_carry_every_job_through_the_llm_strategies(
    tmp_path: Path,
) -> None:
    """With the simulator's answers each routed stage succeeds as llm:<route> and jobs publish."""
    chat = ScriptedChat([simulated])
    store, summary = await _run(_settings(tmp_path), chat)
    try:
        assert summary.status == "succeeded" and summary.jobs
        for job in summary.jobs:
            assert job.status == "succeeded"
            records = store.stage_results(job.job_id)
            assert {s: records[s].strategy for s in LLM_STAGES} == dict.fromkeys(
                LLM_STAGES, f"llm:{ROUTE}"
            )
            assert records["publish"].status == "succeeded"
    finally:
        store.close()
    assert len(chat.requests) == len(summary.jobs) * len(LLM_STAGES)


async def test_unusable_answers_degrade_each_stage_to_its_rules(tmp_path: Path) -> None:
    """Answers that never fit the schema leave every routed stage degraded, and the jobs finish."""
    store, summary = await _run(_settings(tmp_path), ScriptedChat(["I cannot help with that."]))
    try:
        assert summary.status == "succeeded"
        for job in summary.jobs:
            assert job.status == "degraded"
            records = store.stage_results(job.job_id)
            for stage in LLM_STAGES:
                assert records[stage].status == "degraded"
                assert records[stage].strategy == "deterministic"
                assert LLMOutputInvalid.__name__ in (records[stage].reason or "")
            assert records["publish"].status == "succeeded"
    finally:
        store.close()
