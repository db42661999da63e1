"""extract: a structured job description from the posting text."""

from __future__ import annotations

from jobintel.analysis.extraction import extract_jd
from jobintel.models import ExtractedJD, Posting
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> ExtractedJD:
    return extract_jd(ctx.result("ingest", Posting))


STAGE = StageSpec(
    name="extract",
    needs=("ingest",),
    output=ExtractedJD,
    deterministic=deterministic,
    description="Sections, skills, seniority, remote policy, years, education, role category",
)
