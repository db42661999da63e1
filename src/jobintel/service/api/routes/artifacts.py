"""Artifacts: list a run's files and download one (dossier, CV Markdown/PDF, letter, outreach).

A download is served only from inside its run's output folder, whatever the stored path
says, and with headers that stop a browser from running anything in it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from jobintel.service import queries
from jobintel.service.api.deps import Reader, StoreDep
from jobintel.service.api.routes.runs import run_or_404
from jobintel.service.api.schemas import MAX_ID, ArtifactList, ArtifactOut
from jobintel.service.problems import Problem, problem_responses
from jobintel.service.queries import StoredArtifact
from jobintel.store import Store

router = APIRouter(tags=["artifacts"], responses=problem_responses(401, 403, 404, 422))

CONTENT_TYPES = {
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".json": "application/json",
}
_OCTET = "application/octet-stream"
_DOWNLOAD = {
    200: {
        "description": "The file",
        "content": {kind.split(";")[0]: {} for kind in CONTENT_TYPES.values()},
    }
}


def content_type(path: str) -> str:
    return CONTENT_TYPES.get(Path(path).suffix.lower(), _OCTET)


def _out(item: StoredArtifact) -> ArtifactOut:
    return ArtifactOut(
        id=item.id,
        job_id=item.job_id,
        kind=item.kind,
        filename=Path(item.path).name,
        content_type=content_type(item.path),
        bytes=item.bytes,
        sha256=item.sha256,
        url=f"/api/artifacts/{item.id}",
    )


@router.get(
    "/api/runs/{run_id}/artifacts",
    response_model=ArtifactList,
    summary="The files a run published, job by job",
)
async def list_artifacts(run_id: str, store: StoreDep, _who: Reader) -> ArtifactList:
    items = await asyncio.to_thread(_run_artifacts, store, run_id)
    return ArtifactList(artifacts=[_out(item) for item in items])


def _run_artifacts(store: Store, run_id: str) -> list[StoredArtifact]:
    run_or_404(store, run_id)
    return queries.run_artifacts(store.engine, run_id)


@router.get(
    "/api/artifacts/{artifact_id}",
    response_class=FileResponse,
    response_model=None,
    responses=_DOWNLOAD,  # type: ignore[arg-type]
    summary="Download one artifact",
)
async def download_artifact(
    artifact_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    store: StoreDep,
    _who: Reader,
    inline: Annotated[
        bool, Query(description="Show in the browser instead of downloading")
    ] = False,
) -> FileResponse:
    item, path = await asyncio.to_thread(_checked_file, store, artifact_id)
    disposition = "inline" if inline else "attachment"
    return FileResponse(
        path,
        media_type=content_type(item.path),
        filename=path.name,
        content_disposition_type=disposition,
        headers={
            "X-Content-Type-Options": "nosniff",
            # A dossier is data: no scripts, no requests out, styles inline only.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; sandbox",
        },
    )


def _checked_file(store: Store, artifact_id: int) -> tuple[StoredArtifact, Path]:
    item = queries.artifact(store.engine, artifact_id)
    if item is None:
        raise Problem(
            404,
            f"artifact {artifact_id} not found: list a run's with GET /api/runs/{{id}}/artifacts",
            type_="not-found",
        )
    root = Path(item.run_out_dir).resolve()
    path = Path(item.path).resolve()
    inside_job = item.job_output_dir is None or path.is_relative_to(
        Path(item.job_output_dir).resolve()
    )
    if not path.is_relative_to(root) or not inside_job:
        raise Problem(
            404,
            f"artifact {artifact_id} is not inside its run's output folder: it is not served",
            type_="not-found",
        )
    if not path.is_file():
        raise Problem(
            404,
            f"artifact {artifact_id}'s file is missing on disk: re-run the publish stage "
            f"with POST /api/runs/{item.run_id}/rerun",
            type_="not-found",
        )
    return item, path
