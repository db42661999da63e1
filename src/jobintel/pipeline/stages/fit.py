"""fit: requirement-by-requirement evidence from the master CV, coverage and score.

The LLM strategy shows the model the posting's key requirements by number and the
master-CV evidence most relevant to them by id, and asks for one status per requirement
with the ids that back it. Code does the rest: an id the model was not shown is dropped,
a "met" or "partial" left with no evidence becomes a gap, the evidence text is the CV's
own, and the 0–100 score is computed from the statuses. The model judges only the
weighted requirement coverage

    coverage = Σ weight × credit / Σ weight,  credit: met 1, partial 0.7, gap 0.15

with the kind weights of the deterministic matrix (qualification 3, responsibility 2,
skill 1.5; ×1.5 when a pain point quotes the requirement); the score is the deterministic
formula on that coverage (``jobintel.analysis.fit.ScoreParts``: with the posting's skills
in the CV and the seniority match, 80 % of the weighted evidence is a full fit). The
credits are near what the rules' graded evidence gives a row of each status on average
(a weak match still earns a gap some credit there), chosen so that a model judging as the
rules did scores as they do, for a good-fit and a poor-fit CV alike (``bench/fit_scale.py``
measures it on the shared samples). Both strategies thus score on one scale, and a job
whose fit stage degraded ranks fairly among jobs a model scored. Keyword coverage and the matched and missing
keywords are the deterministic ones, reported apart from the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from jobintel.analysis.fit import assess_fit, score_parts
from jobintel.analysis.matching import EvidenceUnit, best_matches, evidence_units
from jobintel.models import (
    EvidenceLink,
    ExtractedJD,
    FitAssessment,
    MasterCV,
    PainPoints,
    RequirementEvidence,
)
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages._llm_text import clip, first_sentences
from jobintel.prompts import load_prompt

MAX_REQUIREMENTS = 12
MAX_EVIDENCE = 10
MAX_LINKS = 3
#: Coverage credit per status, on the deterministic matrix's scale (see the module doc).
CREDIT = {"met": 1.0, "partial": 0.7, "gap": 0.15}
#: The strength a model-backed evidence link reports (the rules report their match score).
LINK_SCORE = {"met": 1.0, "partial": 0.5}
KIND_WEIGHT = {"qualification": 3.0, "responsibility": 2.0, "skill": 1.5, "nice_to_have": 1.0}
PAIN_BOOST = 1.5
_QUALIFICATIONS = 6
_RESPONSIBILITIES = 3
_SKILLS = 10  # the deterministic matrix judges the first ten skills too
_SHOWN_CHARS = 110
_EVIDENCE_CHARS = 150
_EVIDENCE_FLOOR = 0.1
_RATIONALE_CHARS = 300

RequirementKind = Literal["qualification", "responsibility", "nice_to_have", "skill"]


def deterministic(ctx: StageContext) -> FitAssessment:
    return assess_fit(
        ctx.result("extract", ExtractedJD), ctx.result("pain_points", PainPoints), ctx.cv
    )


class RequirementJudgment(BaseModel):
    i: int
    status: Literal["met", "partial", "gap"]
    bullet_ids: list[str]


class FitLLM(BaseModel):
    requirements: list[RequirementJudgment]
    rationale: str


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement the model judges, with its weight in the score."""

    text: str
    kind: RequirementKind
    weight: float


def requirements(jd: ExtractedJD, pains: PainPoints) -> list[Requirement]:
    """The requirements to judge: qualifications, top responsibilities, then key skills."""
    quoted = " ".join(p.quote for p in pains.items).lower()
    picked: list[tuple[RequirementKind, str]] = [
        *(("qualification", q) for q in jd.qualifications[:_QUALIFICATIONS]),
        *(("responsibility", r) for r in jd.responsibilities[:_RESPONSIBILITIES]),
    ]
    picked = [(kind, text) for kind, text in picked if text.strip()]
    named = " ".join(text for _, text in picked).lower()
    # A skill the chosen lines already name would be judged twice.
    skills = [s for s in jd.technical_skills[:_SKILLS] if s.lower() not in named]
    picked += [("skill", s) for s in skills[: MAX_REQUIREMENTS - len(picked)]]
    out: list[Requirement] = []
    for kind, text in picked[:MAX_REQUIREMENTS]:
        boost = PAIN_BOOST if kind != "skill" and text.lower() in quoted else 1.0
        out.append(Requirement(text, kind, KIND_WEIGHT[kind] * boost))
    return out


def relevant_evidence(reqs: list[Requirement], cv: MasterCV) -> list[EvidenceUnit]:
    """The CV's evidence most relevant to ``reqs`` (at most ``MAX_EVIDENCE``), in CV order."""
    units = evidence_units(cv)
    best: dict[str, float] = {}
    for req in reqs:
        for match in best_matches(req.text, units, limit=MAX_LINKS, floor=_EVIDENCE_FLOOR):
            best[match.unit.id] = max(best.get(match.unit.id, 0.0), match.score)
    # sorted() is stable: equally relevant units keep CV order.
    chosen = set(sorted(best, key=lambda uid: -best[uid])[:MAX_EVIDENCE])
    return [u for u in units if u.id in chosen]


