"""FireCrawl's v1 ``/search`` and ``/scrape`` endpoints over synthetic pages."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobintel.simulator.faults import RETRY_AFTER_FAULTS, hold
from jobintel.simulator.pages import (
    SyntheticPage,
    company_from_url,
    make_page,
    search_pages,
    topic_from_url,
)
from jobintel.simulator.state import SimulatorState

SEARCH_ROUTE = "/firecrawl/v1/search"
SCRAPE_ROUTE = "/firecrawl/v1/scrape"
#: Rate limits for FireCrawl are counted under this key (requests only, no tokens).
LIMIT_KEY = "firecrawl"


class _BadRequest(Exception):
    pass


async def search(state: SimulatorState, request: Request) -> Response:
    async def answer(body: dict[str, Any]) -> dict[str, Any]:
        query, limit = body.get("query"), body.get("limit", 5)
        if not isinstance(query, str) or not query.strip():
            raise _BadRequest("`query` must be a non-empty string")
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise _BadRequest("`limit` must be an integer from 1 to 100")
        pages = search_pages(query, limit)
        data = [{**_meta_fields(p), "markdown": p.markdown, "metadata": _meta(p)} for p in pages]
        return {"success": True, "data": data, "creditsUsed": len(data)}

    return await _serve(state, request, SEARCH_ROUTE, answer)


async def scrape(state: SimulatorState, request: Request) -> Response:
    async def answer(body: dict[str, Any]) -> dict[str, Any]:
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _BadRequest("`url` must be an http(s) URL")
        page = make_page(company_from_url(url), topic_from_url(url))
        meta = {**_meta(page), "sourceURL": url}
        return {
            "success": True,
            "data": {"markdown": page.markdown, "metadata": meta},
            "creditsUsed": 1,
        }

    return await _serve(state, request, SCRAPE_ROUTE, answer)


def _meta_fields(page: SyntheticPage) -> dict[str, str]:
    return {"url": page.url, "title": page.title, "description": page.description}


def _meta(page: SyntheticPage) -> dict[str, Any]:
    return {
        "title": page.title,
        "description": page.description,
        "sourceURL": page.url,
        "statusCode": 200,
        "simulated": True,
        "generator": "jobintel provider simulator",
    }


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"success": False, "error": message}, status_code=status, headers=headers)


async def _serve(state: SimulatorState, request: Request, route: str, answer: Any) -> Response:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        state.count(route)
        return _error(401, "Unauthorized: send Authorization: Bearer <api key>")
    try:
        body = json.loads(await request.body())
        if not isinstance(body, dict):
            raise _BadRequest("the body must be a JSON object")
        payload: dict[str, Any] = await answer(body)
    except (ValueError, _BadRequest) as exc:
        state.count(route)
        return _error(400, f"Bad Request: {exc}")
    ticket = state.begin(route)
    await asyncio.sleep(ticket.latency_s)
    if ticket.fault == "timeout":
        if await hold(request, ticket.config.timeout_hold_s):
            return _error(504, "simulated timeout")
        return Response(status_code=499)
    if ticket.fault[0].isdigit():
        retry = {"retry-after": str(ticket.config.fault_retry_after_s)}
        headers = retry if ticket.fault in RETRY_AFTER_FAULTS else None
        return _error(int(ticket.fault), f"simulated HTTP {ticket.fault} fault", headers)
    admission = state.admit(LIMIT_KEY, 0)
    if not admission.allowed:
        headers = {"retry-after": admission.retry_after_header}
        return _error(429, f"Rate limit exceeded: {admission.reason}", headers)
    if ticket.fault == "invalid":
        return _error(200, "simulated: the scrape produced no content")
    text = json.dumps(payload)
    if ticket.fault in ("malformed", "truncate"):
        text = text[: len(text) // 2]
    return Response(text, media_type="application/json")
