"""Turn input files into a stored run: load, validate, de-duplicate, assign output folders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jobintel.errors import InputError
from jobintel.inputs import content_key, load_cv, load_postings, normalise_posting
from jobintel.pipeline.events import EventBus, EventKind
from jobintel.render.paths import job_output_dir
from jobintel.settings import Settings
from jobintel.store import Store


@dataclass(frozen=True, kw_only=True)
class PlannedRun:
    run_id: str
    jobs: int
    input_errors: tuple[InputError, ...]
    duplicates: tuple[str, ...]


class NothingToRun(InputError):
    """Every input was bad or a duplicate: there is no job to run."""


def plan_run(
    store: Store,
    settings: Settings,
    bus: EventBus,
    *,
    posting_paths: Sequence[Path],
    cv_path: Path,
    out_dir: Path,
) -> PlannedRun:
    """Create a pending run for the postings under ``posting_paths`` and the CV at ``cv_path``.

    A bad posting does not stop the batch: it is recorded as an ``input_error`` event of the
    run. A bad CV does stop it (raises ``InputError``), since every job needs it.
    """
    cv = load_cv(cv_path, max_bytes=settings.max_input_bytes)
    loaded = load_postings(posting_paths, max_bytes=settings.max_input_bytes)
    candidate_id = store.upsert_candidate(cv)

    seen: dict[str, str] = {}
    duplicates: list[str] = []
    jobs: list[tuple[int, str]] = []
    taken: set[Path] = set()
    out_root = out_dir.resolve()
    for raw in loaded.postings:
        posting = normalise_posting(raw)
        # The id-based key catches re-scrapes; the content key catches a copy saved without
        # its id (e.g. pasted into a .md file) of a posting that also came with one.
        keys = (posting.dedupe_key, content_key(raw))
        first = next((seen[key] for key in keys if key in seen), None)
        if first is not None:
            duplicates.append(f"{posting.source}: same posting as {first}; processed once")
            continue
        for key in keys:
            seen[key] = posting.source
        posting_id = store.upsert_posting(posting)
        folder = job_output_dir(out_root, posting.company, posting.title, posting.dedupe_key, taken)
        taken.add(folder)
        jobs.append((posting_id, str(folder)))

    errors = tuple(loaded.errors)
    if not jobs:
        problems = "; ".join(str(e) for e in errors) or "no posting files found"
        raise NothingToRun(
            ", ".join(str(p) for p in posting_paths),
            f"no posting could be run ({problems})",
            "pass .md, .txt, .json or .jsonl postings, or a directory holding them",
        )
    run_id = store.create_run(
        candidate_id=candidate_id,
        out_dir=str(out_root),
        jobs=jobs,
        options={
            "inputs": [str(p) for p in posting_paths],
            "cv": str(cv_path),
        },
    )
    for error in errors:
        bus.publish(run_id, EventKind.INPUT_ERROR, message=str(error))
    for message in duplicates:
        bus.publish(run_id, EventKind.DUPLICATE, message=message)
    return PlannedRun(
        run_id=run_id, jobs=len(jobs), input_errors=errors, duplicates=tuple(duplicates)
    )
