"""pain_points: the employer's needs, ranked, each quoting the sentence it rests on."""

from __future__ import annotations

from jobintel.analysis.pain_points import find_pain_points
from jobintel.models import ExtractedJD, PainPoints
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> PainPoints:
    return find_pain_points(ctx.result("extract", ExtractedJD))


STAGE = StageSpec(
    name="pain_points",
    needs=("extract",),
    output=PainPoints,
    deterministic=deterministic,
    description="Pain points, strategic needs, risks if unfilled, success metrics",
)
