"""The alerts page: the alert history (firing first) above the guard events it grew from."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEventKind
from jobintel.observability.alerts.store import AlertHistory, StoredAlert
from jobintel.service.api.deps import Reader, StoreDep
from jobintel.service.web.rendering import page
from jobintel.store import Store

router = APIRouter(include_in_schema=False)

KINDS: tuple[str, ...] = get_args(GuardEventKind)
LIMIT = 200
#: Resolved episodes shown under the firing ones (every firing one is shown).
RESOLVED_LIMIT = 50


@dataclass(frozen=True, kw_only=True)
class AlertRow:
    alert: StoredAlert
    #: The latest outcome per channel, e.g. [("slack", "ok"), ("email", "failed")].
    channels: list[tuple[str, str]]


def alert_rows(store: Store) -> list[AlertRow]:
    """Firing episodes (newest first), then the most recent resolved ones."""
    history = AlertHistory(store.engine)
    episodes = history.firing() + history.recent(limit=RESOLVED_LIMIT, state="resolved")
    rows = []
    for alert in episodes:
        latest: dict[str, str] = {}
        for delivery in alert.deliveries:
            latest[delivery.channel] = delivery.outcome
        rows.append(AlertRow(alert=alert, channels=list(latest.items())))
    return rows


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
    history = await asyncio.to_thread(alert_rows, store)
    return page(
        request,
        "alerts.html",
        principal,
        title="Alerts",
        history=history,
        alerts=events,
        kinds=KINDS,
        kind=chosen,
        limit=LIMIT,
    )
