"""role's LLM strategy: compact facts in, two sentences per field out, offline from the company."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobintel.models import CompanyResearch, ExtractedJD, PainPoints, RoleResearch
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stages.role import prompt_data
from jobintel.settings import Settings
from tests.llm_stages.support import acme_context, data_of, run_llm

LONG = "First sentence here. Second sentence here. Third sentence is cut."


async def test_fields_keep_two_sentences_and_offline_follows_the_company(
    settings: Settings, tmp_path: Path
) -> None:
    """Each field keeps its first two sentences on one line; offline is the company research's."""
    ctx = acme_context("role", settings, tmp_path)
    answer = {"summary": LONG, "business_impact": "Lower\ncosts.", "why_now": "Growth."}
    role, _ = await run_llm("role", ctx, [answer])
    assert isinstance(role, RoleResearch)
    assert role.summary == "First sentence here. Second sentence here."
    assert role.business_impact == "Lower costs."
    assert role.offline is ctx.result("company", CompanyResearch).offline


async def test_a_blank_field_degrades(settings: Settings, tmp_path: Path) -> None:
    """A field that is only whitespace raises LLMOutputInvalid, so the rules' research is used."""
    ctx = acme_context("role", settings, tmp_path)
    answer = {"summary": "A role.", "business_impact": " \n ", "why_now": "Growth."}
    with pytest.raises(LLMOutputInvalid, match="business_impact"):
        await run_llm("role", ctx, [answer])


async def test_data_is_the_roles_compact_facts(settings: Settings, tmp_path: Path) -> None:
    """The model sees title, level, four responsibilities, three needs and a short company blurb."""
    ctx = acme_context("role", settings, tmp_path)
    answer = {"summary": "A role.", "business_impact": "Impact.", "why_now": "Now."}
    _, chat = await run_llm("role", ctx, [answer])
    data = data_of(chat.requests[0])
    jd = ctx.result("extract", ExtractedJD)
    pains = ctx.result("pain_points", PainPoints)
    company = ctx.result("company", CompanyResearch)
    assert data == prompt_data(jd, pains, company)
    assert data["title"] == jd.title and len(data["responsibilities"]) <= 4
    assert len(data["needs"]) <= 3 and len(data["company"]["summary"]) <= 240
