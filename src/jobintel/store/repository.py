"""The store: every read and write the pipeline and the CLI make, one short transaction each."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jobintel.errors import RunNotFound
from jobintel.models import ArtifactRef, MasterCV, Posting
from jobintel.store.database import create_db_engine, upgrade_to_head
from jobintel.store.tables import (
    ArtifactRow,
    CandidateRow,
    JobRow,
    PostingRow,
    ProgressEventRow,
    RunRow,
    StageResultRow,
    utcnow,
)


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    id: str
    status: str
    candidate_id: int
    out_dir: str
    options: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    jobs: int


@dataclass(frozen=True, kw_only=True)
class JobInfo:
    id: int
    run_id: str
    posting_id: int
    position: int
    status: str
    output_dir: str | None
    title: str
    company: str


@dataclass(frozen=True, kw_only=True)
class StageRecord:
    job_id: int
    stage: str
    status: str
    strategy: str
    output: dict[str, Any] | None
    reason: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime
    duration_ms: float
    attempts: int


@dataclass(frozen=True, kw_only=True)
class EventRecord:
    id: int
    run_id: str
    job_id: int | None
    stage: str | None
    kind: str
    duration_ms: float | None
    message: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class ArtifactRecord:
    job_id: int
    kind: str
    path: str
    sha256: str
    bytes: int


class Store:
    """Postings, candidates, runs, checkpoints, artifacts and progress events."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` and bring its schema up to date."""
        engine = create_db_engine(url)
        if migrate:
            upgrade_to_head(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return self._sessions()

    # --- postings and candidates ---------------------------------------------------------

    def upsert_posting(self, posting: Posting) -> int:
        """The id of the stored posting with this dedupe key, inserting it if new."""
        with self._session() as session, session.begin():
            existing = session.scalar(
                select(PostingRow.id).where(PostingRow.dedupe_key == posting.dedupe_key)
            )
            if existing is not None:
                return existing
            row = PostingRow(
                dedupe_key=posting.dedupe_key,
                source=posting.source,
                title=posting.title,
                company=posting.company,
                location=posting.location,
                url=posting.url,
                description=posting.description,
                criteria=posting.criteria,
                source_id=posting.source_id,
                posted_at=posting.posted_at,
            )
            session.add(row)
            session.flush()
            return row.id

    def posting(self, posting_id: int) -> Posting:
        with self._session() as session:
            row = session.get_one(PostingRow, posting_id)
            return Posting(
                source=row.source,
                title=row.title,
                company=row.company,
                location=row.location,
                url=row.url,
                description=row.description,
                criteria=row.criteria,
                source_id=row.source_id,
                posted_at=row.posted_at,
                dedupe_key=row.dedupe_key,
            )

    def upsert_candidate(self, cv: MasterCV) -> int:
        with self._session() as session, session.begin():
            existing = session.scalar(
                select(CandidateRow.id).where(CandidateRow.content_hash == cv.content_hash)
            )
            if existing is not None:
                return existing
            row = CandidateRow(
                name=cv.name,
                source=cv.source,
                content_hash=cv.content_hash,
                cv=cv.model_dump(mode="json"),
            )
            session.add(row)
            session.flush()
            return row.id

    def candidate(self, candidate_id: int) -> MasterCV:
        with self._session() as session:
            row = session.get_one(CandidateRow, candidate_id)
            return MasterCV.model_validate(row.cv)

    # --- runs and jobs -------------------------------------------------------------------

    def create_run(
        self,
        *,
        candidate_id: int,
        out_dir: str,
        jobs: Sequence[tuple[int, str]],
        options: dict[str, Any] | None = None,
    ) -> str:
        """A new pending run with one job per ``(posting_id, output_dir)``, in order."""
        run_id = secrets.token_hex(6)
        with self._session() as session, session.begin():
            session.add(
                RunRow(
                    id=run_id,
                    status="pending",
                    candidate_id=candidate_id,
                    out_dir=out_dir,
                    options=options or {},
                )
            )
            session.flush()
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
        return run_id

    def run(self, run_id: str) -> RunInfo:
        with self._session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise RunNotFound(run_id)
            count = session.scalar(select(func.count()).where(JobRow.run_id == run_id)) or 0
            return _run_info(row, count)

    def runs(self, *, limit: int = 50) -> list[RunInfo]:
        with self._session() as session:
            counts = dict(
                session.execute(select(JobRow.run_id, func.count()).group_by(JobRow.run_id)).all()
            )
            rows = session.scalars(
                select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id).limit(limit)
            )
            return [_run_info(row, counts.get(row.id, 0)) for row in rows]

    def set_run_status(
        self, run_id: str, status: str, *, options: dict[str, Any] | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status}
        now = utcnow()
        if status == "running":
            values["started_at"] = now
            values["finished_at"] = None
        elif status in {"succeeded", "failed", "partial", "cancelled"}:
            values["finished_at"] = now
        if options is not None:
            values["options"] = options
        with self._session() as session, session.begin():
            session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def jobs(self, run_id: str) -> list[JobInfo]:
        with self._session() as session:
            rows = session.execute(
                select(JobRow, PostingRow.title, PostingRow.company)
                .join(PostingRow, PostingRow.id == JobRow.posting_id)
                .where(JobRow.run_id == run_id)
                .order_by(JobRow.position)
            )
            return [
                JobInfo(
                    id=job.id,
                    run_id=job.run_id,
                    posting_id=job.posting_id,
                    position=job.position,
                    status=job.status,
                    output_dir=job.output_dir,
                    title=title,
                    company=company,
                )
                for job, title, company in rows
            ]

    def set_job_status(self, job_id: int, status: str) -> None:
        with self._session() as session, session.begin():
            session.execute(update(JobRow).where(JobRow.id == job_id).values(status=status))

    # --- checkpoints ---------------------------------------------------------------------

    def save_stage_result(
        self,
        *,
        job_id: int,
        stage: str,
        status: str,
        strategy: str,
        output: dict[str, Any] | None,
        started_at: datetime,
        finished_at: datetime,
        reason: str | None = None,
        error: str | None = None,
        artifacts: Iterable[ArtifactRef] = (),
        event: tuple[str, str, str] | None = None,
    ) -> EventRecord | None:
        """Commit one stage's result, its artifacts and its progress event in one transaction.

        ``event`` is ``(run_id, kind, message)``; the stored event is returned so the caller
        can hand it to live subscribers. Committing them together means a crash can never
        leave a checkpoint without its event, or an event without its checkpoint.
        """
        duration_ms = (finished_at - started_at).total_seconds() * 1000
        stored: EventRecord | None = None
        with self._session() as session, session.begin():
            previous = session.scalar(
                select(StageResultRow).where(
                    StageResultRow.job_id == job_id, StageResultRow.stage == stage
                )
            )
            attempts = 1
            if previous is not None:
                attempts = previous.attempts + 1
                session.delete(previous)
                session.flush()
            session.add(
                StageResultRow(
                    job_id=job_id,
                    stage=stage,
                    status=status,
                    strategy=strategy,
                    output=output,
                    reason=reason,
                    error=error,
                    started_at=started_at,
                    finished_at=finished_at,
                    duration_ms=duration_ms,
                    attempts=attempts,
                )
            )
            for ref in artifacts:
                session.execute(
                    delete(ArtifactRow).where(
                        ArtifactRow.job_id == job_id, ArtifactRow.kind == ref.kind
                    )
                )
                session.add(
                    ArtifactRow(
                        job_id=job_id,
                        kind=ref.kind,
                        path=ref.path,
                        sha256=ref.sha256,
                        bytes=ref.bytes,
                    )
                )
            if event is not None:
                run_id, kind, message = event
                stored = _add_event(
                    session,
                    run_id=run_id,
                    kind=kind,
                    job_id=job_id,
                    stage=stage,
                    duration_ms=duration_ms,
                    message=message,
                )
        return stored

    def stage_results(self, job_id: int) -> dict[str, StageRecord]:
        with self._session() as session:
            rows = session.scalars(select(StageResultRow).where(StageResultRow.job_id == job_id))
            return {row.stage: _stage_record(row) for row in rows}

    def run_stage_results(self, run_id: str) -> list[StageRecord]:
        with self._session() as session:
            rows = session.scalars(
                select(StageResultRow)
                .join(JobRow, JobRow.id == StageResultRow.job_id)
                .where(JobRow.run_id == run_id)
                .order_by(JobRow.position, StageResultRow.started_at)
            )
            return [_stage_record(row) for row in rows]

    def forget_stages(self, job_ids: Sequence[int], stages: Sequence[str]) -> int:
        """Drop checkpoints (and, for publish, artifacts) so those stages run again."""
        with self._session() as session, session.begin():
            result = session.execute(
                delete(StageResultRow).where(
                    StageResultRow.job_id.in_(job_ids), StageResultRow.stage.in_(stages)
                )
            )
            if "publish" in stages:
                session.execute(delete(ArtifactRow).where(ArtifactRow.job_id.in_(job_ids)))
            return int(getattr(result, "rowcount", 0) or 0)

    def artifacts(self, run_id: str) -> list[ArtifactRecord]:
        with self._session() as session:
            rows = session.scalars(
                select(ArtifactRow)
                .join(JobRow, JobRow.id == ArtifactRow.job_id)
                .where(JobRow.run_id == run_id)
                .order_by(JobRow.position, ArtifactRow.kind)
            )
            return [
                ArtifactRecord(
                    job_id=row.job_id,
                    kind=row.kind,
                    path=row.path,
                    sha256=row.sha256,
                    bytes=row.bytes,
                )
                for row in rows
            ]

    # --- progress events -----------------------------------------------------------------

    def append_event(
        self,
        *,
        run_id: str,
        kind: str,
        job_id: int | None = None,
        stage: str | None = None,
        duration_ms: float | None = None,
        message: str = "",
    ) -> EventRecord:
        with self._session() as session, session.begin():
            return _add_event(
                session,
                run_id=run_id,
                kind=kind,
                job_id=job_id,
                stage=stage,
                duration_ms=duration_ms,
                message=message,
            )

    def events(
        self, run_id: str, *, after_id: int = 0, kinds: Sequence[str] = ()
    ) -> list[EventRecord]:
        """Events of a run in the order they happened, optionally after a known id."""
        query = select(ProgressEventRow).where(
            ProgressEventRow.run_id == run_id, ProgressEventRow.id > after_id
        )
        if kinds:
            query = query.where(ProgressEventRow.kind.in_(kinds))
        with self._session() as session:
            return [
                _event_record(row) for row in session.scalars(query.order_by(ProgressEventRow.id))
            ]


