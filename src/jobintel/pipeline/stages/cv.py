"""cv: the master CV tailored to this posting, behind the faithfulness gate.

The LLM strategy only rewords: it gets the most relevant master-CV bullets with their ids
and returns a headline, a summary, rephrased bullets citing those ids, and a choice of
skills. Everything else (name, contact, every role's title, employer, location and dates,
education, certifications) is copied from the master CV in code, each bullet is placed
under the role its text traces to, and every written line must pass the gate.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from jobintel.analysis.faithfulness import Draft, check_drafted, check_faithfulness, role_header
from jobintel.analysis.matching import cv_text, skills_in
from jobintel.analysis.tailoring import (
    bullet_relevance,
    render_cv_markdown,
    skills_for_posting,
    split_summary,
    tailor_cv,
)
from jobintel.models import (
    ExtractedJD,
    FaithfulnessReport,
    FitAssessment,
    PainPoints,
    TailoredCV,
    TailoredRole,
)
from jobintel.models.cv import MasterCV
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages.writing_llm import (
    clip,
    ranked_needs,
    relevant_bullets,
    write_gated,
)
from jobintel.prompts import load_prompt

#: How much of the master CV the model sees (the token budget is ~900 input tokens).
CV_BULLETS = 12
CV_BULLET_CHARS = 1200
_KEYWORDS = 8
_NEEDS = 3
_NEED_CHARS = 100
_SKILLS = 16
_HEADLINE_WORDS = 12
_SUMMARY_SENTENCES = 3


class BulletLLM(BaseModel):
    source_id: str = Field(max_length=16)
    text: str = Field(min_length=1, max_length=320)


class CvLLM(BaseModel):
    """The model's part of a tailored CV: wording and choices, never facts."""

    # Word and sentence limits are in the prompt (and validated below), not in the schema:
    # the schema is sent with every call and counts as input.
    headline: str = Field(max_length=120)
    summary: str = Field(max_length=600)
    bullets: list[BulletLLM] = Field(max_length=20)
    skills: list[str] = Field(max_length=40)

    @field_validator("headline")
    @classmethod
    def _short_headline(cls, value: str) -> str:
        if len(value.split()) > _HEADLINE_WORDS:
            raise ValueError(f"has {len(value.split())} words: use at most {_HEADLINE_WORDS}")
        return value

    @field_validator("summary")
    @classmethod
    def _short_summary(cls, value: str) -> str:
        if len(split_summary(value)) > _SUMMARY_SENTENCES:
            raise ValueError(f"use at most {_SUMMARY_SENTENCES} sentences")
        return value


def cv_data(jd: ExtractedJD, fit: FitAssessment, pains: PainPoints, cv: MasterCV) -> dict[str, Any]:
    """What the model sees: the target, its top needs and only the most relevant bullets."""
    bullets = relevant_bullets(
        jd, fit, pains, cv, limit=CV_BULLETS, max_chars=CV_BULLET_CHARS, per_role=True
    )
    chosen = {b.id for b in bullets}
    roles = [
        {
            "title": role.title,
            "employer": role.employer,
            "bullets": [{"id": b.id, "text": b.text} for b in role.bullets if b.id in chosen],
        }
        for role in cv.roles
        if any(b.id in chosen for b in role.bullets)
    ]
    data: dict[str, Any] = {
        "target": {"title": clip(jd.title, 80), "company": clip(jd.company, 60)},
        "keywords": list(jd.top_keywords[:_KEYWORDS]),
        "needs": ranked_needs(pains, limit=_NEEDS, chars=_NEED_CHARS),
        "summary": cv.summary,
        "roles": roles,
        "skills": list(skills_for_posting(jd, cv)[:_SKILLS]),
    }
    projects = [{"id": p.id, "text": p.text} for p in cv.projects if p.id in chosen]
    if projects:
        data["projects"] = projects
    return data


def _matched_skills(wanted: list[str], cv: MasterCV) -> tuple[list[str], list[str]]:
    """The skills the model chose that the CV names (CV spelling first), and the others."""
    by_name = {item.casefold(): item for item in cv.skill_names()}
    listed = ", ".join(cv.skill_names())
    text = cv_text(cv)
    found: list[str] = []
    missing: list[str] = []
    for name in (" ".join(w.split()) for w in wanted):
        # A listed item ("Python"), part of one ("EKS"), or a known skill the CV names.
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.IGNORECASE)
        spelled = pattern.search(listed) or (skills_in(name) and pattern.search(text))
        item = by_name.get(name.casefold()) or (name if len(name) > 1 and spelled else None)
        if item is None:
            missing.append(name)
        elif item.casefold() not in {f.casefold() for f in found}:
            found.append(item)
    return found, missing


