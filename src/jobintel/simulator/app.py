"""The simulator as an ASGI app: provider routes plus ``/_sim/*`` control routes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobintel.simulator import firecrawl_wire
from jobintel.simulator.answers import preload_responders
from jobintel.simulator.anthropic_wire import AnthropicWire
from jobintel.simulator.chat import serve_chat
from jobintel.simulator.config import SimulatorConfig
from jobintel.simulator.openai_wire import OpenAIWire
from jobintel.simulator.state import SimulatorState


def create_app(
    config: SimulatorConfig | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    state: SimulatorState | None = None,
) -> Starlette:
    """The simulator app; ``clock`` drives the rate-limit windows (tests pass a fake)."""
    state = state or SimulatorState(config or SimulatorConfig(), clock)
    preload_responders()
    openai_wire, anthropic_wire = OpenAIWire(), AnthropicWire()

    async def chat_completions(request: Request) -> Response:
        return await serve_chat(state, request, openai_wire)

    async def messages(request: Request) -> Response:
        return await serve_chat(state, request, anthropic_wire)

    async def search(request: Request) -> Response:
        return await firecrawl_wire.search(state, request)

    async def scrape(request: Request) -> Response:
        return await firecrawl_wire.scrape(state, request)

    async def config_route(request: Request) -> Response:
        if request.method == "POST":
            try:
                changes = json.loads(await request.body() or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("send a JSON object of the settings to change")
                state.configure(changes)
            except ValidationError as exc:
                return JSONResponse({"error": _problems(exc)}, status_code=400)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        body = state.config.model_dump(mode="json")
        body["fault_script_remaining"] = list(state.remaining_script())
        return JSONResponse(body)

    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats().model_dump(mode="json"))

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route(firecrawl_wire.SEARCH_ROUTE, search, methods=["POST"]),
            Route(firecrawl_wire.SCRAPE_ROUTE, scrape, methods=["POST"]),
            Route("/_sim/config", config_route, methods=["GET", "POST"]),
            Route("/_sim/stats", stats, methods=["GET"]),
            Route("/_sim/reset", reset, methods=["POST"]),
        ]
    )
    app.state.simulator = state
    return app


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
    )