def _add_event(
    session: Session,
    *,
    run_id: str,
    kind: str,
    job_id: int | None,
    stage: str | None,
    duration_ms: float | None,
    message: str,
) -> EventRecord:
    """Insert one progress event inside the caller's transaction and return it with its id."""
    row = ProgressEventRow(
        run_id=run_id,
        job_id=job_id,
        stage=stage,
        kind=kind,
        duration_ms=duration_ms,
        message=message,
    )
    session.add(row)
    session.flush()
    return _event_record(row)


def _run_info(row: RunRow, jobs: int) -> RunInfo:
    return RunInfo(
        id=row.id,
        status=row.status,
        candidate_id=row.candidate_id,
        out_dir=row.out_dir,
        options=dict(row.options or {}),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        jobs=jobs,
    )


def _stage_record(row: StageResultRow) -> StageRecord:
    return StageRecord(
        job_id=row.job_id,
        stage=row.stage,
        status=row.status,
        strategy=row.strategy,
        output=row.output,
        reason=row.reason,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_ms=row.duration_ms,
        attempts=row.attempts,
    )


def _event_record(row: ProgressEventRow) -> EventRecord:
    return EventRecord(
        id=row.id,
        run_id=row.run_id,
        job_id=row.job_id,
        stage=row.stage,
        kind=row.kind,
        duration_ms=row.duration_ms,
        message=row.message,
        created_at=row.created_at,
    )
