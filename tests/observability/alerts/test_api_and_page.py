"""The alert history over HTTP: `GET /api/alerts` and the web alerts page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts import AlertConfig, AlertEngine, WebhookChannelConfig
from jobintel.store import Store
from tests.observability.alerts.conftest import FakeClock, FakeSleep
from tests.observability.alerts.receivers import webhook_receiver
from tests.service.api.conftest import Api, running_api, service_settings


def _breaker(subject: str, to: str) -> GuardEvent:
    return GuardEvent(
        kind="breaker_transition",
        subject=subject,
        message=f"circuit breaker for {subject}: -> {to}",
        data={"to": to},
    )


def fire_history(store: Store, clock: FakeClock, sleep: FakeSleep) -> None:
    """Three episodes: anthropic's breaker opened and closed (resolved), then openai's opened
    and a month budget was exhausted (both firing); the webhook fails once for good."""
    with webhook_receiver(statuses=[500]) as hook:
        engine = AlertEngine(
            AlertConfig(channels=(WebhookChannelConfig(url=hook.url),), send_attempts=1),
            engine=store.engine,
            clock=clock,
            sleep=sleep,
        )
        try:
            engine.on_guard_event(_breaker("anthropic:claude", "open"))
            clock.advance(minutes=2)
            engine.on_guard_event(_breaker("anthropic:claude", "closed"))
            clock.advance(minutes=1)
            engine.on_guard_event(_breaker("openai:gpt-4o-mini", "open"))
            engine.on_guard_event(
                GuardEvent(kind="budget_exceeded", subject="month:2026-11", message="refused")
            )
            engine.flush()
        finally:
            engine.close()


@pytest.fixture
async def api(tmp_path: Path, clock: FakeClock, sleep: FakeSleep) -> AsyncIterator[Api]:
    async with running_api(service_settings(tmp_path)) as opened:
        fire_history(opened.store, clock, sleep)
        yield opened


async def test_api_lists_episodes_newest_first_with_deliveries(api: Api) -> None:
    """GET /api/alerts returns every episode newest first with state, times, sends and each
    delivery (the failed one carries a masked error)."""
    response = await api.client.get("/api/alerts", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    alerts = response.json()["alerts"]
    assert [(a["rule"], a["subject"], a["state"]) for a in alerts] == [
        ("budget_100", "month:2026-11", "firing"),
        ("breaker_open", "openai:gpt-4o-mini", "firing"),
        ("breaker_open", "anthropic:claude", "resolved"),
    ]
    resolved = alerts[2]
    assert resolved["sends"] == 2 and resolved["resolved_at"] is not None
    assert resolved["severity"] == "critical"
    assert [(d["notification"], d["outcome"]) for d in resolved["deliveries"]] == [
        ("firing", "failed"),
        ("resolved", "ok"),
    ]
    error = resolved["deliveries"][0]["error"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\*\*\* answered HTTP 500", error), error
    assert "SECRET-TOKEN" not in response.text


async def test_api_filters_by_state_and_bounds_the_limit(api: Api) -> None:
    """state=firing|resolved|all filters; limit is 1..500; anything else is a 422 naming it."""
    read = api.auth("read")
    firing = (await api.client.get("/api/alerts?state=firing", headers=read)).json()["alerts"]
    assert {a["state"] for a in firing} == {"firing"} and len(firing) == 2
    resolved = (await api.client.get("/api/alerts?state=resolved", headers=read)).json()
    assert [a["subject"] for a in resolved["alerts"]] == ["anthropic:claude"]
    one = (await api.client.get("/api/alerts?limit=1&state=all", headers=read)).json()
    assert [a["rule"] for a in one["alerts"]] == ["budget_100"]
    for query in ("limit=0", "limit=501", "state=open"):
        bad = await api.client.get(f"/api/alerts?{query}", headers=read)
        assert bad.status_code == 422, query
        assert query.split("=")[0] in bad.text


async def test_api_needs_a_read_credential(api: Api) -> None:
    """Without a token the alert history is a 401, like every route that reads data."""
    response = await api.client.get("/api/alerts")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_api_is_in_the_openapi_document(api: Api) -> None:
    """The route and its response model are described in /openapi.json for clients."""
    spec = (await api.client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/alerts"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"state", "limit"}
    assert "AlertEpisodeOut" in spec["components"]["schemas"]


async def test_page_shows_firing_alerts_first_above_guard_events(api: Api) -> None:
    """The alerts page lists firing episodes before resolved ones with rule, subject,
    severity, times and channel outcomes, above the guard-event history."""
    GuardEventLog(api.store.engine)(
        GuardEvent(kind="rate_limited", subject="openai", message="waited 2 s for a slot")
    )
    response = await api.client.get("/alerts", headers={**api.auth("read"), "Accept": "text/html"})
    assert response.status_code == 200
    page = response.text
    history = page[page.index('id="alert-history"') : page.index("Guard events")]
    rows = re.findall(r'<tr class="alert-(\w+)">(.*?)</tr>', history, re.S)
    assert [state for state, _ in rows] == ["firing", "firing", "resolved"]
    resolved = rows[2][1]
    assert "breaker open" in resolved and "anthropic:claude" in resolved
    assert 'class="badge sev-critical"' in resolved
    assert "webhook ok" in resolved
    assert resolved.count("<time") == 3  # first sent, last sent, resolved
    assert "—" in rows[0][1]  # a firing alert has no resolved time
    assert page.index("alert-history") < page.index("waited 2 s for a slot")
    assert "SECRET-TOKEN" not in page
