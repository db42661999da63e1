"""Requirement-by-requirement evidence, keyword coverage and a fit score, kept apart.

For every qualification, responsibility, nice-to-have and top technical skill of a
posting, the best one to three pieces of master-CV evidence are found with
:mod:`jobintel.analysis.matching` (bullets and projects at full strength; summary,
skill lists and education weaker). A requirement is

* **met** when its best evidence scores at least ``MET`` (0.5),
* **partial** at ``PARTIAL`` (0.25) or more,
* a **gap** below that.

Years ("8+ years") and degree ("Master's degree") requirements are checked against the
CV's stated years and education directly. The score (0–100) is

    100 × (0.60 × weighted requirement coverage
         + 0.25 × share of the posting's technical skills the CV has
         + 0.15 × seniority match (years 60 %, leadership level 40 %)) / 0.8

capped at 100 (a CV covering 80 % of the weighted evidence is already a full fit: postings
list more than any one person has), with requirement weights qualification 3,
responsibility 2, skill 1.5, nice-to-have 1 (×1.5 when a pain point quotes it). Keyword coverage is reported separately and does not
enter the score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from jobintel.analysis.matching import (
    EvidenceUnit,
    best_matches,
    coverage,
    cv_skill_set,
    cv_text,
    evidence_units,
    skills_in,
    term_union,
    terms,
    weight,
)
from jobintel.models.cv import MasterCV
from jobintel.models.stages import (
    EvidenceLink,
    ExtractedJD,
    FitAssessment,
    PainPoints,
    RequirementEvidence,
)

MET = 0.5
PARTIAL = 0.25
_FLOOR = 0.1
_SHORT_YEARS = 0.45
# Postings list more than anyone has: covering 80% of the weighted evidence is a full fit.
_FULL_FIT = 0.8
_YEARS_ALONE = 0.2
_TOPIC_MIN_WEIGHT = 1.0
_MAX_SKILL_REQUIREMENTS = 10
_W_REQUIREMENTS, _W_SKILLS, _W_SENIORITY = 0.60, 0.25, 0.15
_KIND_WEIGHT = {"qualification": 3.0, "responsibility": 2.0, "skill": 1.5, "nice_to_have": 1.0}
_PAIN_BOOST = 1.5

# Years a posting of each seniority usually expects when it names no number.
_EXPECTED_YEARS = {
    "junior": 0,
    "mid": 3,
    "senior": 5,
    "staff": 8,
    "principal": 10,
    "manager": 6,
    "director": 10,
    "vp": 12,
    "c_level": 12,
    "not_specified": 3,
}
_LEADERSHIP_CATEGORIES = frozenset(
    {
        "tech_lead",
        "engineering_manager",
        "head_of_engineering",
        "staff_principal_engineer",
        "architect",
    }
)
_LEADERSHIP_SENIORITY = frozenset({"staff", "principal", "manager", "director", "vp", "c_level"})
_LEAD_TITLE = re.compile(
    r"\b(?:head|lead|manager|director|principal|staff|vp|vice president|chief|cto|architect)\b",
    re.IGNORECASE,
)
_LEAD_BULLET = re.compile(r"\b(?:led|lead|managed|hired|mentored|built and lead)\b", re.IGNORECASE)
_SPELLED = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
}
_YEARS = re.compile(
    r"\b(\d{1,2}|" + "|".join(_SPELLED) + r")\s*\+?\s*(?:-|–|to)?\s*(?:\d{1,2}\s*\+?\s*)?"
    r"(?:years?|yrs?)\b",
    re.IGNORECASE,
)
_DEGREE_LEVEL = (
    (re.compile(r"ph\.?\s?d|doctora", re.IGNORECASE), 3),
    (re.compile(r"master|m\.\s?sc|\bmsc\b|\bm\.?s\.?\b|\bmba\b|\bm\.?eng", re.IGNORECASE), 2),
    (
        re.compile(
            r"bachelor|b\.\s?sc|\bbsc\b|\bb\.?s\.?\b|\bb\.?eng|\bb\.?a\.?\b|degree|diploma",
            re.IGNORECASE,
        ),
        1,
    ),
)


RequirementKind = Literal["qualification", "responsibility", "nice_to_have", "skill"]


@dataclass(frozen=True, slots=True)
class _Requirement:
    text: str
    kind: RequirementKind
    weight: float


def _years_number(token: str) -> int:
    return int(token) if token.isdigit() else _SPELLED[token.lower()]


def cv_years(cv: MasterCV) -> int:
    """Years of experience the CV states, or else spans from its first role start."""
    stated = [_years_number(m.group(1)) for m in _YEARS.finditer(cv.summary)]
    years_seen = [int(y) for y in re.findall(r"\b(19\d{2}|20\d{2})\b", cv_text(cv))]
    starts = [int(m.group(0)) for r in cv.roles for m in re.finditer(r"(19|20)\d{2}", r.start)]
    span = max(years_seen) - min(starts) if starts and years_seen else 0
    return max([span, *stated])


def _degree_level(text: str) -> int:
    for pattern, level in _DEGREE_LEVEL:
        if pattern.search(text):
            return level
    return 0


def _requirements(jd: ExtractedJD, pains: PainPoints) -> list[_Requirement]:
    quoted = " ".join(p.quote for p in pains.items).lower()
    out: list[_Requirement] = []
    groups: tuple[tuple[RequirementKind, tuple[str, ...]], ...] = (
        ("qualification", jd.qualifications),
        ("responsibility", jd.responsibilities),
        ("nice_to_have", jd.nice_to_haves),
        ("skill", jd.technical_skills[:_MAX_SKILL_REQUIREMENTS]),
    )
    for kind, texts in groups:
        for text in texts:
            if not text.strip():
                continue
            weight = _KIND_WEIGHT[kind]
            if kind != "skill" and text.lower() in quoted:
                weight *= _PAIN_BOOST
            out.append(_Requirement(text, kind, weight))
    return out


def _special_evidence(
    req: str, units: tuple[EvidenceUnit, ...], cv: MasterCV
) -> EvidenceLink | None:
    """Evidence for years and degree requirements, which word overlap handles badly."""
    years = _YEARS.search(req)
    if years and re.search(r"experience|years", req, re.IGNORECASE):
        need = _years_number(years.group(1))
        have = cv_years(cv)
        # Short of the number is at best partial, however close.
        score = 1.0 if have >= need else _SHORT_YEARS * have / need
        # "3+ years with Kafka" also needs Kafka: the years alone earn a fifth.
        topic = frozenset(t for t in terms(_YEARS.sub(" ", req)) if weight(t) >= 1)
        if sum(weight(t) for t in topic) >= _TOPIC_MIN_WEIGHT:
            best = max((coverage(topic, u.terms) * u.strength for u in units), default=0.0)
            score *= _YEARS_ALONE + (1 - _YEARS_ALONE) * min(1.0, best / MET)
        text = cv.summary or (cv.roles[-1].title if cv.roles else "")
        return EvidenceLink(bullet_id="summary", text=text, score=round(score, 4))
    need_level = _degree_level(req)
    if need_level and re.search(r"degree|bachelor|master|ph\.?d|bsc|msc", req, re.IGNORECASE):
        levels = [(_degree_level(e), i, e) for i, e in enumerate(cv.education)]
        if not levels:
            return None
        level, i, line = max(levels, key=lambda t: (t[0], -t[1]))
        score = 0.9 if level >= need_level else 0.4 if level else 0.0
        return EvidenceLink(bullet_id=f"education.{i}", text=line, score=score)
    return None


def _evidence(
    req: _Requirement, units: tuple[EvidenceUnit, ...], cv: MasterCV
) -> RequirementEvidence:
    links = [
        EvidenceLink(bullet_id=m.unit.id, text=m.unit.text, score=min(1.0, m.score))
        for m in best_matches(req.text, units, limit=3, floor=_FLOOR)
    ]
    special = _special_evidence(req.text, units, cv) if req.kind != "skill" else None
    if special is not None:
        # The special check decides; other links support it and never outrank it.
        query = _YEARS.sub(" ", req.text)
        support = [
            EvidenceLink(bullet_id=m.unit.id, text=m.unit.text, score=min(special.score, m.score))
            for m in best_matches(query, units, limit=3, floor=_FLOOR)
            if m.unit.id != special.bullet_id
        ]
        links = [special, *support][:3]
    best = links[0].score if links else 0.0
    status = "met" if best >= MET else "partial" if best >= PARTIAL else "gap"
    return RequirementEvidence(
        requirement=req.text, kind=req.kind, evidence=tuple(links), status=status
    )


def _keyword_present(keyword: str, cv_skills: frozenset[str], cv_terms: frozenset[str]) -> bool:
    found = skills_in(keyword)
    if found and all(s.lower() in cv_skills for s in found):
        return True
    kw_terms = {t for t in terms(keyword) if not t.startswith("skill:")}
    return bool(kw_terms) and kw_terms <= cv_terms


def _seniority(jd: ExtractedJD, cv: MasterCV) -> tuple[float, int, int]:
    need = jd.years_experience if jd.years_experience is not None else _EXPECTED_YEARS[jd.seniority]
    have = cv_years(cv)
    years_score = 1.0 if need <= 0 else min(1.0, have / need)
    wants_lead = jd.role_category in _LEADERSHIP_CATEGORIES or jd.seniority in _LEADERSHIP_SENIORITY
    if not wants_lead or any(_LEAD_TITLE.search(r.title) for r in cv.roles):
        level = 1.0
    elif any(_LEAD_BULLET.search(b.text) for b in cv.all_bullets()):
        level = 0.5
    else:
        level = 0.0
    return 0.6 * years_score + 0.4 * level, have, need


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The fit score's parts that come from the CV's facts, whoever judges the requirements.

    Every strategy scores with ``score``: the rules and a model differ only in how they
    judge the weighted requirement coverage, so their scores are on one scale.
    """

    posting_skills: int
    have_skills: int
    seniority: float
    have_years: int
    need_years: int

    def skills_coverage(self, requirement_coverage: float) -> float:
        """Share of the posting's skills in the CV (the requirement coverage if it lists none)."""
        if not self.posting_skills:
            return requirement_coverage
        return self.have_skills / self.posting_skills

    def score(self, requirement_coverage: float) -> int:
        """The 0–100 score for ``requirement_coverage`` (0–1); 80 % of the evidence is 100."""
        raw = (
            _W_REQUIREMENTS * requirement_coverage
            + _W_SKILLS * self.skills_coverage(requirement_coverage)
            + _W_SENIORITY * self.seniority
        )
        return max(0, min(100, round(100 * raw / _FULL_FIT)))

    def explain(self, requirement_coverage: float) -> str:
        """The parts behind ``score``, as the rationale states them."""
        skills = self.skills_coverage(requirement_coverage)
        return (
            f"weighted requirement coverage {round(100 * requirement_coverage)}%; "
            f"{self.have_skills} of {self.posting_skills} posting skills in the CV "
            f"({round(100 * skills)}%); {self.have_years} years of experience vs "
            f"{self.need_years} expected (seniority match {round(100 * self.seniority)}%)"
        )


