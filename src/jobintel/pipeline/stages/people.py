"""people: who to contact (role-based when offline) and outreach drafts."""

from __future__ import annotations

from jobintel.analysis.outreach import draft_outreach
from jobintel.models import CompanyResearch, ExtractedJD, PeopleResult, Posting
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> PeopleResult:
    return draft_outreach(
        ctx.result("ingest", Posting),
        ctx.result("extract", ExtractedJD),
        ctx.result("company", CompanyResearch),
        ctx.cv,
    )


STAGE = StageSpec(
    name="people",
    # extract is cheap and gives the drafts the role's vocabulary; company is the real need.
    needs=("company", "extract"),
    output=PeopleResult,
    deterministic=deterministic,
    description="Contacts and LinkedIn / InMail / email drafts",
)
