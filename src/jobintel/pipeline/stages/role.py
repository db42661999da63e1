"""role: what the role is for, its business impact and why it is open now.

The LLM strategy sends the role's compact facts (title, level, top responsibilities and
needs, a short company summary), never the posting, and keeps each answer to two
sentences. Whether the result is offline is the company research's word, not the model's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from jobintel.analysis.research import offline_role_research
from jobintel.models import CompanyResearch, ExtractedJD, PainPoints, Posting, RoleResearch
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages._llm_text import clip, first_sentences
from jobintel.prompts import load_prompt

MAX_SENTENCES = 2
_RESPONSIBILITIES = 4
_PAIN_POINTS = 3
_COMPANY_CHARS = 240
_ITEM_CHARS = 140
_FIELD_CHARS = 450


def deterministic(ctx: StageContext) -> RoleResearch:
    return offline_role_research(
        ctx.result("ingest", Posting),
        ctx.result("extract", ExtractedJD),
        ctx.result("company", CompanyResearch),
    )


class RoleLLM(BaseModel):
    summary: str = Field(min_length=1)
    business_impact: str = Field(min_length=1)
    why_now: str = Field(min_length=1)


def prompt_data(jd: ExtractedJD, pains: PainPoints, company: CompanyResearch) -> dict[str, Any]:
    """The data the role prompt works on: the role's facts, its top needs, the company."""
    return {
        "title": jd.title,
        "seniority": jd.seniority,
        "role_category": jd.role_category,
        "responsibilities": [clip(r, _ITEM_CHARS) for r in jd.responsibilities[:_RESPONSIBILITIES]],
        "needs": [clip(p.text, _ITEM_CHARS) for p in pains.items[:_PAIN_POINTS]],
        "company": {"name": company.company, "summary": clip(company.summary, _COMPANY_CHARS)},
    }


def merge(company: CompanyResearch, answer: RoleLLM) -> RoleResearch:
    """The model's three answers, two sentences each at most."""
    fields = {
        name: first_sentences(getattr(answer, name), MAX_SENTENCES, _FIELD_CHARS)
        for name in ("summary", "business_impact", "why_now")
    }
    if empty := [name for name, text in fields.items() if not text]:
        raise LLMOutputInvalid(f"the model left the role's {', '.join(empty)} blank")
    return RoleResearch(**fields, offline=company.offline)


async def llm(ctx: StageContext) -> RoleResearch:
    """Role summary, business impact and why-now as a model reads the role's facts."""
    jd = ctx.result("extract", ExtractedJD)
    company = ctx.result("company", CompanyResearch)
    answer = await ctx.require_llm().structured(
        load_prompt("role"),
        prompt_data(jd, ctx.result("pain_points", PainPoints), company),
        RoleLLM,
        max_sentences=MAX_SENTENCES,
    )
    return merge(company, answer)


STAGE = StageSpec(
    name="role",
    # pain_points gives the model the role's top needs; the rules do not use it.
    needs=("extract", "company", "pain_points"),
    output=RoleResearch,
    deterministic=deterministic,
    llm=llm,
    description="Role summary, business impact, why now",
)
