"""What a dossier shows, independent of format: the inputs and the views both renderers share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from jobintel.models import (
    CompanyResearch,
    CoverLetter,
    ExtractedJD,
    FitAssessment,
    MasterCV,
    PainPoint,
    PainPoints,
    PeopleResult,
    Posting,
    RequirementEvidence,
    RoleResearch,
    TailoredCV,
)

# Pipeline order (DESIGN.md); unknown stage names follow, alphabetically.
STAGE_ORDER = (
    "ingest",
    "extract",
    "pain_points",
    "company",
    "role",
    "fit",
    "people",
    "cv",
    "cover_letter",
    "publish",
)
PAIN_KIND_LABELS: Mapping[str, str] = {
    "pain_point": "Pain point",
    "strategic_need": "Strategic need",
    "risk_if_unfilled": "Risk if unfilled",
    "success_metric": "Success metric",
}
REQUIREMENT_KIND_LABELS: Mapping[str, str] = {
    "qualification": "qualification",
    "responsibility": "responsibility",
    "nice_to_have": "nice-to-have",
    "skill": "skill",
}
LABELS: Mapping[str, str] = {
    "not_specified": "not specified",
    "fully_remote": "fully remote",
    "ic_engineer": "IC engineer",
    "c_level": "C-level",
    "vp": "VP",
}
SYNTHETIC_MARK = "(role-based, not a real person)"
_ROLE_UNIT = re.compile(r"r(\d+)")
_INDEXED_UNIT = re.compile(r"(skills|education|certifications)\.(\d+)")


@dataclass(frozen=True, kw_only=True)
class DossierInputs:
    """Every stage output a dossier is made from, plus how the run produced them."""

    run_id: str
    posting: Posting
    jd: ExtractedJD
    pain_points: PainPoints
    company: CompanyResearch
    role: RoleResearch
    fit: FitAssessment
    people: PeopleResult
    cv: TailoredCV
    cover_letter: CoverLetter
    master_cv: MasterCV
    strategies: Mapping[str, str] = field(default_factory=dict)
    """stage → "deterministic" or "llm"."""
    degraded: Mapping[str, str] = field(default_factory=dict)
    """stage → why it fell back to its deterministic strategy."""


@dataclass(frozen=True)
class StageRow:
    stage: str
    strategy: str
    degraded: str


def label(value: str | None) -> str:
    """A human label for an enum-like value (``fully_remote`` → ``fully remote``)."""
    if not value:
        return "not specified"
    return LABELS.get(value, value.replace("_", " "))


def stage_rows(d: DossierInputs) -> list[StageRow]:
    """One row per stage that has a strategy or a degradation, in pipeline order."""
    names = set(d.strategies) | set(d.degraded)
    order = [s for s in STAGE_ORDER if s in names] + sorted(names - set(STAGE_ORDER))
    return [StageRow(s, d.strategies.get(s, "unknown"), d.degraded.get(s, "")) for s in order]


def ranked_pain_points(points: PainPoints) -> list[PainPoint]:
    """Pain points, most pressing first; ties keep the stage's order."""
    return sorted(points.items, key=lambda p: -p.score)


def best_evidence_score(req: RequirementEvidence) -> float | None:
    """The strongest evidence link's score, or None for a requirement with no evidence."""
    return max((e.score for e in req.evidence), default=None)


def status_counts(fit: FitAssessment) -> dict[str, int]:
    """How many requirements are met, partial and gaps (always all three keys)."""
    counts = {"met": 0, "partial": 0, "gap": 0}
    for req in fit.matrix:
        counts[req.status] += 1
    return counts


def safe_url(url: str) -> str | None:
    """``url`` when it is an http(s) link with a host, else None (never a ``javascript:`` link)."""
    url = url.strip()
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def source_text(cv: MasterCV, unit_id: str) -> str:
    """The master-CV text behind a faithfulness-mapping id ("" when the id is unknown)."""
    for bullet in cv.all_bullets():
        if bullet.id == unit_id:
            return bullet.text
    if m := _ROLE_UNIT.fullmatch(unit_id):
        index = int(m.group(1))
        if index < len(cv.roles):
            role = cv.roles[index]
            dates = " – ".join(d for d in (role.start, role.end) if d)
            where = f" ({role.location})" if role.location else ""
            return f"{role.title} — {role.employer}{where}" + (f" · {dates}" if dates else "")
    whole = {
        "name": cv.name,
        "contact": cv.contact,
        "summary": cv.summary,
        "headline": " · ".join(r.title for r in cv.roles),
        "skills": ", ".join(cv.skill_names()),
    }
    if unit_id in whole:
        return whole[unit_id]
    if m := _INDEXED_UNIT.fullmatch(unit_id):
        index = int(m.group(2))
        if m.group(1) == "skills" and index < len(cv.skills):
            group = cv.skills[index]
            return f"{group.name}: {', '.join(group.items)}"
        items = cv.education if m.group(1) == "education" else cv.certifications
        if index < len(items):
            return items[index]
    return ""
