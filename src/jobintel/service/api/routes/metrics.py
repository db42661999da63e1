"""``GET /metrics``: Prometheus text exposition, behind the ``read`` scope unless public.

``app.state.metrics_public = True`` serves it without credentials (for a Prometheus on a
private network); the default asks for a token with the ``read`` scope, so a scrape config
sends ``authorization: {credentials: <token>}``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from jobintel.observability.service import install_metrics
from jobintel.service.api.deps import get_settings, get_store, require

router = APIRouter(tags=["observability"])

_read = require("read")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, 401: {}, 403: {}},
    summary="Prometheus metrics (text exposition)",
)
async def metrics(request: Request) -> Response:
    if not getattr(request.app.state, "metrics_public", False):
        await _read(request)
    installed = install_metrics(request.app)
    await installed.refresh_from_store(get_store(request), get_settings(request))
    return Response(installed.exposition(), media_type=CONTENT_TYPE_LATEST)
