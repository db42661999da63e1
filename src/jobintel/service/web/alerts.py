"""The alerts page: the history of guard events (budgets, breakers, rate limits, prices)."""

from __future__ import annotations

import asyncio
from typing import Annotated, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEventKind
from jobintel.service.api.deps import Reader, StoreDep
from jobintel.service.web.rendering import page

router = APIRouter(include_in_schema=False)

KINDS: tuple[str, ...] = get_args(GuardEventKind)
LIMIT = 200


@router.get("/alerts", response_class=HTMLResponse)
async def alerts(
    request: Request,
    principal: Reader,
    store: StoreDep,
    kind: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    chosen = kind if kind in KINDS else ""
    events = await asyncio.to_thread(
        GuardEventLog(store.engine).recent, limit=LIMIT, kinds=[chosen] if chosen else None
    )
    return page(
        request,
        "alerts.html",
        principal,
        title="Alerts",
        alerts=events,
        kinds=KINDS,
        kind=chosen,
        limit=LIMIT,
    )
