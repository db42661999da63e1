"""fit's LLM strategy: statuses from the model, evidence from the CV, the score from code."""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path
from typing import Any

import pytest

from jobintel.analysis.fit import assess_fit, score_parts
from jobintel.analysis.matching import evidence_units
from jobintel.inputs import load_cv
from jobintel.models import ExtractedJD, FitAssessment, PainPoints
from jobintel.pipeline.stage import StageContext
from jobintel.pipeline.stages.fit import (
    CREDIT,
    MAX_EVIDENCE,
    MAX_REQUIREMENTS,
    FitLLM,
    RequirementJudgment,
    merge,
    prompt_data,
    relevant_evidence,
    requirements,
)
from jobintel.settings import Settings
from tests.conftest import SAMPLES
from tests.llm_stages.support import (
    acme_context,
    data_of,
    run_llm,
    sample_context,
    sample_postings,
)


def _judge(i: int, status: str, *ids: str) -> dict[str, Any]:
    return {"i": i, "status": status, "bullet_ids": list(ids)}


async def _fit(ctx: StageContext, judgments: list[dict[str, Any]]) -> FitAssessment:
    fit, _ = await run_llm("fit", ctx, [{"requirements": judgments, "rationale": "Solid."}])
    assert isinstance(fit, FitAssessment)
    return fit


def _inputs(ctx: StageContext) -> tuple[ExtractedJD, PainPoints]:
    return ctx.result("extract", ExtractedJD), ctx.result("pain_points", PainPoints)


async def test_only_shown_evidence_backs_a_status(settings: Settings, tmp_path: Path) -> None:
    """Unknown or unshown ids are dropped, and met/partial without evidence becomes a gap."""
    ctx = acme_context("fit", settings, tmp_path)
    shown = {u.id for u in relevant_evidence(requirements(*_inputs(ctx)), ctx.cv)}
    assert {"skills.4", "r1.b1", "r1.b3"} <= shown and "r0.b0" not in shown
    fit = await _fit(
        ctx,
        [
            _judge(0, "met", "skills.4", "r99.b9"),
            _judge(1, "met", "r0.b0"),  # a real CV bullet, but not one the model was shown
            _judge(2, "partial"),
            _judge(3, "partial", "r1.b1"),
            _judge(4, "met", "r1.b3", "r1.b3"),
            _judge(5, "gap", "r1.b0"),
            _judge(99, "met", "skills.4"),
        ],
    )
    statuses = [row.status for row in fit.matrix[:6]]
    assert statuses == ["met", "gap", "gap", "partial", "met", "gap"]
    assert [[e.bullet_id for e in row.evidence] for row in fit.matrix[:6]] == [
        ["skills.4"],
        [],
        [],
        ["r1.b1"],
        ["r1.b3"],
        [],
    ]
    cv_text = {u.id: u.text for u in evidence_units(ctx.cv)}
    assert all(e.text == cv_text[e.bullet_id] for row in fit.matrix for e in row.evidence)


async def test_unjudged_requirements_keep_the_rules_evidence(
    settings: Settings, tmp_path: Path
) -> None:
    """A requirement the model skipped keeps the deterministic matrix's row for it."""
    ctx = acme_context("fit", settings, tmp_path)
    fit = await _fit(ctx, [_judge(0, "met", "skills.4")])
    rules = {(row.requirement, row.kind): row for row in assess_fit(*_inputs(ctx), ctx.cv).matrix}
    for row in fit.matrix[1:]:
        assert row == rules[(row.requirement, row.kind)]
    assert "did not judge" in fit.rationale