def build_cv(
    answer: CvLLM, jd: ExtractedJD, fit: FitAssessment, pains: PainPoints, cv: MasterCV
) -> tuple[TailoredCV, FaithfulnessReport]:
    """The tailored CV made from the model's answer and the master CV, with the gate's report."""
    known = {b.id for b in cv.all_bullets()}
    written: dict[str, str] = {}  # text -> cited id; identical lines are kept once
    for item in answer.bullets:
        text = " ".join(item.text.split())
        if text and item.source_id in known:
            written.setdefault(text, item.source_id)
    headline = " ".join(answer.headline.split())
    summary = " ".join(answer.summary.split()) or cv.summary
    drafts = [Draft(headline), *(Draft(s) for s in split_summary(summary))]
    drafts += [Draft(text, (source,)) for text, source in written.items()]
    report = check_drafted(drafts, cv)
    rejected = list(report.rejected)

    placed: dict[str, list[tuple[str, str]]] = {}  # traced bullet id's owner -> (text, id)
    owner = {b.id: f"r{i}" for i, r in enumerate(cv.roles) for b in r.bullets}
    owner.update({p.id: "projects" for p in cv.projects})
    for text in written:
        traced = report.mapping.get(text)
        if traced is None:
            continue  # already rejected as untraced
        if traced not in owner:
            rejected.append(f"bullet traces to {traced}, not to a master-CV bullet: {text}")
            continue
        placed.setdefault(owner[traced], []).append((text, traced))

    skills, invented = _matched_skills(answer.skills, cv)
    rejected += [f"skill '{s}' is not in the master CV's skills" for s in invented]
    relevance = bullet_relevance(jd, fit, pains, cv)
    roles = []
    for i, role in enumerate(cv.roles):
        lines = placed.get(f"r{i}", [])
        if not lines and role.bullets:
            # The model left this role empty: keep its most relevant bullet, verbatim.
            best = max(role.bullets, key=lambda b: relevance[b.id])
            lines = [(best.text, best.id)]
        roles.append(
            TailoredRole(
                title=role.title,
                employer=role.employer,
                location=role.location,
                start=role.start,
                end=role.end,
                bullets=tuple(t for t, _ in lines),
                source_bullet_ids=tuple(b for _, b in lines),
            )
        )
    fixed = [cv.name, cv.contact, *cv.education, *cv.certifications]
    fixed += [role_header(r.title, r.employer, r.location, r.start, r.end) for r in cv.roles]
    fixed += [b for role in roles for b in role.bullets if b not in written]
    fixed_report = check_faithfulness([line for line in fixed if line], cv)
    rejected += fixed_report.rejected
    final = FaithfulnessReport(
        passed=not rejected,
        mapping={**fixed_report.mapping, **report.mapping},
        rejected=tuple(rejected),
    )
    tailored = TailoredCV(
        name=cv.name,
        contact=cv.contact,
        headline=headline,
        summary=summary,
        skills=tuple(skills) or skills_for_posting(jd, cv),
        roles=tuple(roles),
        education=cv.education,
        certifications=cv.certifications,
        projects=tuple(t for t, _ in placed.get("projects", [])),
        faithfulness=final,
        markdown="",
    )
    return tailored.model_copy(update={"markdown": render_cv_markdown(tailored)}), final


def deterministic(ctx: StageContext) -> TailoredCV:
    return tailor_cv(
        ctx.result("extract", ExtractedJD),
        ctx.result("fit", FitAssessment),
        ctx.result("pain_points", PainPoints),
        ctx.cv,
    )


async def llm(ctx: StageContext) -> TailoredCV:
    """The CV reworded for the posting by the model; raises ``FaithfulnessRejected`` to degrade."""
    jd = ctx.result("extract", ExtractedJD)
    fit = ctx.result("fit", FitAssessment)
    pains = ctx.result("pain_points", PainPoints)
    return await write_gated(
        ctx.require_llm(),
        load_prompt("cv"),
        cv_data(jd, fit, pains, ctx.cv),
        CvLLM,
        lambda answer: build_cv(answer, jd, fit, pains, ctx.cv),
    )


STAGE = StageSpec(
    name="cv",
    needs=("fit", "pain_points"),
    output=TailoredCV,
    deterministic=deterministic,
    llm=llm,
    description="Tailored CV whose every bullet traces to the master CV",
)
