"""The writing strategies against the provider simulator, through the OpenAI wire format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobintel.guard import CallMeta, Gateway
from jobintel.pipeline.llm import StageLLM
from jobintel.pipeline.stages import cover_letter as letter_stage
from jobintel.pipeline.stages import cv as cv_stage
from jobintel.providers.base import ModelRef
from jobintel.settings import load_settings
from tests.writing.builders import context

ROUTE = "compatible:sim-writer"


async def test_simulator_answers_pass_the_gate_over_http(tmp_path: Path, simulator: Any) -> None:
    """Over loopback HTTP the simulator's cv and cover_letter answers are published first time."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        research="off",
        compatible_base_url=simulator.openai_base_url,
        stage_models={"cv": ROUTE, "cover_letter": ROUTE},
        prices={"compatible:*": {}},  # a self-hosted server: free, said explicitly
    )
    async with Gateway.from_settings(settings) as gateway:
        for stage in (cv_stage, letter_stage):
            llm = StageLLM(
                gateway=gateway,
                meta=CallMeta(stage=stage.STAGE.name),
                route=ModelRef.parse(ROUTE),
            )
            output = await stage.llm(context(settings, llm=llm))
            assert output.faithfulness.passed, output.faithfulness.rejected
            assert len(llm.calls) == 1
