"""One module per stage; ``PIPELINE`` is the DAG every run executes."""

from jobintel.pipeline.dag import StageGraph
from jobintel.pipeline.stages import (
    company,
    cover_letter,
    cv,
    extract,
    fit,
    ingest,
    pain_points,
    people,
    publish,
    role,
)

PIPELINE = StageGraph(
    [
        ingest.STAGE,
        extract.STAGE,
        pain_points.STAGE,
        company.STAGE,
        role.STAGE,
        fit.STAGE,
        people.STAGE,
        cv.STAGE,
        cover_letter.STAGE,
        publish.STAGE,
    ]
)

__all__ = ["PIPELINE"]
