"""Run pages: the list, one run's live progress and timeline, cancel and resume."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobintel.errors import JobintelError, RunNotFound
from jobintel.guard.ledger import CostLedger
from jobintel.service.api.deps import ExecutorDep, Reader, Runner, StoreDep
from jobintel.service.web.rendering import fragment, not_found, page
from jobintel.service.web.run_view import REFRESH_EVENTS, live_progress, run_page

router = APIRouter(include_in_schema=False)

#: How often a live page polls the progress fragment when no SSE event arrives (e.g. a
#: proxy that buffers event streams); SSE events refresh it at once.
POLL = "every 4s"


def _triggers() -> str:
    return ", ".join([*(f"sse:{kind.value}" for kind in REFRESH_EVENTS), POLL])


@router.get("/runs", response_class=HTMLResponse)
async def runs(request: Request, principal: Reader, store: StoreDep) -> HTMLResponse:
    found = await asyncio.to_thread(store.runs, limit=100)
    costs = {
        row.key: row.cost_usd
        for row in await asyncio.to_thread(CostLedger(store.engine).summary, "run")
    }
    return page(request, "runs.html", principal, title="Runs", runs=found, run_costs=costs)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_detail(
    request: Request, run_id: str, principal: Reader, store: StoreDep, executor: ExecutorDep
) -> HTMLResponse:
    try:
        view = await asyncio.to_thread(run_page, store, run_id)
    except RunNotFound:
        return not_found(request, principal, f"There is no run {run_id}.")
    return page(
        request,
        "run.html",
        principal,
        title=f"Run {run_id}",
        v=view,
        p=view.live,
        triggers=_triggers(),
        active=executor.is_active(run_id),
        can_run=principal.allows("run"),
        oob=False,
    )


@router.get("/runs/{run_id}/progress", response_class=HTMLResponse)
async def run_progress_fragment(
    request: Request, run_id: str, principal: Reader, store: StoreDep
) -> HTMLResponse:
    """The stage bars and job grid, for HTMX to swap into a live run page.

    Once the run has finished the answer asks HTMX to reload the page, which then shows
    the final timeline, costs and dossier links, and no longer polls.
    """
    try:
        progress = await asyncio.to_thread(live_progress, store, run_id)
    except RunNotFound:
        return not_found(request, principal, f"There is no run {run_id}.")
    headers = {} if progress.live else {"HX-Refresh": "true"}
    return fragment("_progress.html", headers=headers, p=progress, oob=True)


@router.post("/runs/{run_id}/cancel")
async def cancel(
    request: Request, run_id: str, principal: Runner, store: StoreDep, executor: ExecutorDep
) -> Response:
    try:
        await asyncio.to_thread(store.run, run_id)
    except RunNotFound:
        return not_found(request, principal, f"There is no run {run_id}.")
    await executor.cancel(run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/resume")
async def resume(
    request: Request, run_id: str, principal: Runner, store: StoreDep, executor: ExecutorDep
) -> Response:
    try:
        run = await asyncio.to_thread(store.run, run_id)
    except RunNotFound:
        return not_found(request, principal, f"There is no run {run_id}.")
    if run.status != "succeeded":
        try:
            await executor.resume(run_id)
        except JobintelError as exc:
            return page(
                request,
                "error.html",
                principal,
                status_code=409,
                title="Cannot resume",
                message=str(exc),
            )
    return RedirectResponse(f"/runs/{run_id}", status_code=303)
