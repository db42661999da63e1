"""The alert history: episodes of the in-process alert rules and each channel's outcome."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from jobintel.observability.alerts.store import AlertHistory, StoredAlert
from jobintel.service.api.deps import Reader, StoreDep
from jobintel.service.problems import problem_responses

router = APIRouter(tags=["alerts"], responses=problem_responses(401, 403, 422))


class AlertDeliveryOut(BaseModel):
    channel: str = Field(description="slack, webhook or email")
    notification: Literal["firing", "repeat", "resolved"]
    outcome: Literal["ok", "failed"]
    attempts: int
    error: str | None = Field(description="Why it failed (never a URL or a password)")
    at: datetime


class AlertEpisodeOut(BaseModel):
    id: int
    fingerprint: str = Field(description="rule:subject; one episode fires once until resolved")
    rule: str
    subject: str
    severity: Literal["info", "warning", "critical"]
    state: Literal["firing", "resolved"]
    message: str
    first_at: datetime
    last_sent_at: datetime
    resolved_at: datetime | None
    sends: int = Field(description="Notifications sent: firing, repeats and resolved")
    deliveries: list[AlertDeliveryOut]


class AlertHistoryOut(BaseModel):
    alerts: list[AlertEpisodeOut]


@router.get(
    "/api/alerts",
    response_model=AlertHistoryOut,
    summary="Alert history, newest first, with each channel's delivery outcome",
)
async def alert_history(
    store: StoreDep,
    _who: Reader,
    state: Annotated[
        Literal["firing", "resolved", "all"], Query(description="Only firing or resolved alerts")
    ] = "all",
    limit: Annotated[int, Query(ge=1, le=500, description="How many, newest first")] = 50,
) -> AlertHistoryOut:
    rows = await asyncio.to_thread(
        AlertHistory(store.engine).recent, limit=limit, state=None if state == "all" else state
    )
    return AlertHistoryOut(alerts=[episode_out(row) for row in rows])


def episode_out(row: StoredAlert) -> AlertEpisodeOut:
    return AlertEpisodeOut.model_validate(
        {
            **{k: getattr(row, k) for k in AlertEpisodeOut.model_fields if k != "deliveries"},
            "deliveries": [
                AlertDeliveryOut.model_validate(d, from_attributes=True) for d in row.deliveries
            ],
        }
    )
