"""A tailored CV: the master CV's own lines, chosen and ordered for one posting.

Nothing is rewritten. Roles stay in CV order; within a role, bullets are ordered by
relevance to the posting; older roles lose their least relevant bullets (never the last
one). Skills the posting asks for come first, summary sentences are reordered, and the
result goes through the faithfulness gate before it is returned.

A bullet's relevance is the evidence weight the fit matrix gives it (requirement kind
weight × similarity, summed over requirements) plus its similarity to each pain point's
quoted sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from jobintel.analysis.faithfulness import check_faithfulness, role_header
from jobintel.analysis.matching import RANK_TERMS, coverage, similarity, skills_in, terms
from jobintel.models.cv import Bullet, MasterCV
from jobintel.models.stages import (
    ExtractedJD,
    FitAssessment,
    PainPoints,
    TailoredCV,
    TailoredRole,
)

_KIND_WEIGHT = {"qualification": 1.5, "responsibility": 1.2, "skill": 0.8, "nice_to_have": 0.6}
# Share of bullets kept for the i-th role (0 = most recent); later roles use the last.
_KEEP_SHARE = (1.0, 0.75, 0.5)
_PROJECT_MIN_RELEVANCE = 0.5
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“])")


def bullet_relevance(
    jd: ExtractedJD, fit: FitAssessment, pains: PainPoints, cv: MasterCV
) -> dict[str, float]:
    """Relevance of every master-CV bullet and project to this posting, by id."""
    scores = {b.id: 0.0 for b in cv.all_bullets()}
    for row in fit.matrix:
        for link in row.evidence:
            if link.bullet_id in scores:
                scores[link.bullet_id] += _KIND_WEIGHT[row.kind] * link.score
    for b in cv.all_bullets():
        scores[b.id] += sum(similarity(p.quote, b.text) for p in pains.items[:5])
        if jd.title:
            scores[b.id] += 0.5 * similarity(jd.title, b.text)
    return {k: round(v, 6) for k, v in scores.items()}


def _ranked(bullets: Sequence[Bullet], relevance: dict[str, float]) -> list[Bullet]:
    # sorted() is stable, so equally relevant bullets keep their CV order.
    return sorted(bullets, key=lambda b: -relevance[b.id])


def _select(index: int, bullets: Sequence[Bullet], relevance: dict[str, float]) -> list[Bullet]:
    ranked = _ranked(bullets, relevance)
    if index == 0 or not ranked:
        return ranked
    share = _KEEP_SHARE[min(index, len(_KEEP_SHARE) - 1)]
    keep = max(1, math.ceil(len(ranked) * share))
    kept = ranked[:keep]
    return [b for i, b in enumerate(kept) if i == 0 or relevance[b.id] > 0]


def skills_for_posting(jd: ExtractedJD, cv: MasterCV) -> tuple[str, ...]:
    """The CV's skill items, those the posting names first (in the posting's order)."""
    wanted = [s.lower() for s in jd.technical_skills]
    keyed: list[tuple[int, int, str]] = []
    for pos, item in enumerate(cv.skill_names()):
        found = [wanted.index(s.lower()) for s in skills_in(item) if s.lower() in wanted]
        keyed.append((min(found) if found else len(wanted), pos, item))
    return tuple(item for _, _, item in sorted(keyed))


def split_summary(summary: str) -> list[str]:
    """The summary's sentences, verbatim."""
    return [s.strip() for s in _SENTENCE_END.split(summary) if s.strip()]


def _posting_text(jd: ExtractedJD, pains: PainPoints) -> str:
    parts = [jd.title, *jd.qualifications, *jd.responsibilities, *jd.technical_skills]
    parts.extend(p.quote for p in pains.items)
    return " ".join(parts)


def _summary(jd: ExtractedJD, pains: PainPoints, cv: MasterCV) -> str:
    sentences = split_summary(cv.summary)
    posting = _posting_text(jd, pains)
    ranked = sorted(sentences, key=lambda s: -similarity(s, posting))
    return " ".join(ranked)


