"""Postings: add (text, file, JSON/JSONL, URL), list, read, delete.

A posting some run used cannot be deleted (409): runs keep their inputs so that they can
be resumed and re-run, and their dossiers keep pointing at what they were made from.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ValidationError

from jobintel.errors import InputError
from jobintel.inputs import normalise_posting, parse_posting_text, posting_from_record
from jobintel.models import RawPosting
from jobintel.service import queries
from jobintel.service.api.deps import Reader, Runner, SettingsDep, StoreDep
from jobintel.service.api.posting_url import fetch_posting
from jobintel.service.api.schemas import (
    MAX_ID,
    InputProblem,
    PostingCreate,
    PostingCreated,
    PostingList,
    PostingOut,
    PostingsCreated,
    PostingSummary,
)
from jobintel.service.api.uploads import (
    POSTING_SUFFIXES,
    Upload,
    UploadLimit,
    load_posting_upload,
    media_type,
    read_body,
    read_upload,
)
from jobintel.service.problems import FieldError, Problem, field_errors, invalid, problem_responses
from jobintel.settings import Settings
from jobintel.store import Store
from jobintel.store.tables import PostingRow

router = APIRouter(
    prefix="/api/postings",
    tags=["postings"],
    responses=problem_responses(401, 403, 422),
)

_JSONL_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines"})
_TEXT_TYPES = frozenset({"text/markdown", "text/plain"})
_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": PostingCreate.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": f"A posting file: {', '.join(POSTING_SUFFIXES)}",
                    }
                },
            }
        },
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "JSONL: one posting object per line"}
        },
        "text/markdown": {"schema": {"type": "string", "description": "One posting"}},
    },
}


@router.post(
    "",
    status_code=201,
    response_model=PostingsCreated,
    responses=problem_responses(411, 413, 415, 502),
    openapi_extra={"requestBody": _BODY},
    summary="Add postings from text, a file, JSON records, JSONL or a URL",
)
async def create_postings(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    _limit: UploadLimit,
    _who: Runner,
) -> PostingsCreated:
    """JSON ``{text}``, ``{url}`` or ``{records}``; a multipart ``file`` (.md, .txt, .json,
    .jsonl); or a raw JSONL / Markdown body. Postings already stored are not added twice."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        upload = await read_upload(request, settings, POSTING_SUFFIXES)
        loaded = await asyncio.to_thread(load_posting_upload, upload, settings)
        raws, errors, field = loaded.postings, loaded.errors, "file"
    elif kind in _JSONL_TYPES or kind in _TEXT_TYPES:
        suffix = ".jsonl" if kind in _JSONL_TYPES else ".md"
        upload = Upload(filename=f"body{suffix}", data=await read_body(request, settings))
        loaded = await asyncio.to_thread(load_posting_upload, upload, settings)
        raws, errors, field = loaded.postings, loaded.errors, "body"
    elif kind == "application/json" or kind.endswith("+json"):
        body = _parse_json(await read_body(request, settings))
        raws, errors, field = await _from_json(body, settings, store)
    else:
        raise invalid(
            "Content-Type",
            f"{kind or 'no type'} is not accepted: send application/json, multipart/form-data, "
            "application/x-ndjson or text/markdown",
            status=415,
        )
    if not raws:
        raise Problem(
            422,
            "no posting could be read: " + "; ".join(str(e) for e in errors),
            type_="validation",
            errors=[FieldError(field=field, message=str(e)) for e in errors]
            or [FieldError(field=field, message="no posting found")],
        )
    created = await asyncio.to_thread(_store_postings, store, raws)
    return PostingsCreated(
        postings=created,
        errors=[InputProblem(source=e.source, problem=e.problem, fix=e.fix) for e in errors],
    )


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid("body", f"not valid JSON ({exc})") from None


