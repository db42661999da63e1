"""fit's LLM strategy: statuses from the model, evidence from the CV, the score from code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobintel.analysis.fit import assess_fit
from jobintel.analysis.matching import evidence_units
from jobintel.models import ExtractedJD, FitAssessment, PainPoints
from jobintel.pipeline.stage import StageContext
from jobintel.pipeline.stages.fit import (
    CREDIT,
    MAX_EVIDENCE,
    MAX_REQUIREMENTS,
    prompt_data,
    relevant_evidence,
    requirements,
)
from jobintel.settings import Settings
from tests.llm_stages.support import acme_context, data_of, run_llm, sample_context


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
    """The score is the kind-weighted share of met (1) and partial (0.5) requirements."""
    ctx = acme_context("fit", settings, tmp_path)
    reqs = requirements(*_inputs(ctx))
    everything = await _fit(ctx, [_judge(i, "met", "skills.4") for i in range(len(reqs))])
    nothing = await _fit(ctx, [_judge(i, "gap") for i in range(len(reqs))])
    assert (everything.score, nothing.score) == (100, 0)
    mixed = await _fit(
        ctx, [_judge(i, ("met", "partial", "gap")[i % 3], "skills.4") for i in range(len(reqs))]
    )
    earned = sum(r.weight * CREDIT[row.status] for r, row in zip(reqs, mixed.matrix, strict=True))
    assert mixed.score == round(100 * earned / sum(r.weight for r in reqs))
    assert mixed.rationale.startswith(f"Fit {mixed.score}/100")


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