async def test_score_is_computed_from_the_statuses(settings: Settings, tmp_path: Path) -> None:
    """The model's statuses give the weighted requirement coverage (met 1, partial 0.7, gap
    0.15); the score is the rules' formula on it, with the CV's skills and seniority."""
    ctx = acme_context("fit", settings, tmp_path)
    jd, pains = _inputs(ctx)
    reqs = requirements(jd, pains)
    parts = score_parts(jd, ctx.cv)
    everything = await _fit(ctx, [_judge(i, "met", "skills.4") for i in range(len(reqs))])
    nothing = await _fit(ctx, [_judge(i, "gap") for i in range(len(reqs))])
    assert (everything.score, nothing.score) == (parts.score(1.0), parts.score(CREDIT["gap"]))
    assert everything.score == 100 > nothing.score  # 80% of the evidence is already a full fit
    mixed = await _fit(
        ctx, [_judge(i, ("met", "partial", "gap")[i % 3], "skills.4") for i in range(len(reqs))]
    )
    earned = sum(r.weight * CREDIT[row.status] for r, row in zip(reqs, mixed.matrix, strict=True))
    coverage = earned / sum(r.weight for r in reqs)
    assert nothing.score < mixed.score == parts.score(coverage) < everything.score
    assert mixed.rationale.startswith(f"Fit {mixed.score}/100")
    assert parts.explain(coverage) in mixed.rationale


@pytest.mark.parametrize("cv_name", ["master-cv.md", "master-cv-frontend.md"])
def test_a_model_that_agrees_with_the_rules_scores_on_their_scale(
    settings: Settings, tmp_path: Path, cv_name: str
) -> None:
    """Judging every requirement as the rules did gives the rules' score on average, for a
    good-fit and a poor-fit CV: one scale for both strategies, so a degraded job ranks fairly."""
    cv = load_cv(SAMPLES / cv_name)
    differences = []
    for index in range(len(sample_postings())):
        ctx = dataclasses.replace(sample_context(index, "fit", settings, tmp_path), cv=cv)
        jd, pains = _inputs(ctx)
        rules = assess_fit(jd, pains, cv)
        reqs = requirements(jd, pains)
        if not reqs:
            continue
        evidence = relevant_evidence(reqs, cv)
        shown = {u.id for u in evidence}
        by_text = {(row.requirement, row.kind): row for row in rules.matrix}
        judgments = []
        for i, req in enumerate(reqs):
            row = by_text[(req.text, req.kind)]
            ids = [e.bullet_id for e in row.evidence if e.bullet_id in shown]
            judgments.append(RequirementJudgment(i=i, status=row.status, bullet_ids=ids))
        answer = FitLLM(requirements=judgments, rationale="Agrees with the rules.")
        differences.append(merge(jd, pains, cv, reqs, evidence, answer).score - rules.score)
    assert len(differences) >= 50
    # Measured (bench/fit_scale.py): mean -3 and +6, mean absolute 6 for each CV. Scoring
    # the statuses alone (met 1, partial 0.5, gap 0) gave means of -39 and -19.
    assert abs(statistics.mean(differences)) <= 7
    assert statistics.mean(abs(d) for d in differences) <= 8


async def test_keyword_coverage_is_the_rules_and_apart_from_the_score(
    settings: Settings, tmp_path: Path
) -> None:
    """Keyword coverage and matched/missing keywords are the rules' whatever the model says."""
    ctx = acme_context("fit", settings, tmp_path)
    fit = await _fit(ctx, [_judge(0, "gap")])
    rules = assess_fit(*_inputs(ctx), ctx.cv)
    assert fit.keyword_coverage_pct == rules.keyword_coverage_pct
    assert (fit.matched_keywords, fit.missing_keywords) == (
        rules.matched_keywords,
        rules.missing_keywords,
    )
    assert f"Keyword coverage {rules.keyword_coverage_pct:g}%" in fit.rationale


async def test_data_is_bounded_and_names_real_evidence(settings: Settings, tmp_path: Path) -> None:
    """The model sees at most MAX_REQUIREMENTS numbered requirements and MAX_EVIDENCE CV items."""
    ctx = sample_context(0, "fit", settings, tmp_path)
    reqs = requirements(*_inputs(ctx))
    evidence = relevant_evidence(reqs, ctx.cv)
    _, chat = await run_llm("fit", ctx, [{"requirements": [], "rationale": "-"}])
    data = data_of(chat.requests[0])
    assert data == prompt_data(reqs, evidence)
    assert list(data["requirements"]) == [str(i) for i in range(len(reqs))]
    assert 0 < len(reqs) <= MAX_REQUIREMENTS and 0 < len(evidence) <= MAX_EVIDENCE
    assert {e["id"] for e in data["evidence"]} <= {u.id for u in evidence_units(ctx.cv)}
