"""ingest: the stored posting, cleaned of scraping debris, as the root of every job."""

from __future__ import annotations

from jobintel.analysis.text import clean_text
from jobintel.models import Posting
from jobintel.pipeline.stage import StageContext, StageSpec


def deterministic(ctx: StageContext) -> Posting:
    posting = ctx.posting
    return posting.model_copy(
        update={
            "title": " ".join(posting.title.split()),
            "company": " ".join(posting.company.split()),
            "location": " ".join(posting.location.split()),
            "description": clean_text(posting.description),
            "criteria": " ".join(posting.criteria.split()),
        }
    )


STAGE = StageSpec(
    name="ingest",
    needs=(),
    output=Posting,
    deterministic=deterministic,
    description="Normalise the posting: title, company, location, cleaned description",
)