def prompt_data(reqs: list[Requirement], evidence: list[EvidenceUnit]) -> dict[str, Any]:
    """The data the fit prompt works on: numbered requirements and CV evidence by id."""
    return {
        "requirements": {str(i): clip(r.text, _SHOWN_CHARS) for i, r in enumerate(reqs)},
        "evidence": [{"id": u.id, "text": clip(u.text, _EVIDENCE_CHARS)} for u in evidence],
    }


def _row(
    req: Requirement, judgment: RequirementJudgment, shown: dict[str, EvidenceUnit]
) -> RequirementEvidence:
    ids = list(dict.fromkeys(i for i in judgment.bullet_ids if i in shown))[:MAX_LINKS]
    # A status the model cannot back with evidence it was shown is a gap.
    status = judgment.status if ids else "gap"
    links = (
        tuple(EvidenceLink(bullet_id=i, text=shown[i].text, score=LINK_SCORE[status]) for i in ids)
        if status != "gap"
        else ()
    )
    return RequirementEvidence(requirement=req.text, kind=req.kind, evidence=links, status=status)


def merge(
    jd: ExtractedJD,
    pains: PainPoints,
    cv: MasterCV,
    reqs: list[Requirement],
    evidence: list[EvidenceUnit],
    answer: FitLLM,
) -> FitAssessment:
    """The evidence matrix from the model's judgments; score and keywords from code."""
    base = assess_fit(jd, pains, cv)
    shown = {u.id: u for u in evidence}
    judged: dict[int, RequirementJudgment] = {}
    for judgment in answer.requirements:
        if 0 <= judgment.i < len(reqs):
            judged.setdefault(judgment.i, judgment)
    # A requirement the model skipped keeps the keyword matcher's evidence.
    fallback = {(row.requirement, row.kind): row for row in base.matrix}
    rows: list[RequirementEvidence] = []
    for i, req in enumerate(reqs):
        if i in judged:
            rows.append(_row(req, judged[i], shown))
        else:
            gap = RequirementEvidence(requirement=req.text, kind=req.kind, status="gap")
            rows.append(fallback.get((req.text, req.kind), gap))
    coverage = requirement_coverage(reqs, rows)
    parts = score_parts(jd, cv)
    score = parts.score(coverage)
    return FitAssessment(
        matrix=tuple(rows),
        keyword_coverage_pct=base.keyword_coverage_pct,
        matched_keywords=base.matched_keywords,
        missing_keywords=base.missing_keywords,
        score=score,
        rationale=_rationale(
            score,
            rows,
            len(reqs) - len(judged),
            answer.rationale,
            base,
            parts.explain(coverage),
        ),
    )


def requirement_coverage(reqs: list[Requirement], rows: list[RequirementEvidence]) -> float:
    """The weighted share (0–1) of ``reqs`` that ``rows`` (one status each) cover."""
    total = sum(r.weight for r in reqs)
    earned = sum(r.weight * CREDIT[row.status] for r, row in zip(reqs, rows, strict=True))
    return earned / total if total else 0.0


def _rationale(
    score: int,
    rows: list[RequirementEvidence],
    skipped: int,
    note: str,
    base: FitAssessment,
    scored: str,
) -> str:
    """How the score was reached, the model's one sentence, and the separate keyword number."""
    counts = {s: sum(1 for row in rows if row.status == s) for s in CREDIT}
    parts = [
        f"Fit {score}/100: {counts['met']} of {len(rows)} key requirements met, "
        f"{counts['partial']} partial, {counts['gap']} gaps, judged against CV evidence "
        "(met counts 1, partial 0.7, a gap 0.15 as in the rules' graded evidence, weighted "
        f"by requirement kind; {scored})."
    ]
    if skipped:
        parts.append(
            f"{skipped} requirement(s) the model did not judge keep the keyword matcher's evidence."
        )
    parts.append(first_sentences(note, 1, _RATIONALE_CHARS))
    parts.append(
        f"Keyword coverage {base.keyword_coverage_pct:g}% is reported separately and not part "
        "of the score."
    )
    return " ".join(p for p in parts if p)


async def llm(ctx: StageContext) -> FitAssessment:
    """The evidence matrix as a model judges it; the score computed from its statuses."""
    jd = ctx.result("extract", ExtractedJD)
    pains = ctx.result("pain_points", PainPoints)
    reqs = requirements(jd, pains)
    if not reqs:
        # Nothing to judge: the rules give the same empty matrix without a call.
        return assess_fit(jd, pains, ctx.cv)
    evidence = relevant_evidence(reqs, ctx.cv)
    answer = await ctx.require_llm().structured(
        load_prompt("fit"), prompt_data(reqs, evidence), FitLLM, requirement_count=len(reqs)
    )
    return merge(jd, pains, ctx.cv, reqs, evidence, answer)


STAGE = StageSpec(
    name="fit",
    needs=("extract", "pain_points"),
    output=FitAssessment,
    deterministic=deterministic,
    llm=llm,
    description="Evidence matrix, keyword coverage, fit score with rationale",
)
