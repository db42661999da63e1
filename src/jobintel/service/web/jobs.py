"""The Jobs page: postings with fit and status; add postings and CVs; start runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobintel.errors import InputError, JobintelError
from jobintel.inputs import normalise_posting, parse_posting_text
from jobintel.models import RawPosting
from jobintel.providers.registry import check_routes
from jobintel.service import queries
from jobintel.service.api.deps import ExecutorDep, Reader, Runner, SettingsDep, StoreDep
from jobintel.service.api.posting_url import fetch_posting
from jobintel.service.api.uploads import (
    CV_SUFFIXES,
    POSTING_SUFFIXES,
    load_cv_upload,
    load_posting_upload,
)
from jobintel.service.auth import Principal
from jobintel.service.executor import RunOptions, run_settings
from jobintel.service.problems import Problem
from jobintel.service.web.catalog import candidate_lines, posting_lines
from jobintel.service.web.forms import FormProblem, uploaded_file
from jobintel.service.web.rendering import page
from jobintel.settings import Settings
from jobintel.store import Store

router = APIRouter(include_in_schema=False)

STRATEGIES = (
    ("", "Server default"),
    ("deterministic", "Deterministic (no model calls)"),
    ("auto", "Auto (models where configured)"),
    ("llm", "LLM"),
)


async def _jobs_page(
    request: Request,
    principal: Principal,
    settings: Settings,
    store: Store,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lines, total = await asyncio.to_thread(posting_lines, store.engine)
    candidates = await asyncio.to_thread(candidate_lines, store.engine)
    values: dict[str, Any] = {
        "error": "",
        "error_form": "",
        "text": "",
        "url": "",
        "selected": [],
        "notice": _notice(request),
        **context,
    }
    return page(
        request,
        "jobs.html",
        principal,
        status_code=status_code,
        title="Jobs",
        postings=lines,
        total=total,
        candidates=candidates,
        strategies=STRATEGIES,
        default_strategy=settings.strategy,
        can_run=principal.allows("run"),
        max_upload=settings.max_upload_bytes,
        posting_suffixes=", ".join(POSTING_SUFFIXES),
        cv_suffixes=", ".join(CV_SUFFIXES),
        **values,
    )


def _notice(request: Request) -> str:
    params = request.query_params
    if "added" in params or "known" in params:
        added, known = params.get("added", "0"), params.get("known", "0")
        parts = []
        if added.isdigit() and int(added):
            parts.append(f"Added {added} posting{'s' if added != '1' else ''}.")
        if known.isdigit() and int(known):
            parts.append(f"{known} {'was' if known == '1' else 'were'} already stored.")
        return " ".join(parts)
    if params.get("cv", "").isdigit():
        return f"Master CV stored: candidate id {params['cv']}, ready to run."
    return ""


@router.get("/jobs", response_class=HTMLResponse)
async def jobs(
    request: Request, principal: Reader, settings: SettingsDep, store: StoreDep
) -> HTMLResponse:
    return await _jobs_page(request, principal, settings, store)


def store_postings(store: Store, raws: Sequence[RawPosting]) -> tuple[int, int]:
    """Store postings (a duplicate is kept once); how many were new and how many known."""
    postings = [normalise_posting(raw) for raw in raws]
    known = queries.stored_dedupe_keys(store.engine, [p.dedupe_key for p in postings])
    added = 0
    for posting in postings:
        if posting.dedupe_key not in known:
            added += 1
            known.add(posting.dedupe_key)
        store.upsert_posting(posting)
    return added, len(postings) - added


def _added(added: int, known: int) -> RedirectResponse:
    return RedirectResponse(f"/jobs?added={added}&known={known}#postings", status_code=303)


def _again(
    request: Request,
    principal: Principal,
    settings: Settings,
    store: Store,
    form: str,
    error: str,
    *,
    status_code: int = 422,
    **keep: Any,
) -> Awaitable[HTMLResponse]:
    """The Jobs page again, with ``error`` shown in ``form`` and the user's input kept."""
    return _jobs_page(
        request, principal, settings, store, status_code=status_code, error=error,
        error_form=form, **keep,
    )  # fmt: skip


