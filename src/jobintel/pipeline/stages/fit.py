"""fit: requirement-by-requirement evidence from the master CV, coverage and score."""

from __future__ import annotations

from jobintel.analysis.fit import assess_fit
from jobintel.models import ExtractedJD, FitAssessment, PainPoints
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> FitAssessment:
    return assess_fit(
        ctx.result("extract", ExtractedJD), ctx.result("pain_points", PainPoints), ctx.cv
    )


STAGE = StageSpec(
    name="fit",
    needs=("extract", "pain_points"),
    output=FitAssessment,
    deterministic=deterministic,
    description="Evidence matrix, keyword coverage, fit score with rationale",
)
