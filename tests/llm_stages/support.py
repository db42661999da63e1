"""Building stage contexts the way the runner does, and a chat fake answered by the simulator."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from jobintel.guard import CallMeta, Gateway
from jobintel.inputs import load_cv, load_postings, normalise_posting
from jobintel.models import MasterCV, Posting
from jobintel.pipeline.llm import StageLLM
from jobintel.pipeline.stage import StageContext
from jobintel.pipeline.stages import PIPELINE
from jobintel.providers.base import ChatRequest, ModelRef
from jobintel.settings import Settings
from jobintel.simulator.responders import ResponderInput, extract_data, find_responder
from tests.conftest import SAMPLES
from tests.fakes import Answer, ScriptedChat, priced_guard

#: The stages this suite covers, in pipeline order.
LLM_STAGES = ("extract", "pain_points", "role", "fit", "people")
_DATA_BLOCK = re.compile(r"<data>\n(.*)\n</data>\Z", re.DOTALL)


@cache
def sample_postings() -> tuple[Posting, ...]:
    """The 53 shared sample postings, as loaded from jobs.jsonl."""
    loaded = load_postings([SAMPLES / "jobs.jsonl"])
    assert not loaded.errors
    return tuple(normalise_posting(raw) for raw in loaded.postings)


@cache
def leader_cv() -> MasterCV:
    """The good-fit sample CV."""
    return load_cv(SAMPLES / "master-cv.md")


def context(posting: Posting, cv: MasterCV, settings: Settings, tmp_path: Path) -> StageContext:
    """A job's context before any stage ran, as the runner builds it."""
    return StageContext(
        run_id="run-test",
        job_id=1,
        posting=posting,
        cv=cv,
        output_dir=tmp_path / "job-1",
        settings=settings,
    )


def run_upstream(ctx: StageContext, stage: str) -> StageContext:
    """``ctx`` with the deterministic outputs of every stage ``stage`` depends on."""
    wanted = PIPELINE.ancestors(stage)
    results = dict(ctx.results)
    for spec in PIPELINE.order:
        if spec.name in wanted and spec.name not in results:
            results[spec.name] = spec.deterministic(replace(ctx, results=dict(results)))
    return replace(ctx, results=results)


@cache
def _sample_output(index: int, stage: str) -> BaseModel:
    """Deterministic output of ``stage`` on sample ``index`` (immutable, so shared)."""
    spec = PIPELINE[stage]
    ctx = context(sample_postings()[index], leader_cv(), Settings(), Path("/nonexistent"))
    results = {name: _sample_output(index, name) for name in PIPELINE.ancestors(stage)}
    return spec.deterministic(replace(ctx, results=results))


def sample_context(index: int, stage: str, settings: Settings, tmp_path: Path) -> StageContext:
    """Sample ``index`` with the deterministic output of every stage ``stage`` needs."""
    ctx = context(sample_postings()[index], leader_cv(), settings, tmp_path)
    results = {name: _sample_output(index, name) for name in PIPELINE.ancestors(stage)}
    return replace(ctx, results=results)


def with_model(ctx: StageContext, chat: ScriptedChat, stage: str) -> StageContext:
    """``ctx`` bound to ``chat`` through a real gateway, as the runner binds a stage's route."""
    llm = StageLLM(
        gateway=Gateway(chat={chat.name: chat}, guard=priced_guard()),
        meta=CallMeta(run_id=ctx.run_id, job_id=ctx.job_id, stage=stage),
        route=ModelRef(provider=chat.name, model="m"),
    )
    return replace(ctx, llm=llm)


def responder_input(request: ChatRequest) -> ResponderInput:
    messages = tuple({"role": m.role, "content": m.content} for m in request.messages)
    return ResponderInput(
        schema_name=request.schema_name,
        json_schema=request.json_schema,
        messages=messages,
        data=extract_data(messages),
    )


def simulated(request: ChatRequest) -> Any:
    """The simulator's answer to ``request`` (its stage responder), as a JSON value."""
    responder = find_responder(request.schema_name)
    assert responder is not None, f"no responder for {request.schema_name}"
    value = responder(responder_input(request))
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def data_of(request: ChatRequest) -> Any:
    """The JSON document inside the ``<data>`` block that ends the request's user message."""
    user = request.messages[1].content
    match = _DATA_BLOCK.search(user)
    assert match is not None, "the user message does not end with one <data> block"
    return json.loads(match.group(1))


async def run_llm(
    stage: str, ctx: StageContext, script: list[Answer]
) -> tuple[BaseModel, ScriptedChat]:
    """The stage's LLM strategy on ``ctx`` with a fake model answering from ``script``."""
    chat = ScriptedChat(script)
    return await run_with(stage, ctx, chat), chat


async def run_with(stage: str, ctx: StageContext, chat: ScriptedChat) -> BaseModel:
    """The stage's LLM strategy on ``ctx`` with ``chat`` as its model."""
    strategy = PIPELINE[stage].llm
    assert strategy is not None, f"stage {stage} has no LLM strategy"
    return await strategy(with_model(ctx, chat, stage))


ACME_TITLE = "Senior Platform Engineer"
ACME_COMPANY = "Acme Logistics"
ACME_DESCRIPTION = """About us
Acme Logistics moves freight across Europe and is growing fast.

Responsibilities
- Migrate our legacy deployment scripts to Kubernetes and Terraform.
- Reduce cloud costs by 20% within 12 months.
- Improve reliability and on-call practices for the platform team.
- Mentor engineers on infrastructure as code.

Requirements
- 5+ years of experience with AWS and Kubernetes.
- Strong Python and Terraform skills.
- Experience running PostgreSQL in production.

Nice to have
- Experience with Kafka.

We offer
- 30 days of holiday and a pension plan.
"""


def acme_posting(description: str = ACME_DESCRIPTION, title: str = ACME_TITLE) -> Posting:
    """A small hand-written posting whose sections the rules read cleanly."""
    return Posting(
        source="acme.md",
        title=title,
        company=ACME_COMPANY,
        location="Berlin, Germany",
        description=description,
        dedupe_key="acme-platform",
    )


def acme_context(stage: str, settings: Settings, tmp_path: Path, **posting: str) -> StageContext:
    """The acme posting and the leader CV, with deterministic outputs of ``stage``'s needs."""
    ctx = context(acme_posting(**posting), leader_cv(), settings, tmp_path)
    return run_upstream(ctx, stage)