def _title_overlap(posting_title: str, title: str) -> float:
    """Share of the posting title's domain words (not rank words) a CV title has."""
    want = terms(posting_title) - RANK_TERMS
    return coverage(want, terms(title)) if want else 0.0


def _headline(jd: ExtractedJD, cv: MasterCV) -> str:
    """The most recent title, plus an earlier one when it names the posting's domain better."""
    if not cv.roles:
        return ""
    recent = cv.roles[0].title
    others = [r.title for r in cv.roles[1:] if r.title != recent]
    closest = max(others, key=lambda t: _title_overlap(jd.title, t), default=None)
    if closest and _title_overlap(jd.title, closest) > _title_overlap(jd.title, recent):
        return f"{recent} · {closest}"
    return recent


def render_cv_markdown(cv: TailoredCV) -> str:
    """The tailored CV as clean, ATS-friendly Markdown."""
    out = [f"# {cv.name}", ""]
    if cv.contact:
        out += [cv.contact, ""]
    if cv.headline:
        out += [f"**{cv.headline}**", ""]
    if cv.summary:
        out += ["## Summary", "", cv.summary, ""]
    if cv.roles:
        out += ["## Experience", ""]
        for role in cv.roles:
            header = role_header(role.title, role.employer, role.location, role.start, role.end)
            out += [f"### {header}", ""]
            out += [f"- {b}" for b in role.bullets]
            out.append("")
    sections = (
        ("Skills", (", ".join(cv.skills),) if cv.skills else ()),
        ("Education", cv.education),
        ("Certifications", cv.certifications),
        ("Projects", cv.projects),
    )
    for title, lines in sections:
        if lines:
            prefix = "" if title == "Skills" else "- "
            out += [f"## {title}", "", *(f"{prefix}{line}" for line in lines), ""]
    return "\n".join(out).rstrip() + "\n"


def content_lines(cv: TailoredCV) -> list[str]:
    """Every factual line of a tailored CV, without Markdown, for the faithfulness gate."""
    lines = [cv.name, cv.contact, cv.headline, *split_summary(cv.summary)]
    for role in cv.roles:
        lines.append(role_header(role.title, role.employer, role.location, role.start, role.end))
        lines.extend(role.bullets)
    if cv.skills:
        lines.append(", ".join(cv.skills))
    lines += [*cv.education, *cv.certifications, *cv.projects]
    return [line for line in lines if line]


def tailor_cv(jd: ExtractedJD, fit: FitAssessment, pains: PainPoints, cv: MasterCV) -> TailoredCV:
    """The master CV's lines selected and ordered for ``jd``, checked by the gate."""
    relevance = bullet_relevance(jd, fit, pains, cv)
    roles: list[TailoredRole] = []
    for i, role in enumerate(cv.roles):
        chosen = _select(i, role.bullets, relevance)
        roles.append(
            TailoredRole(
                title=role.title,
                employer=role.employer,
                location=role.location,
                start=role.start,
                end=role.end,
                bullets=tuple(b.text for b in chosen),
                source_bullet_ids=tuple(b.id for b in chosen),
            )
        )
    projects = tuple(
        p.text for p in _ranked(cv.projects, relevance) if relevance[p.id] >= _PROJECT_MIN_RELEVANCE
    )
    draft = TailoredCV(
        name=cv.name,
        contact=cv.contact,
        headline=_headline(jd, cv),
        summary=_summary(jd, pains, cv),
        skills=skills_for_posting(jd, cv),
        roles=tuple(roles),
        education=cv.education,
        certifications=cv.certifications,
        projects=projects,
        faithfulness=check_faithfulness([], cv),
        markdown="",
    )
    report = check_faithfulness(content_lines(draft), cv)
    return draft.model_copy(update={"faithfulness": report, "markdown": render_cv_markdown(draft)})
