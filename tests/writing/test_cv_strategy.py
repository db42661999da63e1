"""The cv LLM strategy: model wording, master-CV facts, the gate, one regeneration, then refusal."""

from __future__ import annotations

from typing import Any

import pytest

from jobintel.errors import StrategyUnavailable
from jobintel.pipeline.stages import cv as cv_stage
from jobintel.pipeline.stages.writing_llm import FaithfulnessRejected
from jobintel.providers.base import ChatRequest
from jobintel.settings import Settings
from tests.fakes import ScriptedChat
from tests.writing.builders import context, data_of, simulated, stage_llm

INVENTED = "Led the payments platform team at Globex Corp for 12 services"


def inventing(request: ChatRequest) -> dict[str, Any]:
    """A faithful answer plus one bullet claiming an employer the CV never names."""
    answer = simulated(request)
    answer["bullets"].append({"source_id": "r0.b0", "text": INVENTED})
    return answer


async def test_faithful_answer_passes_with_master_cv_facts_and_a_full_mapping(
    settings: Settings,
) -> None:
    """A faithful answer is published after one call; headers come from the master CV."""
    fake = ScriptedChat([simulated])
    ctx = context(settings, llm=stage_llm(fake, "cv"))
    tailored = await cv_stage.llm(ctx)
    assert len(fake.requests) == 1
    assert fake.requests[0].schema_name == "cv"
    report = tailored.faithfulness
    assert report.passed, report.rejected
    master = ctx.cv
    assert [(r.title, r.employer, r.start, r.end) for r in tailored.roles] == [
        (r.title, r.employer, r.start, r.end) for r in master.roles
    ]
    assert tailored.name == master.name and tailored.education == master.education
    known = {b.id for b in master.all_bullets()}
    for role in tailored.roles:
        for text, source in zip(role.bullets, role.source_bullet_ids, strict=True):
            assert report.mapping[text] == source and source in known
    assert f"# {master.name}" in tailored.markdown
    assert "Cut AWS spend by 31%" in tailored.markdown  # the model's wording is used


async def test_request_sends_only_the_most_relevant_bullets(settings: Settings) -> None:
    """The model sees at most the capped number of bullets, each with its master-CV id."""
    fake = ScriptedChat([simulated])
    await cv_stage.llm(context(settings, llm=stage_llm(fake, "cv")))
    data = data_of(fake.requests[0])
    sent = [b for role in data["roles"] for b in role["bullets"]]
    assert 0 < len(sent) <= cv_stage.CV_BULLETS
    assert all(set(b) == {"id", "text"} for b in sent)
    assert "contact" not in data and "rejected" not in data


async def test_rejected_answer_is_regenerated_once_and_the_faithful_one_published(
    settings: Settings,
) -> None:
    """An invented employer triggers exactly one regeneration whose data names the claim."""
    fake = ScriptedChat([inventing, simulated])
    tailored = await cv_stage.llm(context(settings, llm=stage_llm(fake, "cv")))
    assert len(fake.requests) == 2
    retry = data_of(fake.requests[1])
    assert any("Globex Corp" in item for item in retry["rejected"])
    assert "rejected" in fake.requests[1].messages[-1].content  # the prompt says why
    assert tailored.faithfulness.passed
    assert "Globex" not in tailored.markdown


async def test_twice_unfaithful_answer_raises_faithfulness_rejected(settings: Settings) -> None:
    """A second rejection raises FaithfulnessRejected, a StrategyUnavailable naming the claim."""
    fake = ScriptedChat([inventing])
    with pytest.raises(FaithfulnessRejected) as caught:
        await cv_stage.llm(context(settings, llm=stage_llm(fake, "cv")))
    assert isinstance(caught.value, StrategyUnavailable)
    assert "Globex Corp" in str(caught.value)
    assert len(fake.requests) == 2


async def test_schema_repair_does_not_count_as_a_regeneration(settings: Settings) -> None:
    """An invalid answer is repaired by StageLLM; the gate still allows one regeneration."""
    fake = ScriptedChat(["not json", inventing, simulated])
    tailored = await cv_stage.llm(context(settings, llm=stage_llm(fake, "cv")))
    assert len(fake.requests) == 3
    assert tailored.faithfulness.passed


async def test_unknown_ids_are_dropped_and_bullets_stay_under_their_real_role(
    settings: Settings,
) -> None:
    """A bullet citing an unknown id is dropped; one citing the wrong role moves to its own."""

    def misfiled(request: ChatRequest) -> dict[str, Any]:
        answer = simulated(request)
        moved = next(b for b in answer["bullets"] if b["source_id"].startswith("r1."))
        moved["source_id"] = "r0.b0"  # cited under the newest role, text from an older one
        answer["bullets"].append({"source_id": "r9.b9", "text": "Ran a team of 6 engineers"})
        return answer

    fake = ScriptedChat([misfiled])
    ctx = context(settings, llm=stage_llm(fake, "cv"))
    tailored = await cv_stage.llm(ctx)
    assert tailored.faithfulness.passed, tailored.faithfulness.rejected
    assert all("r9.b9" not in r.source_bullet_ids for r in tailored.roles)
    assert "Ran a team of 6 engineers" not in tailored.markdown
    for index, role in enumerate(tailored.roles):
        assert all(s.startswith(f"r{index}.") for s in role.source_bullet_ids)
