"""The FastAPI application: API routers, web pages, problem-details errors, lifespan."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from jobintel import __version__
from jobintel.service.api import routes
from jobintel.service.api.deps import LoginRequired
from jobintel.service.body_limit import OVERHEAD_BYTES, BodyLimit
from jobintel.settings import Settings
from jobintel.store import Store


def _routers(package: object) -> list[object]:
    found = []
    for info in pkgutil.iter_modules(package.__path__):  # type: ignore[attr-defined]
        module = importlib.import_module(f"{package.__name__}.{info.name}")  # type: ignore[attr-defined]
        router = getattr(module, "router", None)
        if router is not None:
            found.append(router)
    return found


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The service for ``settings``; the store is opened (and migrated) at startup."""
    from jobintel.observability import Metrics
    from jobintel.observability.telemetry import Telemetry
    from jobintel.service.executor import InProcessExecutor
    from jobintel.service.problems import install_problem_handlers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store or Store.open(settings.effective_database_url)
        try:
            metrics = Metrics()
            telemetry = Telemetry.from_settings(settings, app.state.store, metrics=metrics)
            app.state.metrics = metrics
            app.state.telemetry = telemetry
            app.state.executor = InProcessExecutor(
                app.state.store,
                settings,
                gateway_factory=telemetry.gateway,
                tracer=telemetry.tracer,
            )
            unsubscribe = telemetry.subscribe(app.state.executor.bus)
            async with telemetry.running():
                await app.state.executor.start()
                try:
                    yield
                finally:
                    # Runs interrupted by the shutdown still reach metrics and alerts.
                    await app.state.executor.aclose()
                    unsubscribe()
        finally:
            if own:
                app.state.store.close()

    app = FastAPI(
        title="jobintel",
        version=__version__,
        description="Self-hosted job-application pipeline: submit postings, follow runs, "
        "read dossiers, costs and budgets.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics_public = settings.metrics_public
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + OVERHEAD_BYTES)
    install_problem_handlers(app)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    for router in _routers(routes):
        app.include_router(router)  # type: ignore[arg-type]
    from jobintel.service import web

    for router in _routers(web):
        app.include_router(router)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    return app
