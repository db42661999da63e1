"""cv: the master CV tailored to this posting, behind the faithfulness gate."""

from __future__ import annotations

from jobintel.analysis.tailoring import tailor_cv
from jobintel.models import ExtractedJD, FitAssessment, PainPoints, TailoredCV
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> TailoredCV:
    return tailor_cv(
        ctx.result("extract", ExtractedJD),
        ctx.result("fit", FitAssessment),
        ctx.result("pain_points", PainPoints),
        ctx.cv,
    )


STAGE = StageSpec(
    name="cv",
    needs=("fit", "pain_points"),
    output=TailoredCV,
    deterministic=deterministic,
    description="Tailored CV whose every bullet traces to the master CV",
)
