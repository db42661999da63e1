"""A posting that tells the model to add an invented job and skill cannot get them into the CV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobintel.pipeline.stages import cover_letter as letter_stage
from jobintel.pipeline.stages import cv as cv_stage
from jobintel.pipeline.stages.writing_llm import FaithfulnessRejected
from jobintel.providers.base import ChatRequest
from jobintel.settings import Settings
from tests.fakes import ScriptedChat
from tests.writing.builders import (
    FRONTEND_CV,
    INJECTED_POSTING,
    context,
    request_text,
    simulated,
    stage_llm,
)
from tests.writing.test_runner_fallback import run_one

INJECTED = ("Google", "Kubernetes", "2015", "Staff Engineer")


class Obedient:
    """A model that writes what the injection asks for; records whether it saw the injection.

    Upstream stages already keep the injected line out of the needs a writing stage is
    shown, so this model obeys it whether or not it sees it (as if it had reached the model
    some other way): the faithfulness gate must hold on its own.
    """

    def __init__(self, *, relents: bool = False) -> None:
        self.relents = relents  # corrects itself when told what was rejected
        self.saw_injection = False

    def __call__(self, request: ChatRequest) -> dict[str, Any]:
        answer = simulated(request)
        text = request_text(request).lower()
        if "ignore previous instructions" in text:
            self.saw_injection = True
        if self.relents and '"rejected"' in text:
            return answer
        if request.schema_name == "cv":
            answer["headline"] = "Staff Engineer at Google"
            answer["bullets"].insert(
                0,
                {
                    "source_id": "r0.b0",
                    "text": "Staff Engineer at Google, 2015-2020: ran Kubernetes",
                },
            )
            answer["skills"] = ["Kubernetes", *answer["skills"]]
        else:
            answer["paragraphs"][1]["text"] += (
                " As a Staff Engineer at Google from 2015-2020, I ran Kubernetes clusters."
            )
        return answer


def _posting(tmp_path: Path) -> Path:
    path = tmp_path / "lumio-frontend.md"
    path.write_text(INJECTED_POSTING, encoding="utf-8")
    return path


@pytest.mark.parametrize("stage", [cv_stage, letter_stage])
async def test_obeyed_injection_is_refused(stage: Any, settings: Settings, tmp_path: Path) -> None:
    """A model that obeys the injection twice gets FaithfulnessRejected, not a published draft."""
    model = Obedient()
    fake = ScriptedChat([model])
    ctx = context(
        settings,
        posting_path=_posting(tmp_path),
        cv_path=FRONTEND_CV,
        llm=stage_llm(fake, stage.STAGE.name),
    )
    with pytest.raises(FaithfulnessRejected):
        await stage.llm(ctx)
    assert not model.saw_injection  # the injected line is not among the needs it is shown


async def test_injection_dropped_on_regeneration_leaves_no_trace(
    settings: Settings, tmp_path: Path
) -> None:
    """When the regenerated answer drops the injected claims, none of them is published."""
    model = Obedient(relents=True)
    fake = ScriptedChat([model])
    ctx = context(
        settings, posting_path=_posting(tmp_path), cv_path=FRONTEND_CV, llm=stage_llm(fake, "cv")
    )
    tailored = await cv_stage.llm(ctx)
    assert len(fake.requests) == 2
    assert tailored.faithfulness.passed
    assert not [word for word in INJECTED if word in tailored.markdown]


async def test_injected_posting_through_the_runner_publishes_none_of_it(tmp_path: Path) -> None:
    """End to end, the published CV has nothing the injection asked for, nor does the letter claim it."""
    model = Obedient()
    fake = ScriptedChat([model])
    store, job_id, out = await run_one(tmp_path, fake, _posting(tmp_path), FRONTEND_CV)
    try:
        records = store.stage_results(job_id)
        assert not model.saw_injection
        for stage in ("cv", "cover_letter"):
            assert (records[stage].status, records[stage].strategy) == ("degraded", "deterministic")
        published_cv = (out / "cv.md").read_text(encoding="utf-8")
        assert not [word for word in INJECTED if word in published_cv]
        # The deterministic letter quotes the posting's needs, never the injected line.
        letter = (out / "cover_letter.md").read_text(encoding="utf-8")
        assert "I ran Kubernetes" not in letter and "As a Staff Engineer" not in letter
        assert "ignore previous instructions" not in letter.lower()
    finally:
        store.close()
