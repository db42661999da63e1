"""The dossier page: everything one job of a run produced, with its downloads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from jobintel.errors import RunNotFound
from jobintel.models import (
    CompanyResearch,
    CoverLetter,
    ExtractedJD,
    FitAssessment,
    MasterCV,
    PainPoint,
    PainPoints,
    PeopleResult,
    Posting,
    RoleResearch,
    TailoredCV,
)
from jobintel.pipeline import PIPELINE
from jobintel.render.view import (
    PAIN_KIND_LABELS,
    best_evidence_score,
    label,
    ranked_pain_points,
    source_text,
    status_counts,
)
from jobintel.service.api.deps import Reader, StoreDep
from jobintel.service.web.downloads import Download, job_downloads
from jobintel.service.web.rendering import not_found, page
from jobintel.store import JobInfo, RunInfo, StageRecord, Store

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, kw_only=True)
class Traced:
    """One line of generated text and the master-CV text it was checked against."""

    line: str
    source_id: str
    source: str


@dataclass(frozen=True, kw_only=True)
class Dossier:
    run: RunInfo
    job: JobInfo
    posting: Posting
    master_cv: MasterCV
    stages: dict[str, StageRecord]
    jd: ExtractedJD | None
    pain_points: list[PainPoint]
    company: CompanyResearch | None
    role: RoleResearch | None
    fit: FitAssessment | None
    fit_counts: dict[str, int]
    people: PeopleResult | None
    cv: TailoredCV | None
    cv_trace: list[Traced]
    letter: CoverLetter | None
    letter_trace: list[Traced]
    downloads: list[Download]


def _output(records: dict[str, StageRecord], stage: str, model: type[M]) -> M | None:
    """A stage's output, or None when it did not complete (failed, skipped, not yet run)."""
    record = records.get(stage)
    if record is None or record.output is None or record.status not in ("succeeded", "degraded"):
        return None
    try:
        return model.model_validate(record.output)
    except ValidationError:
        return None


def _trace(mapping: dict[str, str], cv: MasterCV) -> list[Traced]:
    return [
        Traced(line=line, source_id=unit, source=source_text(cv, unit))
        for line, unit in mapping.items()
    ]


def load_dossier(store: Store, run_id: str, job_id: int) -> Dossier | None:
    """The dossier of ``job_id`` in ``run_id``, or None when the run has no such job."""
    try:
        run = store.run(run_id)
    except RunNotFound:
        return None
    job = next((j for j in store.jobs(run_id) if j.id == job_id), None)
    if job is None:
        return None
    records = store.stage_results(job.id)
    master_cv = store.candidate(run.candidate_id)
    points = _output(records, "pain_points", PainPoints)
    fit = _output(records, "fit", FitAssessment)
    cv = _output(records, "cv", TailoredCV)
    letter = _output(records, "cover_letter", CoverLetter)
    return Dossier(
        run=run,
        job=job,
        posting=store.posting(job.posting_id),
        master_cv=master_cv,
        stages={name: records[name] for name in PIPELINE.names if name in records},
        jd=_output(records, "extract", ExtractedJD),
        pain_points=ranked_pain_points(points) if points else [],
        company=_output(records, "company", CompanyResearch),
        role=_output(records, "role", RoleResearch),
        fit=fit,
        fit_counts=status_counts(fit) if fit else {},
        people=_output(records, "people", PeopleResult),
        cv=cv,
        cv_trace=_trace(cv.faithfulness.mapping, master_cv) if cv else [],
        letter=letter,
        letter_trace=_trace(letter.faithfulness.mapping, master_cv) if letter else [],
        downloads=job_downloads(store, run_id, job.id),
    )


@router.get("/runs/{run_id}/jobs/{job_id}", response_class=HTMLResponse)
async def dossier(
    request: Request, run_id: str, job_id: int, principal: Reader, store: StoreDep
) -> HTMLResponse:
    found = await asyncio.to_thread(load_dossier, store, run_id, job_id)
    if found is None:
        return not_found(request, principal, f"Run {run_id} has no job {job_id}.")
    extra: dict[str, Any] = {
        "label": label,
        "pain_labels": PAIN_KIND_LABELS,
        "best_score": best_evidence_score,
    }
    title = f"{found.posting.title or 'Untitled role'} — {found.posting.company or 'unknown'}"
    return page(request, "dossier.html", principal, title=title, d=found, **extra)
