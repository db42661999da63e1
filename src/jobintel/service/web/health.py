"""The health page: circuit breakers and rate-limiter headroom."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobintel.guard.breaker_sql import SqlCircuitBreaker
from jobintel.guard.ratelimit_health import limiter_headroom
from jobintel.service.api.deps import Reader, SettingsDep, StoreDep
from jobintel.service.web.rendering import page

router = APIRouter(include_in_schema=False)


@router.get("/health", response_class=HTMLResponse)
async def health(
    request: Request, principal: Reader, settings: SettingsDep, store: StoreDep
) -> HTMLResponse:
    breakers = await SqlCircuitBreaker(store.engine).snapshot()
    limits = await asyncio.to_thread(limiter_headroom, store.engine, settings)
    return page(request, "health.html", principal, title="Health", breakers=breakers, limits=limits)
