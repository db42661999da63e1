"""Plan a run submitted through the API: one job per stored posting, each with its folder.

The CLI plans from files (``jobintel.pipeline.plan_run``); the service's postings are
already stored and de-duplicated, so planning only assigns output folders and adds the
jobs. It runs in the executor, never in the request that submitted the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jobintel.pipeline import EventBus, EventKind, NothingToRun
from jobintel.render.paths import job_output_dir
from jobintel.service import queries
from jobintel.store import Store


@dataclass(frozen=True, kw_only=True)
class PlannedJobs:
    jobs: int
    missing: tuple[int, ...]


def plan_jobs(store: Store, bus: EventBus, run_id: str, posting_ids: Sequence[int]) -> PlannedJobs:
    """Add the run's jobs unless it has them already (a resumed run keeps its plan).

    A posting deleted between submission and planning is reported as an ``input_error``
    event and left out; when none is left the run cannot start (``NothingToRun``).
    """
    existing = queries.job_count(store.engine, run_id)
    if existing:
        return PlannedJobs(jobs=existing, missing=())
    run = store.run(run_id)
    out_root = Path(run.out_dir).resolve()
    rows = queries.postings_by_id(store.engine, posting_ids)
    missing = tuple(pid for pid in posting_ids if pid not in rows)
    taken: set[Path] = set()
    jobs: list[tuple[int, str]] = []
    for pid in posting_ids:
        row = rows.get(pid)
        if row is None:
            continue
        folder = job_output_dir(out_root, row.company, row.title, row.dedupe_key, taken)
        taken.add(folder)
        jobs.append((pid, str(folder)))
    for pid in missing:
        bus.publish(
            run_id,
            EventKind.INPUT_ERROR,
            message=f"posting {pid} was deleted before the run started: it was left out",
        )
    if not jobs:
        raise NothingToRun(
            f"run {run_id}",
            "none of its postings exist any more",
            "add postings with POST /api/postings and submit a new run",
        )
    queries.add_jobs(store.engine, run_id, jobs)
    return PlannedJobs(jobs=len(jobs), missing=missing)
