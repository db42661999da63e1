"""The cover_letter LLM strategy: gated sentences, code-built greeting, one regeneration."""

from __future__ import annotations

from typing import Any

import pytest

from jobintel.pipeline.stages import cover_letter as letter_stage
from jobintel.pipeline.stages.writing_llm import FaithfulnessRejected
from jobintel.providers.base import ChatRequest
from jobintel.settings import Settings
from tests.fakes import ScriptedChat
from tests.writing.builders import context, data_of, simulated, stage_llm

BOAST = "At Ferrovia Pay, I cut AWS spend by 45% in one quarter."


def boasting(request: ChatRequest) -> dict[str, Any]:
    """A faithful letter whose second paragraph inflates a number."""
    answer = simulated(request)
    answer["paragraphs"][1]["text"] += " " + BOAST
    return answer


async def test_faithful_letter_passes_with_real_name_and_traced_sources(
    settings: Settings,
) -> None:
    """The letter is greeted and signed in code, and its evidence sentences map to bullets."""
    fake = ScriptedChat([simulated])
    ctx = context(settings, llm=stage_llm(fake, "cover_letter"))
    letter = await letter_stage.llm(ctx)
    assert len(fake.requests) == 1
    assert letter.faithfulness.passed, letter.faithfulness.rejected
    assert letter.markdown.startswith("Dear Northwind Logistics hiring team,")
    assert letter.markdown.endswith(f"Kind regards,\n\n{ctx.cv.name}\n")
    assert letter.source_bullet_ids
    assert set(letter.source_bullet_ids) <= set(letter.faithfulness.mapping.values())
    data = data_of(fake.requests[0])
    assert len(data["evidence"]) <= letter_stage.LETTER_BULLETS
    assert len(data["about"]) <= 240


async def test_inflated_number_is_regenerated_away(settings: Settings) -> None:
    """A sentence with a number its bullet lacks triggers one regeneration naming it."""
    fake = ScriptedChat([boasting, simulated])
    letter = await letter_stage.llm(context(settings, llm=stage_llm(fake, "cover_letter")))
    assert len(fake.requests) == 2
    assert any("45" in item for item in data_of(fake.requests[1])["rejected"])
    assert letter.faithfulness.passed
    assert "45%" not in letter.markdown


async def test_twice_unfaithful_letter_is_refused(settings: Settings) -> None:
    """Two unfaithful letters raise FaithfulnessRejected with the claim in the message."""
    fake = ScriptedChat([boasting])
    with pytest.raises(FaithfulnessRejected, match="45"):
        await letter_stage.llm(context(settings, llm=stage_llm(fake, "cover_letter")))
    assert len(fake.requests) == 2


async def test_a_letter_without_cv_evidence_is_refused(settings: Settings) -> None:
    """Pleasantries alone pass no claim check, but a letter must cite some CV evidence."""
    empty = {
        "paragraphs": [
            {"text": "I am writing to apply for this role.", "source_ids": []},
            {"text": "I would be glad to help your team.", "source_ids": []},
            {"text": "Thank you for your time and consideration.", "source_ids": []},
        ]
    }
    fake = ScriptedChat([empty])
    with pytest.raises(FaithfulnessRejected, match="no sentence traces"):
        await letter_stage.llm(context(settings, llm=stage_llm(fake, "cover_letter")))
