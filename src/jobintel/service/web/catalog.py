"""What the Jobs page lists: postings with their latest run status and fit score, and CVs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jobintel.service import queries
from jobintel.store.tables import JobRow, StageResultRow

#: Checkpoint statuses whose output is usable.
_USABLE = ("succeeded", "degraded")


@dataclass(frozen=True, kw_only=True)
class PostingLine:
    """One posting as the Jobs table shows it."""

    id: int
    title: str
    company: str
    location: str
    source: str
    created_at: datetime
    #: The newest job made from this posting: its run, its id and its status.
    run_id: str | None = None
    job_id: int | None = None
    status: str | None = None
    #: The fit score of the newest job that got one, with where to read it.
    fit_score: int | None = None
    fit_run_id: str | None = None
    fit_job_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CandidateLine:
    id: int
    name: str
    version: int
    source: str
    created_at: datetime


def posting_lines(engine: Engine, *, limit: int = 200) -> tuple[list[PostingLine], int]:
    """The newest ``limit`` postings with their latest status and fit, and the total count."""
    rows, total = queries.posting_page(engine, limit=limit, offset=0)
    ids = [row.id for row in rows]
    latest = _latest_jobs(engine, ids)
    fits = _latest_fits(engine, ids)
    lines = []
    for row in rows:
        job = latest.get(row.id)
        fit = fits.get(row.id)
        lines.append(
            PostingLine(
                id=row.id,
                title=row.title,
                company=row.company,
                location=row.location,
                source=row.source,
                created_at=row.created_at,
                run_id=job[0] if job else None,
                job_id=job[1] if job else None,
                status=job[2] if job else None,
                fit_score=fit[2] if fit else None,
                fit_run_id=fit[0] if fit else None,
                fit_job_id=fit[1] if fit else None,
            )
        )
    return lines, total


def _latest_jobs(engine: Engine, posting_ids: Sequence[int]) -> dict[int, tuple[str, int, str]]:
    query = (
        select(JobRow.posting_id, JobRow.run_id, JobRow.id, JobRow.status)
        .where(JobRow.posting_id.in_(list(posting_ids)))
        .order_by(JobRow.id.desc())
    )
    found: dict[int, tuple[str, int, str]] = {}
    with Session(engine) as session:
        for posting_id, run_id, job_id, status in session.execute(query):
            found.setdefault(posting_id, (run_id, job_id, status))
    return found


def _latest_fits(engine: Engine, posting_ids: Sequence[int]) -> dict[int, tuple[str, int, int]]:
    query = (
        select(JobRow.posting_id, JobRow.run_id, JobRow.id, StageResultRow.output)
        .join(StageResultRow, StageResultRow.job_id == JobRow.id)
        .where(
            JobRow.posting_id.in_(list(posting_ids)),
            StageResultRow.stage == "fit",
            StageResultRow.status.in_(_USABLE),
        )
        .order_by(JobRow.id.desc())
    )
    found: dict[int, tuple[str, int, int]] = {}
    with Session(engine) as session:
        for posting_id, run_id, job_id, output in session.execute(query):
            score = (output or {}).get("score")
            if posting_id not in found and isinstance(score, int):
                found[posting_id] = (run_id, job_id, score)
    return found


def candidate_lines(engine: Engine) -> list[CandidateLine]:
    """Every master-CV version, newest first, numbered per candidate name."""
    numbered: dict[str, int] = {}
    lines = []
    for row in queries.candidate_rows(engine):
        numbered[row.name] = numbered.get(row.name, 0) + 1
        lines.append(
            CandidateLine(
                id=row.id,
                name=row.name,
                version=numbered[row.name],
                source=row.source,
                created_at=row.created_at,
            )
        )
    return sorted(lines, key=lambda line: line.id, reverse=True)
