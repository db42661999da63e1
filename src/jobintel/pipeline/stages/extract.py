"""extract: a structured job description from the posting text.

The LLM strategy sends the cleaned posting (truncated) and asks only for what a model
reads better than rules: the role's classification and its lists. Title, company and
location always come from the posting, the quotable sentences from the deterministic
extraction, and skills are canonicalised with the taxonomy, so nothing in a posting can
rename the job or invent the text later stages quote.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from jobintel.analysis.extraction import extract_jd
from jobintel.analysis.skills import canonical_skill, find_skills
from jobintel.analysis.text import clean_text
from jobintel.models import ExtractedJD, Posting
from jobintel.models.stages import RemotePolicy, RoleCategory, Seniority
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages._llm_text import bounded_items, clip, one_line
from jobintel.prompts import load_prompt

#: Posting text sent to the model; longer postings are cut at a line or word break before it.
MAX_TEXT_CHARS = 3900
MAX_ITEMS = 10
MAX_SKILLS = 20
MAX_KEYWORDS = 15
MAX_ITEM_WORDS = 25
# An item longer than this is a pasted paragraph, not a list item.
_MAX_ITEM_CHARS = 300
_MAX_SKILL_CHARS = 40
_MAX_SKILL_WORDS = 5
_MAX_TERM_CHARS = 60
_MAX_PHRASE_CHARS = 120
_MAX_YEARS = 40


def deterministic(ctx: StageContext) -> ExtractedJD:
    return extract_jd(ctx.result("ingest", Posting))


class ExtractLLM(BaseModel):
    """What the model is asked for; everything else comes from the posting or the rules."""

    role_category: RoleCategory
    seniority: Seniority
    remote_policy: RemotePolicy
    responsibilities: list[str]
    qualifications: list[str]
    nice_to_haves: list[str]
    benefits: list[str]
    technical_skills: list[str]
    soft_skills: list[str]
    top_keywords: list[str]
    years_experience: int | None
    education: str | None
    industry: str | None


# Lines that say nothing about the role (equal-opportunity and legal notices, application
# mechanics): dropping them keeps the model's input small without losing anything it extracts.
_BOILERPLATE = re.compile(
    r"equal[- ]opportunity|without regard to|regardless of (?:race|age|gender)|"
    r"reasonable accommodations?|protected (?:veteran|characteristic|class)|e-verify|"
    r"privacy (?:notice|policy)|applicant data|recruitment agenc|unsolicited (?:resume|cv)|"
    r"sexual orientation|national origin|marital status|genetic information|"
    r"click (?:the )?apply|apply (?:now|today|via)|show more|show less",
    re.IGNORECASE,
)


def informative_text(description: str) -> str:
    """The cleaned posting text without its boilerplate lines."""
    lines = clean_text(description).splitlines()
    return "\n".join(line for line in lines if not _BOILERPLATE.search(line)).strip()


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    # Prefer a whole line when one ends in the last third; otherwise a whole word.
    cut = head.rfind("\n")
    if cut < limit * 2 // 3:
        cut = head.rfind(" ")
    return head[: cut if cut > 0 else limit].rstrip()


def prompt_data(posting: Posting) -> dict[str, Any]:
    """The data the extract prompt works on: the posting's header and cleaned text."""
    return {
        "title": posting.title,
        "company": posting.company,
        "location": posting.location,
        "text": _truncate(informative_text(posting.description), MAX_TEXT_CHARS),
    }


def _skills(names: list[str]) -> tuple[str, ...]:
    """Canonical skill names; an unknown skill is kept as written when it is short."""
    out: list[str] = []
    for raw in names:
        name = one_line(raw)
        canonical = canonical_skill(name) if name else None
        if canonical is not None:
            out.append(canonical)
        elif found := find_skills(name):
            out.extend(found)  # "PyTorch/TensorFlow" names two known skills
        elif len(name) <= _MAX_SKILL_CHARS and len(name.split()) <= _MAX_SKILL_WORDS:
            out.append(name)
    return bounded_items(out, limit=MAX_SKILLS, max_chars=_MAX_SKILL_CHARS)


def _phrase(value: str | None) -> str | None:
    text = one_line(value or "")
    return clip(text, _MAX_PHRASE_CHARS) if text else None


def merge(posting: Posting, answer: ExtractLLM) -> ExtractedJD:
    """The model's reading of ``posting``, bounded, on top of the posting's own facts."""
    base = extract_jd(posting)

    def items(values: list[str], fallback: tuple[str, ...] = ()) -> tuple[str, ...]:
        kept = bounded_items(values, limit=MAX_ITEMS, max_chars=_MAX_ITEM_CHARS)
        # Every posting has duties and requirements: an empty list there is a skipped field.
        return kept or fallback[:MAX_ITEMS]

    years = answer.years_experience
    return ExtractedJD(
        title=posting.title,
        company=posting.company,
        location=posting.location,
        role_category=answer.role_category,
        seniority=answer.seniority,
        remote_policy=answer.remote_policy,
        responsibilities=items(answer.responsibilities, base.responsibilities),
        qualifications=items(answer.qualifications, base.qualifications),
        nice_to_haves=items(answer.nice_to_haves),
        benefits=items(answer.benefits),
        technical_skills=_skills(answer.technical_skills) or base.technical_skills,
        soft_skills=bounded_items(answer.soft_skills, limit=MAX_ITEMS, max_chars=_MAX_TERM_CHARS),
        top_keywords=bounded_items(
            answer.top_keywords, limit=MAX_KEYWORDS, max_chars=_MAX_TERM_CHARS
        )
        or base.top_keywords,
        years_experience=years if years is not None and 0 <= years <= _MAX_YEARS else None,
        education=_phrase(answer.education),
        industry=_phrase(answer.industry),
        sentences=base.sentences,
    )


async def llm(ctx: StageContext) -> ExtractedJD:
    """The job description as a model reads it, merged with the posting's facts."""
    posting = ctx.result("ingest", Posting)
    answer = await ctx.require_llm().structured(
        load_prompt("extract"),
        prompt_data(posting),
        ExtractLLM,
        max_items=MAX_ITEMS,
        max_skills=MAX_SKILLS,
        max_keywords=MAX_KEYWORDS,
        max_item_words=MAX_ITEM_WORDS,
    )
    return merge(posting, answer)


STAGE = StageSpec(
    name="extract",
    needs=("ingest",),
    output=ExtractedJD,
    deterministic=deterministic,
    llm=llm,
    description="Sections, skills, seniority, remote policy, years, education, role category",
)