@router.post("/jobs/paste", response_class=HTMLResponse)
async def add_pasted(
    request: Request,
    principal: Runner,
    settings: SettingsDep,
    store: StoreDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    """Add one posting from pasted Markdown or plain text."""
    try:
        if not text.strip():
            raise FormProblem("Paste the posting text first.")
        if len(text.encode()) > settings.max_input_bytes:
            raise FormProblem(f"The text is longer than {settings.max_input_bytes:,} bytes.")
        try:
            raw = parse_posting_text(text.replace("\r\n", "\n"), source="web:paste")
        except InputError as exc:
            raise FormProblem(f"{exc.problem}: {exc.fix}") from None
    except FormProblem as exc:
        return await _again(request, principal, settings, store, "paste", str(exc), text=text)
    return _added(*await asyncio.to_thread(store_postings, store, [raw]))


@router.post("/jobs/upload", response_class=HTMLResponse)
async def add_uploaded(
    request: Request, principal: Runner, settings: SettingsDep, store: StoreDep
) -> Response:
    """Add the postings in an uploaded .md, .txt, .json or .jsonl file."""
    try:
        upload = await uploaded_file(request, settings.max_upload_bytes, POSTING_SUFFIXES)
        loaded = await asyncio.to_thread(load_posting_upload, upload, settings)
        if not loaded.postings:
            problems = "; ".join(str(e) for e in loaded.errors)
            raise FormProblem(problems or "The file holds no posting.")
    except FormProblem as exc:
        return await _again(request, principal, settings, store, "upload", str(exc))
    return _added(*await asyncio.to_thread(store_postings, store, loaded.postings))


@router.post("/jobs/url", response_class=HTMLResponse)
async def add_from_url(
    request: Request,
    principal: Runner,
    settings: SettingsDep,
    store: StoreDep,
    url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add a posting fetched from an address (through the configured research service)."""
    try:
        raw = await fetch_posting(url, settings, store)
    except Problem as exc:
        return await _again(request, principal, settings, store, "url", exc.detail, url=url)
    return _added(*await asyncio.to_thread(store_postings, store, [raw]))


@router.post("/jobs/cv", response_class=HTMLResponse)
async def add_cv(
    request: Request, principal: Runner, settings: SettingsDep, store: StoreDep
) -> Response:
    """Store an uploaded master CV (Markdown or JSON Resume) as a candidate version."""
    try:
        upload = await uploaded_file(request, settings.max_upload_bytes, CV_SUFFIXES)
        try:
            cv = await asyncio.to_thread(load_cv_upload, upload, settings)
        except InputError as exc:
            raise FormProblem(f"{exc.problem}: {exc.fix}") from None
    except FormProblem as exc:
        return await _again(request, principal, settings, store, "cv", str(exc))
    candidate_id = await asyncio.to_thread(store.upsert_candidate, cv)
    return RedirectResponse(f"/jobs?cv={candidate_id}#run", status_code=303)


def _run_options(
    settings: Settings, store: Store, ids: list[int], candidate_id: int | None, strategy: str
) -> tuple[RunOptions, int]:
    """The run's options and candidate, or ``FormProblem`` saying what to fix."""
    if not ids:
        raise FormProblem("Select at least one posting to run.")
    if len(queries.postings_by_id(store.engine, ids)) != len(ids):
        raise FormProblem("Some selected postings no longer exist: reload the page.")
    if candidate_id is None or queries.candidate_row(store.engine, candidate_id) is None:
        raise FormProblem("Choose a candidate (upload a master CV first if the list is empty).")
    if strategy not in {value for value, _ in STRATEGIES}:
        raise FormProblem(f"Unknown strategy {strategy!r}.")
    options = RunOptions(posting_ids=tuple(ids), strategy=strategy or None)
    routes = check_routes(run_settings(settings, options))
    if routes:
        raise FormProblem(
            "The model routes cannot be used with this strategy: "
            + "; ".join(f"{name}: {message}" for name, message in routes)
        )
    return options, candidate_id


@router.post("/jobs/run", response_class=HTMLResponse)
async def start_run(
    request: Request,
    principal: Runner,
    settings: SettingsDep,
    store: StoreDep,
    executor: ExecutorDep,
    posting_id: Annotated[list[int], Form(default_factory=list)],
    candidate_id: Annotated[int | None, Form()] = None,
    strategy: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a run for the selected postings and candidate and hand it to the executor."""
    ids = list(dict.fromkeys(posting_id))
    try:
        options, candidate = await asyncio.to_thread(
            _run_options, settings, store, ids, candidate_id, strategy
        )
    except FormProblem as exc:
        return await _again(request, principal, settings, store, "run", str(exc), selected=ids)
    run_id = await asyncio.to_thread(
        store.create_run,
        candidate_id=candidate,
        out_dir=str(settings.out_dir.resolve()),
        jobs=[],
        options=options.stored(),
    )
    try:
        await executor.submit(run_id, options)
    except JobintelError as exc:
        return await _again(
            request, principal, settings, store, "run", str(exc), status_code=503, selected=ids
        )
    return RedirectResponse(f"/runs/{run_id}", status_code=303)
