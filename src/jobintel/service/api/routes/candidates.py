"""Candidates: upload master CVs (Markdown or JSON Resume), versioned by the CV's name.

Uploading a changed CV under the same name adds a new version; uploading identical bytes
again returns the existing version (200 instead of 201). A run names one version.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from jobintel.errors import InputError
from jobintel.models import MasterCV
from jobintel.service import queries
from jobintel.service.api.deps import Reader, Runner, SettingsDep, StoreDep
from jobintel.service.api.schemas import (
    MAX_ID,
    Candidate,
    CandidateDetail,
    CandidateList,
    CandidateVersion,
)
from jobintel.service.api.uploads import (
    CV_SUFFIXES,
    Upload,
    UploadLimit,
    load_cv_upload,
    media_type,
    read_body,
    read_upload,
)
from jobintel.service.problems import Problem, invalid, problem_responses
from jobintel.settings import Settings
from jobintel.store import Store
from jobintel.store.tables import CandidateRow

router = APIRouter(
    prefix="/api/candidates",
    tags=["candidates"],
    responses=problem_responses(401, 403, 422),
)

_RAW_TYPES = {"text/markdown": ".md", "text/plain": ".md", "application/json": ".json"}
_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "Master CV: Markdown (.md, .txt) or JSON Resume (.json)",
                    }
                },
            }
        },
        "text/markdown": {"schema": {"type": "string", "description": "Master CV in Markdown"}},
        "application/json": {"schema": {"type": "object", "description": "A JSON Resume document"}},
    },
}


@router.post(
    "",
    status_code=201,
    response_model=CandidateDetail,
    responses={
        200: {"model": CandidateDetail, "description": "This exact CV was already stored"},
        **problem_responses(411, 413, 415),
    },
    openapi_extra={"requestBody": _BODY},
    summary="Upload a master CV (a new version when the name exists)",
)
async def upload_candidate(
    request: Request,
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
    _limit: UploadLimit,
    _who: Runner,
) -> CandidateDetail:
    kind = media_type(request)
    if kind == "multipart/form-data":
        upload = await read_upload(request, settings, CV_SUFFIXES)
        field = "file"
    elif kind in _RAW_TYPES:
        upload = Upload(filename=f"body{_RAW_TYPES[kind]}", data=await read_body(request, settings))
        field = "body"
    else:
        raise invalid(
            "Content-Type",
            f"{kind or 'no type'} is not accepted: send multipart/form-data, text/markdown or "
            "application/json (JSON Resume)",
            status=415,
        )
    candidate_id, created = await asyncio.to_thread(_store_cv, store, settings, upload, field)
    if not created:
        response.status_code = 200
    return await asyncio.to_thread(_detail, store, candidate_id)


def _store_cv(store: Store, settings: Settings, upload: Upload, field: str) -> tuple[int, bool]:
    try:
        cv = load_cv_upload(upload, settings)
    except InputError as exc:
        raise invalid(field, f"{exc.problem}: {exc.fix}") from None
    before = {row.id for row in queries.candidate_rows(store.engine, name=cv.name)}
    candidate_id = store.upsert_candidate(cv)
    return candidate_id, candidate_id not in before


def _version(row: CandidateRow, number: int) -> CandidateVersion:
    cv = MasterCV.model_validate(row.cv)
    return CandidateVersion(
        id=row.id,
        version=number,
        source=row.source,
        content_hash=row.content_hash,
        roles=len(cv.roles),
        bullets=len(cv.all_bullets()),
        created_at=row.created_at,
    )


def _candidate(name: str, rows: list[CandidateRow]) -> Candidate:
    versions = [_version(row, number) for number, row in enumerate(rows, start=1)]
    return Candidate(name=name, latest_id=versions[-1].id, versions=versions)


def _detail(store: Store, candidate_id: int) -> CandidateDetail:
    row = queries.candidate_row(store.engine, candidate_id)
    if row is None:
        raise Problem(
            404,
            f"candidate {candidate_id} not found: list candidates with GET /api/candidates",
            type_="not-found",
        )
    candidate = _candidate(row.name, queries.candidate_rows(store.engine, name=row.name))
    number = next(v.version for v in candidate.versions if v.id == candidate_id)
    return CandidateDetail(**candidate.model_dump(), id=candidate_id, version=number, cv=row.cv)


def _all(store: Store) -> CandidateList:
    groups: dict[str, list[CandidateRow]] = defaultdict(list)
    for row in queries.candidate_rows(store.engine):
        groups[row.name].append(row)
    return CandidateList(candidates=[_candidate(name, rows) for name, rows in groups.items()])


@router.get("", response_model=CandidateList, summary="Candidates with their CV versions")
async def list_candidates(store: StoreDep, _who: Reader) -> CandidateList:
    return await asyncio.to_thread(_all, store)


@router.get(
    "/{candidate_id}",
    response_model=CandidateDetail,
    responses=problem_responses(404),
    summary="One CV version, its parsed content and its sibling versions",
)
async def get_candidate(
    candidate_id: Annotated[int, Path(ge=1, le=MAX_ID)], store: StoreDep, _who: Reader
) -> CandidateDetail:
    return await asyncio.to_thread(_detail, store, candidate_id)
