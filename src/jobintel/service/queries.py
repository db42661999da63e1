"""Reads and writes the service needs that the pipeline's ``Store`` does not offer.

Listing and deleting postings, candidate versions, artifacts by id and adding a planned
run's jobs. Each is one short transaction; async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobintel.store.tables import ArtifactRow, CandidateRow, JobRow, PostingRow, RunRow


def _session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


# --- postings ----------------------------------------------------------------------------


def posting_page(engine: Engine, *, limit: int, offset: int) -> tuple[list[PostingRow], int]:
    """Postings newest first, and how many there are in all."""
    with _session(engine) as session:
        total = session.scalar(select(func.count()).select_from(PostingRow)) or 0
        rows = session.scalars(
            select(PostingRow).order_by(PostingRow.id.desc()).limit(limit).offset(offset)
        )
        return list(rows), total


def postings_by_id(engine: Engine, ids: Sequence[int]) -> dict[int, PostingRow]:
    with _session(engine) as session:
        rows = session.scalars(select(PostingRow).where(PostingRow.id.in_(list(ids))))
        return {row.id: row for row in rows}


def stored_dedupe_keys(engine: Engine, keys: Sequence[str]) -> set[str]:
    with _session(engine) as session:
        query = select(PostingRow.dedupe_key).where(PostingRow.dedupe_key.in_(list(keys)))
        return set(session.scalars(query))


def all_posting_ids(engine: Engine) -> list[int]:
    with _session(engine) as session:
        return list(session.scalars(select(PostingRow.id).order_by(PostingRow.id)))


def _runs_using(session: Session, posting_id: int) -> list[str]:
    """Runs with a job for the posting, and submitted runs whose jobs are not planned yet."""
    planned = select(RunRow.id).join(JobRow, JobRow.run_id == RunRow.id)
    used = set(session.scalars(planned.where(JobRow.posting_id == posting_id)))
    unplanned = session.execute(
        select(RunRow.id, RunRow.options).where(
            RunRow.status.in_(("pending", "queued")),
            ~select(JobRow.id).where(JobRow.run_id == RunRow.id).exists(),
        )
    )
    for run_id, options in unplanned:
        wanted = (options or {}).get("posting_ids")
        if isinstance(wanted, list) and posting_id in wanted:
            used.add(run_id)
    return sorted(used)


def runs_using_posting(engine: Engine, posting_id: int) -> list[str]:
    """Ids of the runs that use (or are about to use) this posting."""
    with _session(engine) as session:
        return _runs_using(session, posting_id)


def delete_unused_posting(engine: Engine, posting_id: int) -> list[str]:
    """Delete the posting unless a run uses it; returns those runs (empty: deleted)."""
    try:
        with _session(engine) as session, session.begin():
            used = _runs_using(session, posting_id)
            if not used:
                session.execute(delete(PostingRow).where(PostingRow.id == posting_id))
            return used
    except IntegrityError:
        # A run's jobs were planned between the check and the delete.
        return runs_using_posting(engine, posting_id)


# --- candidates --------------------------------------------------------------------------


def candidate_rows(engine: Engine, *, name: str | None = None) -> list[CandidateRow]:
    """Candidate CV versions ordered by name, then upload order."""
    query = select(CandidateRow).order_by(CandidateRow.name, CandidateRow.id)
    if name is not None:
        query = query.where(CandidateRow.name == name)
    with _session(engine) as session:
        return list(session.scalars(query))


def candidate_row(engine: Engine, candidate_id: int) -> CandidateRow | None:
    with _session(engine) as session:
        return session.get(CandidateRow, candidate_id)


# --- artifacts ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StoredArtifact:
    id: int
    run_id: str
    run_out_dir: str
    job_id: int
    job_output_dir: str | None
    kind: str
    path: str
    sha256: str
    bytes: int


def _stored(row: ArtifactRow, run_id: str, job_dir: str | None, run_dir: str) -> StoredArtifact:
    return StoredArtifact(
        id=row.id,
        run_id=run_id,
        run_out_dir=run_dir,
        job_id=row.job_id,
        job_output_dir=job_dir,
        kind=row.kind,
        path=row.path,
        sha256=row.sha256,
        bytes=row.bytes,
    )


def run_artifacts(engine: Engine, run_id: str) -> list[StoredArtifact]:
    query = (
        select(ArtifactRow, JobRow.run_id, JobRow.output_dir, RunRow.out_dir)
        .join(JobRow, JobRow.id == ArtifactRow.job_id)
        .join(RunRow, RunRow.id == JobRow.run_id)
        .where(JobRow.run_id == run_id)
        .order_by(JobRow.position, ArtifactRow.kind)
    )
    with _session(engine) as session:
        return [_stored(*row) for row in session.execute(query).all()]


def artifact(engine: Engine, artifact_id: int) -> StoredArtifact | None:
    query = (
        select(ArtifactRow, JobRow.run_id, JobRow.output_dir, RunRow.out_dir)
        .join(JobRow, JobRow.id == ArtifactRow.job_id)
        .join(RunRow, RunRow.id == JobRow.run_id)
        .where(ArtifactRow.id == artifact_id)
    )
    with _session(engine) as session:
        found = session.execute(query).first()
        return _stored(*found) if found is not None else None


# --- planning ----------------------------------------------------------------------------


def job_count(engine: Engine, run_id: str) -> int:
    with _session(engine) as session:
        return session.scalar(select(func.count()).where(JobRow.run_id == run_id)) or 0


def add_jobs(engine: Engine, run_id: str, jobs: Sequence[tuple[int, str]]) -> bool:
    """Add a planned run's jobs, one per ``(posting_id, output_dir)``, in one transaction.

    False when the run already had jobs: another planner (a resume racing a planning
    thread that outlived its cancelled task) got there first, and its plan stands.
    """
    try:
        with _session(engine) as session, session.begin():
            if session.scalar(select(func.count()).where(JobRow.run_id == run_id)):
                return False
            for position, (posting_id, output_dir) in enumerate(jobs):
                session.add(
                    JobRow(
                        run_id=run_id,
                        posting_id=posting_id,
                        position=position,
                        status="pending",
                        output_dir=output_dir,
                    )
                )
    except IntegrityError:
        if job_count(engine, run_id):
            return False
        raise
    return True
