"""Through the real runner: a CV the gate refuses twice is replaced by the deterministic one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobintel.analysis.tailoring import tailor_cv
from jobintel.guard import Gateway
from jobintel.inputs import load_cv
from jobintel.models import ExtractedJD, FitAssessment, PainPoints, TailoredCV
from jobintel.pipeline import EventBus, PipelineRunner, plan_run
from jobintel.providers.base import ChatRequest
from jobintel.settings import Settings, load_settings
from jobintel.store import Store
from tests.fakes import ScriptedChat
from tests.writing.builders import EXAMPLE_CV, EXAMPLE_POSTING, simulated

ROUTE = "openai:gpt-4o-mini"


def writing_settings(tmp_path: Path) -> Settings:
    """Settings that route only cv and cover_letter to a model; every other stage is offline."""
    return load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        stage_models={"cv": ROUTE, "cover_letter": ROUTE},
    )


def by_schema(cv_answer: Any) -> Any:
    """A script entry answering cv requests with ``cv_answer`` and the rest like the simulator."""

    def answer(request: ChatRequest) -> Any:
        if request.schema_name == "cv":
            return cv_answer(request) if callable(cv_answer) else cv_answer
        return simulated(request)

    return answer


def inventing(request: ChatRequest) -> dict[str, Any]:
    answer = simulated(request)
    answer["bullets"].append({"source_id": "r0.b0", "text": "Led 6 engineers at Globex Corp"})
    return answer


async def run_one(
    tmp_path: Path, fake: ScriptedChat, posting: Path, cv: Path
) -> tuple[Store, int, Path]:
    """Plan and execute one job with ``fake`` as the chat provider; the store, job id, folder."""
    settings = writing_settings(tmp_path)
    store = Store.open(settings.effective_database_url)
    bus = EventBus(store)
    planned = plan_run(
        store, settings, bus, posting_paths=[posting], cv_path=cv, out_dir=settings.out_dir
    )
    async with Gateway(chat={"openai": fake}) as gateway:
        summary = await PipelineRunner(store, settings, bus=bus, gateway=gateway).execute(
            planned.run_id
        )
    (job,) = summary.jobs
    assert job.output_dir is not None
    return store, job.job_id, Path(job.output_dir)


async def test_twice_rejected_cv_degrades_to_the_deterministic_cv(tmp_path: Path) -> None:
    """The cv stage ends degraded/deterministic, cv.md is the deterministic CV, the dossier says why."""
    fake = ScriptedChat([by_schema(inventing)])
    store, job_id, out = await run_one(tmp_path, fake, EXAMPLE_POSTING, EXAMPLE_CV)
    try:
        records = store.stage_results(job_id)
        cv_record = records["cv"]
        assert cv_record.status == "degraded"
        assert cv_record.strategy == "deterministic"
        assert cv_record.reason is not None
        assert "FaithfulnessRejected" in cv_record.reason and "Globex Corp" in cv_record.reason
        assert [r.schema_name for r in fake.requests].count("cv") == 2

        def output(stage: str, model: type[Any]) -> Any:
            return model.model_validate(records[stage].output)

        expected = tailor_cv(
            output("extract", ExtractedJD),
            output("fit", FitAssessment),
            output("pain_points", PainPoints),
            load_cv(EXAMPLE_CV),
        )
        published = (out / "cv.md").read_text(encoding="utf-8")
        assert published == expected.markdown == output("cv", TailoredCV).markdown
        assert "Globex" not in published

        letter = records["cover_letter"]
        assert (letter.status, letter.strategy) == ("succeeded", f"llm:{ROUTE}")

        dossier = (out / "dossier.md").read_text(encoding="utf-8")
        assert "Model draft not used:** FaithfulnessRejected" in dossier
        assert "Globex Corp" in dossier
        assert f"Written by the `llm:{ROUTE}` strategy." in dossier
        html = (out / "dossier.html").read_text(encoding="utf-8")
        assert "Model draft not used:" in html
    finally:
        store.close()
