"""The simulator's cv and cover_letter answers pass the gate on every sample posting."""

from __future__ import annotations

import pytest

from jobintel.analysis.text import clean_text
from jobintel.inputs import load_cv, load_postings, normalise_posting
from jobintel.pipeline.stages import cover_letter as letter_stage
from jobintel.pipeline.stages import cv as cv_stage
from jobintel.settings import Settings
from jobintel.simulator.responders import registered
from tests.conftest import SAMPLES
from tests.fakes import ScriptedChat
from tests.writing.builders import EXAMPLE_CV, context_for, simulated, stage_llm

#: Input budget per call, in characters of system + user text (about 4 characters a token).
BUDGET_CHARS = {"cv": 4_000, "cover_letter": 2_800}


def test_responders_are_registered() -> None:
    """Both writing schemas have a simulator responder."""
    assert {"cv", "cover_letter"} <= set(registered())


@pytest.mark.slow
async def test_simulated_answers_pass_the_gate_for_all_samples(settings: Settings) -> None:
    """Through the real strategies, each of the 53 samples gets a faithful CV and letter at once."""
    cv = load_cv(EXAMPLE_CV)
    raws = load_postings([SAMPLES / "jobs.jsonl"]).postings
    assert len(raws) == 53
    sizes: dict[str, list[int]] = {"cv": [], "cover_letter": []}
    for raw in raws:
        posting = normalise_posting(raw)
        posting = posting.model_copy(update={"description": clean_text(posting.description)})
        for stage in (cv_stage, letter_stage):
            fake = ScriptedChat([simulated])
            name = stage.STAGE.name
            ctx = context_for(settings, posting, cv, llm=stage_llm(fake, name))
            output = await stage.llm(ctx)
            assert output.faithfulness.passed, (posting.title, name, output.faithfulness.rejected)
            assert len(fake.requests) == 1, (posting.title, name)
            sizes[name].append(sum(len(m.content) for m in fake.requests[0].messages))
    for name, chars in sizes.items():
        assert sum(chars) / len(chars) <= BUDGET_CHARS[name], name
