"""company: what is known about the employer (offline: what the posting says)."""

from __future__ import annotations

from jobintel.analysis.research import offline_company_research
from jobintel.models import CompanyResearch, Posting
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> CompanyResearch:
    return offline_company_research(ctx.result("ingest", Posting))


STAGE = StageSpec(
    name="company",
    needs=("ingest",),
    output=CompanyResearch,
    deterministic=deterministic,
    description="Company summary and signals",
)
