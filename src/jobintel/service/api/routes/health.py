"""Liveness and readiness probes: public, and they reveal nothing but ok or not ok."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from sqlalchemy import text

from jobintel.service.api.deps import StoreDep
from jobintel.service.api.schemas import Liveness, Readiness
from jobintel.service.problems import Problem, problem_responses
from jobintel.store import Store, schema_is_current

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Liveness, summary="Liveness: the process answers")
async def healthz() -> Liveness:
    return Liveness()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses=problem_responses(503),
    summary="Readiness: the database answers and its schema is current",
)
async def readyz(store: StoreDep) -> Readiness:
    problem = await asyncio.to_thread(_not_ready, store)
    if problem:
        raise Problem(503, problem, type_="not-ready")
    return Readiness()


def _not_ready(store: Store) -> str:
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = schema_is_current(store.engine)
    except Exception:
        # The reason (a host name, a driver message) is for the log, not for anonymous callers.
        return "the database is not reachable"
    return "" if current else "database migrations are pending"
