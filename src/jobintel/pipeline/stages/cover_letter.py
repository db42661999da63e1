"""cover_letter: a letter built from the strongest evidence, same faithfulness rule."""

from __future__ import annotations

from jobintel.analysis.cover_letter import compose_cover_letter
from jobintel.models import CompanyResearch, CoverLetter, ExtractedJD, FitAssessment, PainPoints
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> CoverLetter:
    return compose_cover_letter(
        ctx.result("extract", ExtractedJD),
        ctx.result("fit", FitAssessment),
        ctx.result("pain_points", PainPoints),
        ctx.result("company", CompanyResearch),
        ctx.cv,
    )


STAGE = StageSpec(
    name="cover_letter",
    needs=("fit", "pain_points", "company"),
    output=CoverLetter,
    deterministic=deterministic,
    description="Cover letter under the faithfulness gate",
)
