"""Liveness and readiness probes."""

from __future__ import annotations

from pathlib import Path

import httpx

from jobintel.service import create_app
from jobintel.store import Store
from tests.service.api.conftest import Api, service_settings


async def test_live_and_ready_with_a_migrated_database(api: Api) -> None:
    """/healthz says ok and /readyz says ready when the database is migrated, no login needed."""
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    assert (await api.client.get("/readyz")).json() == {"status": "ready"}


async def test_not_ready_while_migrations_are_pending(tmp_path: Path) -> None:
    """/readyz answers 503 (saying only that migrations are pending) on an unmigrated
    database, while /healthz still answers ok."""
    settings = service_settings(tmp_path)
    store = Store.open(settings.effective_database_url, migrate=False)
    app = create_app(settings, store=store)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            ready = await client.get("/readyz")
            live = await client.get("/healthz")
    finally:
        store.close()
    assert ready.status_code == 503
    assert ready.json()["detail"] == "database migrations are pending"
    assert live.status_code == 200
