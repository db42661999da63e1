"""Every LLM stage strategy: one call when valid, one repair, then fallback or provider errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobintel.errors import StrategyUnavailable
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stages import PIPELINE
from jobintel.providers.errors import ProviderUnavailable
from jobintel.settings import Settings
from jobintel.simulator.responders import REPAIR_MARKER
from tests.fakes import FAST_RETRY, ScriptedChat
from tests.llm_stages.support import LLM_STAGES, run_llm, run_with, sample_context, simulated

SAMPLE = 0


@pytest.mark.parametrize("stage", LLM_STAGES)
async def test_valid_answer_is_merged_after_one_request(
    stage: str, settings: Settings, tmp_path: Path
) -> None:
    """A valid first answer becomes the stage's output with exactly one request sent."""
    ctx = sample_context(SAMPLE, stage, settings, tmp_path)
    output, chat = await run_llm(stage, ctx, [simulated])
    assert isinstance(output, PIPELINE[stage].output)
    assert len(chat.requests) == 1
    request = chat.requests[0]
    assert request.schema_name == stage
    assert request.json_schema is not None
    assert [m.role for m in request.messages] == ["system", "user"]


@pytest.mark.parametrize("stage", LLM_STAGES)
async def test_invalid_then_valid_answer_succeeds_after_one_repair(
    stage: str, settings: Settings, tmp_path: Path
) -> None:
    """An answer that fails the schema gets one repair turn, and the repaired answer is used."""
    ctx = sample_context(SAMPLE, stage, settings, tmp_path)
    output, chat = await run_llm(stage, ctx, ['{"unexpected": true}', simulated])
    assert isinstance(output, PIPELINE[stage].output)
    assert len(chat.requests) == 2
    repair = chat.requests[1].messages
    assert repair[-2].role == "assistant" and repair[-2].content == '{"unexpected": true}'
    assert REPAIR_MARKER in repair[-1].content


@pytest.mark.parametrize("stage", LLM_STAGES)
async def test_two_invalid_answers_raise_llm_output_invalid(
    stage: str, settings: Settings, tmp_path: Path
) -> None:
    """Two answers that fail the schema raise LLMOutputInvalid, which degrades the stage."""
    ctx = sample_context(SAMPLE, stage, settings, tmp_path)
    chat = ScriptedChat(["not json at all", {"items": "wrong shape"}])
    with pytest.raises(LLMOutputInvalid) as raised:
        await run_with(stage, ctx, chat)
    assert isinstance(raised.value, StrategyUnavailable)
    assert len(chat.requests) == 2


@pytest.mark.parametrize("stage", LLM_STAGES)
async def test_provider_error_propagates_as_strategy_unavailable(
    stage: str, settings: Settings, tmp_path: Path
) -> None:
    """A provider outage reaches the runner as StrategyUnavailable once the retries are spent."""
    ctx = sample_context(SAMPLE, stage, settings, tmp_path)
    outage = ProviderUnavailable("fake", "HTTP 503", status=503)
    chat = ScriptedChat([outage])
    with pytest.raises(StrategyUnavailable) as raised:
        await run_with(stage, ctx, chat)
    assert raised.value is outage
    assert len(chat.requests) == FAST_RETRY.attempts
