"""role: what the role is for, its business impact and why it is open now."""

from __future__ import annotations

from jobintel.analysis.research import offline_role_research
from jobintel.models import CompanyResearch, ExtractedJD, Posting, RoleResearch
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> RoleResearch:
    return offline_role_research(
        ctx.result("ingest", Posting),
        ctx.result("extract", ExtractedJD),
        ctx.result("company", CompanyResearch),
    )


STAGE = StageSpec(
    name="role",
    needs=("extract", "company"),
    output=RoleResearch,
    deterministic=deterministic,
    description="Role summary, business impact, why now",
)