async def _from_json(
    body: Any, settings: Settings, store: Store
) -> tuple[list[RawPosting], list[InputError], str]:
    try:
        spec = PostingCreate.model_validate(body)
    except ValidationError as exc:
        bad = field_errors(exc.errors())
        raise Problem(
            422,
            "invalid request: " + "; ".join(f"{e.field}: {e.message}" for e in bad),
            type_="validation",
            errors=bad,
        ) from None
    given = [name for name in ("text", "url", "records") if getattr(spec, name) is not None]
    if len(given) != 1:
        raise invalid(given[1] if given else "text", "give exactly one of text, url or records")
    overrides = {
        name: value.strip()
        for name in ("title", "company", "location")
        if (value := getattr(spec, name)) and value.strip()
    }
    if spec.text is not None:
        if len(spec.text.encode()) > settings.max_input_bytes:
            raise invalid("text", f"longer than {settings.max_input_bytes:,} bytes", status=413)
        try:
            raw = parse_posting_text(spec.text.replace("\r\n", "\n"), source="api:text")
        except InputError as exc:
            raise invalid("text", f"{exc.problem}: {exc.fix}") from None
        return [raw.model_copy(update=overrides)], [], "text"
    if spec.url is not None:
        raw = await fetch_posting(spec.url, settings, store)
        return [raw.model_copy(update=overrides)], [], "url"
    raws: list[RawPosting] = []
    errors: list[InputError] = []
    for index, record in enumerate(spec.records or []):
        try:
            raws.append(posting_from_record(record, source=f"api:records[{index}]"))
        except InputError as exc:
            errors.append(exc)
    return [r.model_copy(update=overrides) for r in raws], errors, "records"


def _store_postings(store: Store, raws: Sequence[RawPosting]) -> list[PostingCreated]:
    postings = [normalise_posting(raw) for raw in raws]
    known = queries.stored_dedupe_keys(store.engine, [p.dedupe_key for p in postings])
    ids: list[tuple[int, bool]] = []
    for posting in postings:
        new = posting.dedupe_key not in known
        known.add(posting.dedupe_key)
        ids.append((store.upsert_posting(posting), new))
    rows = queries.postings_by_id(store.engine, [pid for pid, _ in ids])
    out: dict[int, PostingCreated] = {}
    for pid, new in ids:
        if pid not in out:
            out[pid] = PostingCreated(**_summary(rows[pid]).model_dump(), created=new)
    return list(out.values())


def _summary(row: PostingRow) -> PostingSummary:
    return PostingSummary(
        id=row.id,
        title=row.title,
        company=row.company,
        location=row.location,
        url=row.url,
        source=row.source,
        created_at=row.created_at,
    )


@router.get("", response_model=PostingList, summary="List postings, newest first")
async def list_postings(
    store: StoreDep,
    _who: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> PostingList:
    rows, total = await asyncio.to_thread(
        queries.posting_page, store.engine, limit=limit, offset=offset
    )
    return PostingList(postings=[_summary(row) for row in rows], total=total)


@router.get(
    "/{posting_id}",
    response_model=PostingOut,
    responses=problem_responses(404),
    summary="One posting with its full text and the runs that used it",
)
async def get_posting(
    posting_id: Annotated[int, Path(ge=1, le=MAX_ID)], store: StoreDep, _who: Reader
) -> PostingOut:
    row, runs = await asyncio.to_thread(_posting_and_runs, store, posting_id)
    return PostingOut(
        **_summary(row).model_dump(),
        description=row.description,
        criteria=row.criteria,
        dedupe_key=row.dedupe_key,
        runs=runs,
    )


def _posting_and_runs(store: Store, posting_id: int) -> tuple[PostingRow, list[str]]:
    row = queries.postings_by_id(store.engine, [posting_id]).get(posting_id)
    if row is None:
        raise posting_not_found(posting_id)
    return row, queries.runs_using_posting(store.engine, posting_id)


def posting_not_found(posting_id: int) -> Problem:
    return Problem(
        404,
        f"posting {posting_id} not found: list postings with GET /api/postings",
        type_="not-found",
    )


@router.delete(
    "/{posting_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404, 409),
    summary="Delete a posting no run has used",
)
async def delete_posting(
    posting_id: Annotated[int, Path(ge=1, le=MAX_ID)], store: StoreDep, _who: Runner
) -> Response:
    await asyncio.to_thread(_posting_and_runs, store, posting_id)
    used = await asyncio.to_thread(queries.delete_unused_posting, store.engine, posting_id)
    if used:
        shown = ", ".join(used[:5]) + (f" and {len(used) - 5} more" if len(used) > 5 else "")
        raise Problem(
            409,
            f"posting {posting_id} is used by run(s) {shown}: runs keep their postings so they "
            "can be resumed and re-run, so it cannot be deleted",
            type_="posting-in-use",
        )
    return Response(status_code=204)
