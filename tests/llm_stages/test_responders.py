"""The simulator's stage responders answer every sample posting validly, within max_tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobintel.pipeline.stages import PIPELINE
from jobintel.prompts import load_prompt
from jobintel.providers.base import ChatRequest
from jobintel.settings import Settings
from jobintel.simulator.responders import registered
from jobintel.simulator.tokens import count_tokens
from tests.llm_stages.support import (
    LLM_STAGES,
    run_llm,
    sample_context,
    sample_postings,
    simulated,
)


def test_every_llm_stage_has_a_responder() -> None:
    """The simulator registers a responder under each stage's prompt (schema) name."""
    assert set(LLM_STAGES) <= set(registered())


@pytest.mark.parametrize("stage", LLM_STAGES)
async def test_responder_answers_all_samples_in_one_valid_call(
    stage: str, settings: Settings, tmp_path: Path
) -> None:
    """On all 53 samples the responder's first answer validates, merges and fits max_tokens."""
    max_tokens = load_prompt(stage).max_tokens
    answers: list[Any] = []

    def answer(request: ChatRequest) -> Any:
        answers.append(simulated(request))
        return answers[-1]

    for index in range(len(sample_postings())):
        ctx = sample_context(index, stage, settings, tmp_path)
        output, chat = await run_llm(stage, ctx, [answer])
        assert isinstance(output, PIPELINE[stage].output)
        assert len(chat.requests) == 1, f"sample {index}: the answer needed a repair"
        assert chat.requests[0].schema_name == stage
        text = json.dumps(answers[-1], ensure_ascii=False)
        assert count_tokens(text) <= max_tokens, f"sample {index}: answer over max_tokens"
