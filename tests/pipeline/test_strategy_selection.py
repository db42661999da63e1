"""The runner picks the LLM strategy when routed, and degrades to deterministic when it says no."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobintel.analysis.extraction import extract_jd
from jobintel.guard import CallRecord, Gateway
from jobintel.models import ExtractedJD, Posting
from jobintel.pipeline import EventBus, EventKind, PipelineRunner, plan_run
from jobintel.pipeline.dag import StageGraph
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages import ingest
from jobintel.prompts import Prompt
from jobintel.providers import ProviderUnavailable
from jobintel.settings import Settings, load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.fakes import ScriptedChat

PROMPT = Prompt(
    name="extract", version=1, max_tokens=200, system="Extract the job.", user_template="Job:"
)


class _Answer(ExtractedJD):
    pass


def _deterministic(ctx: StageContext) -> ExtractedJD:
    return extract_jd(ctx.result("ingest", Posting))


async def _llm(ctx: StageContext) -> ExtractedJD:
    posting = ctx.result("ingest", Posting)
    answer = await ctx.require_llm().structured(
        PROMPT, {"text": posting.description[:200]}, _Answer
    )
    # Title and company come from the posting, whatever the model says.
    return ExtractedJD(
        title=posting.title, company=posting.company, technical_skills=answer.technical_skills
    )


GRAPH = StageGraph(
    [
        ingest.STAGE,
        StageSpec(
            name="extract",
            needs=("ingest",),
            output=ExtractedJD,
            deterministic=_deterministic,
            llm=_llm,
        ),
    ]
)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp_path / "data", out_dir=tmp_path / "out", **overrides)


async def _run(store: Store, settings: Settings, gateway: Gateway | None) -> tuple[str, int]:
    bus = EventBus(store)
    planned = plan_run(
        store,
        settings,
        bus,
        posting_paths=[EXAMPLES / "postings" / "northwind-platform-lead.md"],
        cv_path=EXAMPLES / "master-cv.md",
        out_dir=settings.out_dir,
    )
    runner = PipelineRunner(store, settings, bus=bus, graph=GRAPH, gateway=gateway)
    summary = await runner.execute(planned.run_id)
    return planned.run_id, summary.jobs[0].job_id


@pytest.fixture
def llm_settings(tmp_path: Path) -> Settings:
    return _settings(tmp_path, model="openai:gpt-4o-mini")


async def test_routed_stage_runs_its_llm_strategy_through_the_gateway(
    llm_settings: Settings,
) -> None:
    """A routed stage calls the model via the gateway and records strategy llm:<route>."""
    fake = ScriptedChat([{"title": "x", "company": "y", "technical_skills": ["Go"]}])
    seen: list[CallRecord] = []
    gateway = Gateway(chat={"openai": fake})
    gateway.observe(seen.append)
    store = Store.open(llm_settings.effective_database_url)
    try:
        _, job_id = await _run(store, llm_settings, gateway)
        record = store.stage_results(job_id)["extract"]
    finally:
        store.close()
    assert record.status == "succeeded"
    assert record.strategy == "llm:openai:gpt-4o-mini"
    assert record.output is not None
    assert record.output["technical_skills"] == ["Go"]
    assert record.output["title"] != "x"
    assert [(r.service, r.meta.stage, r.outcome) for r in seen] == [("openai", "extract", "ok")]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ([ProviderUnavailable("openai", "HTTP 503", status=503)], "ProviderUnavailable"),
        (["not json", "still not json"], LLMOutputInvalid.__name__),
    ],
)
async def test_refused_llm_strategy_degrades_to_deterministic(
    llm_settings: Settings, script: list[object], reason: str
) -> None:
    """A StrategyUnavailable from the LLM path yields the deterministic output, marked degraded."""
    store = Store.open(llm_settings.effective_database_url)
    try:
        run_id, job_id = await _run(
            store, llm_settings, Gateway(chat={"openai": ScriptedChat(script)})
        )
        record = store.stage_results(job_id)["extract"]
        events = store.events(run_id, kinds=[EventKind.STAGE_DEGRADED])
        posting = store.posting(store.jobs(run_id)[0].posting_id)
    finally:
        store.close()
    assert record.status == "degraded"
    assert record.strategy == "deterministic"
    assert record.reason is not None and reason in record.reason
    assert record.output == extract_jd(posting).model_dump(mode="json")
    assert [e.stage for e in events] == ["extract"]


async def test_a_bug_in_an_llm_strategy_fails_the_stage_instead_of_hiding(
    llm_settings: Settings,
) -> None:
    """Only StrategyUnavailable degrades; any other exception is a failure the user sees."""
    fake = ScriptedChat([KeyError("programming error")])
    store = Store.open(llm_settings.effective_database_url)
    try:
        _, job_id = await _run(store, llm_settings, Gateway(chat={"openai": fake}))
        record = store.stage_results(job_id)["extract"]
    finally:
        store.close()
    assert record.status == "failed"
    assert record.error is not None and "KeyError" in record.error


async def test_deterministic_strategy_setting_never_calls_a_model(tmp_path: Path) -> None:
    """strategy=deterministic keeps every stage offline even with a gateway and a route."""
    settings = _settings(tmp_path, model="openai:gpt-4o-mini", strategy="deterministic")
    fake = ScriptedChat([{"title": "x", "company": "y"}])
    store = Store.open(settings.effective_database_url)
    try:
        _, job_id = await _run(store, settings, Gateway(chat={"openai": fake}))
        record = store.stage_results(job_id)["extract"]
    finally:
        store.close()
    assert fake.requests == []
    assert (record.status, record.strategy) == ("succeeded", "deterministic")