def score_parts(jd: ExtractedJD, cv: MasterCV) -> ScoreParts:
    """The skills and seniority parts of the fit score of ``cv`` for ``jd``."""
    cv_skills = cv_skill_set(cv)
    posting_skills = list(dict.fromkeys(jd.technical_skills))
    seniority, have_years, need_years = _seniority(jd, cv)
    return ScoreParts(
        posting_skills=len(posting_skills),
        have_skills=sum(1 for s in posting_skills if s.lower() in cv_skills),
        seniority=seniority,
        have_years=have_years,
        need_years=need_years,
    )


def assess_fit(jd: ExtractedJD, pains: PainPoints, cv: MasterCV) -> FitAssessment:
    """How well ``cv`` fits ``jd``: evidence per requirement, keyword coverage and score."""
    units = evidence_units(cv)
    reqs = _requirements(jd, pains)
    matrix = tuple(_evidence(r, units, cv) for r in reqs)

    total_w = sum(r.weight for r in reqs)
    credit = sum(
        r.weight * min(1.0, (row.evidence[0].score if row.evidence else 0.0) / MET)
        for r, row in zip(reqs, matrix, strict=True)
    )
    req_cov = credit / total_w if total_w else 0.0

    keywords = list(dict.fromkeys([*jd.top_keywords, *jd.technical_skills]))
    cv_terms = term_union([cv_text(cv)])
    cv_skills = cv_skill_set(cv)
    matched = tuple(k for k in keywords if _keyword_present(k, cv_skills, cv_terms))
    missing = tuple(k for k in keywords if k not in matched)
    kw_pct = round(100.0 * len(matched) / len(keywords), 1) if keywords else 0.0

    parts = score_parts(jd, cv)
    score = parts.score(req_cov)
    counts = {s: sum(1 for row in matrix if row.status == s) for s in ("met", "partial", "gap")}
    rationale = (
        f"Fit {score}/100: {counts['met']} of {len(matrix)} requirements met, "
        f"{counts['partial']} partial, {counts['gap']} gaps "
        f"({parts.explain(req_cov)}). "
        f"Keyword coverage {kw_pct:g}% is reported separately and not part of the score."
    )
    return FitAssessment(
        matrix=matrix,
        keyword_coverage_pct=kw_pct,
        matched_keywords=matched,
        missing_keywords=missing,
        score=score,
        rationale=rationale,
    )
