"""cover_letter: a letter built from the strongest evidence, same faithfulness rule.

The LLM strategy writes 3–4 paragraphs from the posting's top needs and the most relevant
master-CV bullets, citing the bullet ids each paragraph rests on. The greeting and the
sign-off (with the candidate's real name) are added in code, and every sentence must pass
the gate: a sentence about the candidate's record must trace to the CV; other sentences
may only name the target company and role, never a fact the CV lacks.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from jobintel.analysis.cover_letter import compose_cover_letter, letter_markdown
from jobintel.analysis.faithfulness import Draft, check_drafted
from jobintel.models import (
    CompanyResearch,
    CoverLetter,
    ExtractedJD,
    FaithfulnessReport,
    FitAssessment,
    PainPoints,
    Posting,
)
from jobintel.models.cv import MasterCV
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages.writing_llm import (
    clip,
    ranked_needs,
    relevant_bullets,
    sentences,
    write_gated,
)
from jobintel.prompts import load_prompt

#: How much the model sees (the token budget is ~600 input tokens).
LETTER_BULLETS = 5
LETTER_BULLET_CHARS = 800
_NEEDS = 3
_NEED_CHARS = 100
_ABOUT_CHARS = 240
# Greeting or sign-off lines the model may add although the code adds its own.
_SALUTATION = re.compile(
    r"^(?:dear|hello|hi)\b[^.!?]{0,80},?$|^(?:kind |best |warm )?regards\b|^sincerely\b", re.I
)
_TITLE_PARTS = re.compile(r"\s*(?:[–—|/,()]|\s-\s)\s*")


class ParagraphLLM(BaseModel):
    text: str = Field(min_length=1, max_length=900)
    source_ids: list[str] = Field(max_length=4)


class CoverLetterLLM(BaseModel):
    """The model's part of a cover letter: the body paragraphs only."""

    paragraphs: list[ParagraphLLM] = Field(min_length=3, max_length=4)


def company_name(jd: ExtractedJD, company: CompanyResearch) -> str:
    """The name the letter addresses, as the deterministic letter does."""
    return jd.company or company.company


def posting_names(posting: Posting, jd: ExtractedJD, company: CompanyResearch) -> tuple[str, ...]:
    """Names the letter may use although the CV lacks them: the employer and the role."""
    names = {posting.company, jd.company, company.company, posting.title, jd.title}
    for title in (posting.title, jd.title):
        names.update(part for part in _TITLE_PARTS.split(title) if len(part) > 3)
    return tuple(sorted(n for n in names if n.strip()))


def letter_data(
    jd: ExtractedJD,
    fit: FitAssessment,
    pains: PainPoints,
    company: CompanyResearch,
    cv: MasterCV,
) -> dict[str, Any]:
    """What the model sees: the target, its top needs and the ~6 strongest bullets."""
    bullets = relevant_bullets(
        jd, fit, pains, cv, limit=LETTER_BULLETS, max_chars=LETTER_BULLET_CHARS, per_role=False
    )
    employer = {b.id: r.employer for r in cv.roles for b in r.bullets}
    return {
        "company": clip(company_name(jd, company), 60),
        "title": clip(jd.title, 80),
        "about": clip(company.summary, _ABOUT_CHARS),
        "needs": ranked_needs(pains, limit=_NEEDS, chars=_NEED_CHARS),
        "evidence": [
            {"id": b.id, "text": b.text, **({"at": employer[b.id]} if b.id in employer else {})}
            for b in bullets
        ],
    }


def build_letter(
    answer: CoverLetterLLM,
    jd: ExtractedJD,
    company: CompanyResearch,
    names: tuple[str, ...],
    cv: MasterCV,
) -> tuple[CoverLetter, FaithfulnessReport]:
    """The letter made from the model's paragraphs, with the gate's report on every sentence."""
    paragraphs: list[str] = []
    drafts: list[Draft] = []
    for item in answer.paragraphs:
        text = " ".join(item.text.split())
        if not text or _SALUTATION.match(text):
            continue
        paragraphs.append(text)
        cited = tuple(item.source_ids)
        drafts += [Draft(s, cited, frame=True) for s in sentences(text, keep=names)]
    report = check_drafted(drafts, cv, allowed=names)
    known = {b.id for b in cv.all_bullets()}
    sources = tuple(dict.fromkeys(i for i in report.mapping.values() if i in known))
    if not sources:
        # A letter of pleasantries only says nothing the CV backs: not worth sending.
        report = report.model_copy(
            update={
                "passed": False,
                "rejected": (*report.rejected, "no sentence traces to a CV bullet"),
            }
        )
    letter = CoverLetter(
        paragraphs=tuple(paragraphs),
        source_bullet_ids=sources,
        faithfulness=report,
        markdown=letter_markdown(company_name(jd, company), paragraphs, cv.name),
    )
    return letter, report


def deterministic(ctx: StageContext) -> CoverLetter:
    return compose_cover_letter(
        ctx.result("extract", ExtractedJD),
        ctx.result("fit", FitAssessment),
        ctx.result("pain_points", PainPoints),
        ctx.result("company", CompanyResearch),
        ctx.cv,
    )


async def llm(ctx: StageContext) -> CoverLetter:
    """The letter written by the model; raises ``FaithfulnessRejected`` to degrade."""
    jd = ctx.result("extract", ExtractedJD)
    company = ctx.result("company", CompanyResearch)
    names = posting_names(ctx.posting, jd, company)
    data = letter_data(
        jd, ctx.result("fit", FitAssessment), ctx.result("pain_points", PainPoints), company, ctx.cv
    )
    return await write_gated(
        ctx.require_llm(),
        load_prompt("cover_letter"),
        data,
        CoverLetterLLM,
        lambda answer: build_letter(answer, jd, company, names, ctx.cv),
    )


STAGE = StageSpec(
    name="cover_letter",
    needs=("fit", "pain_points", "company"),
    output=CoverLetter,
    deterministic=deterministic,
    llm=llm,
    description="Cover letter under the faithfulness gate",
)
