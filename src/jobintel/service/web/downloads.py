"""Artifact downloads from the UI: a job's files, served only from where the run wrote them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from jobintel.errors import RunNotFound
from jobintel.service.api.deps import Reader, StoreDep
from jobintel.service.web.rendering import not_found
from jobintel.store import Store

router = APIRouter(include_in_schema=False)

#: kind -> (file name offered to the browser, media type, label), in the order shown.
KINDS: dict[str, tuple[str, str, str]] = {
    "cv_pdf": ("cv.pdf", "application/pdf", "CV (PDF)"),
    "cv_md": ("cv.md", "text/markdown; charset=utf-8", "CV (Markdown)"),
    "cover_letter_md": ("cover_letter.md", "text/markdown; charset=utf-8", "Cover letter"),
    "outreach_md": ("outreach.md", "text/markdown; charset=utf-8", "Outreach drafts"),
    "dossier_html": ("dossier.html", "text/html; charset=utf-8", "Dossier (HTML)"),
    "dossier_md": ("dossier.md", "text/markdown; charset=utf-8", "Dossier (Markdown)"),
    "evidence_json": ("evidence.json", "application/json", "Evidence (JSON)"),
}


@dataclass(frozen=True, kw_only=True)
class Download:
    kind: str
    label: str
    filename: str
    bytes: int
    url: str


def job_downloads(store: Store, run_id: str, job_id: int) -> list[Download]:
    """The job's artifacts the UI offers, in a fixed order."""
    found = {a.kind: a for a in store.artifacts(run_id) if a.job_id == job_id}
    return [
        Download(
            kind=kind,
            label=label,
            filename=filename,
            bytes=found[kind].bytes,
            url=f"/runs/{run_id}/jobs/{job_id}/files/{kind}",
        )
        for kind, (filename, _, label) in KINDS.items()
        if kind in found
    ]


def artifact_path(store: Store, run_id: str, job_id: int, kind: str) -> Path | None:
    """The stored file of one artifact, if it exists inside the job's output folder.

    The path comes from the store, never from the request; it must still lie under the
    folder the run assigned to the job, so a tampered row cannot serve other files.
    """
    try:
        store.run(run_id)
    except RunNotFound:
        return None
    job = next((j for j in store.jobs(run_id) if j.id == job_id), None)
    record = next(
        (a for a in store.artifacts(run_id) if a.job_id == job_id and a.kind == kind), None
    )
    if job is None or record is None or not job.output_dir:
        return None
    path = Path(record.path).resolve()
    root = Path(job.output_dir).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


@router.get("/runs/{run_id}/jobs/{job_id}/files/{kind}")
async def download(
    request: Request, run_id: str, job_id: int, kind: str, principal: Reader, store: StoreDep
) -> Response:
    if kind not in KINDS:
        return not_found(request, principal, f"There is no artifact kind {kind!r}.")
    path = await asyncio.to_thread(artifact_path, store, run_id, job_id, kind)
    if path is None:
        return not_found(
            request,
            principal,
            f"Job {job_id} of run {run_id} has no {KINDS[kind][2]} file (yet): "
            "it is written when the publish stage completes.",
        )
    filename, media_type, _ = KINDS[kind]
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
