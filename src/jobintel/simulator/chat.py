"""The life of one simulated chat request, shared by the OpenAI and Anthropic wires.

Arrival (count, fault, latency), scripted faults, rate limits, the answer, usage and
prompt caching happen here; a ``ChatWire`` only parses its request format and writes
its response format.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from jobintel.simulator.answers import REFUSAL, ChatCall, Reply, ResponderFailed, compose
from jobintel.simulator.faults import RETRY_AFTER_FAULTS, hold
from jobintel.simulator.limits import LimitSnapshot
from jobintel.simulator.state import SimulatorState
from jobintel.simulator.tokens import count_tokens, prompt_tokens

log = logging.getLogger(__name__)


class WireError(Exception):
    """The request is not valid for this wire format (a 400 answer)."""


@dataclass(frozen=True, kw_only=True)
class ChatAnswer:
    """Everything a wire needs to write a successful response."""

    call: ChatCall
    reply: Reply
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    limits: LimitSnapshot
    request_id: str
    #: "ok", "malformed" / "truncate" to corrupt the response on the wire, or "refusal":
    #: ``reply`` is the model declining, which each wire marks as its API does.
    fault: str
    cost_usd: float | None


class ChatWire(Protocol):
    route: str

    def api_key(self, request: Request) -> str:
        """The key the client presented ("" when none)."""
        ...

    def parse(self, body: Any) -> ChatCall: ...

    def error(self, status: int, message: str, headers: dict[str, str]) -> Response: ...

    def limit_headers(self, snapshot: LimitSnapshot) -> dict[str, str]: ...

    def respond(self, answer: ChatAnswer) -> Response: ...


async def serve_chat(state: SimulatorState, request: Request, wire: ChatWire) -> Response:
    """Answer one chat request the way the configured provider would."""
    raw = await request.body()
    try:
        call = wire.parse(json.loads(raw))
    except (ValueError, TypeError, AttributeError, WireError) as exc:
        state.count(wire.route)
        return wire.error(400, f"invalid request: {exc}", {})
    if not wire.api_key(request):
        state.count(wire.route)
        return wire.error(401, "missing or empty API key", {})
    ticket = state.begin(wire.route, stream=call.stream)
    config, fault = ticket.config, ticket.fault
    await asyncio.sleep(ticket.latency_s)
    if fault == "timeout":
        if await hold(request, config.timeout_hold_s):
            return wire.error(504, "simulated timeout: the answer took too long", {})
        return Response(status_code=499)  # the client hung up; nobody reads this
    if fault[0].isdigit():
        retry_after = fault in RETRY_AFTER_FAULTS
        headers = {"retry-after": str(config.fault_retry_after_s)} if retry_after else {}
        message = f"simulated HTTP {fault} fault"
        if fault == "401":  # like OpenAI, echo the key back: clients must not repeat it
            message = f"Incorrect API key provided: {wire.api_key(request)}"
        return wire.error(int(fault), message, headers)

    input_tokens = prompt_tokens(call.messages, call.json_schema)
    admission = state.admit(call.model, input_tokens + call.max_tokens)
    if not admission.allowed:
        headers = wire.limit_headers(admission.snapshot)
        headers["retry-after"] = admission.retry_after_header
        message = (
            f"Rate limit reached for {call.model} on {admission.reason}. "
            f"Please try again in {admission.retry_after_s:.3f}s."
        )
        return wire.error(429, message, headers)
    try:
        if fault == "refusal":
            reply = Reply(text=REFUSAL, value=None, finish="stop", structured=False)
        else:
            reply = compose(
                call, invalid=fault == "invalid", enforce_max_tokens=config.enforce_max_tokens
            )
    except ResponderFailed as exc:
        log.exception("simulator responder failed")
        return wire.error(500, str(exc), {})
    output_tokens = count_tokens(reply.text)
    limits = state.settle(call.model, admission, input_tokens + output_tokens)
    cached = state.cached_tokens(call.model, call.messages)
    state.count_usage(input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached)
    cost = None
    if config.cost_usd_per_mtok is not None:
        cost = round((input_tokens + output_tokens) * config.cost_usd_per_mtok / 1e6, 10)
    return wire.respond(
        ChatAnswer(
            call=call,
            reply=reply,
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output_tokens,
            limits=limits,
            request_id=ticket.request_id,
            fault=fault if fault in ("malformed", "truncate", "refusal") else "ok",
            cost_usd=cost,
        )
    )


def text_chunks(text: str, *, size: int = 24, most: int = 64) -> list[str]:
    """``text`` in pieces as a model streams them: short, but never too many."""
    if not text:
        return []
    size = max(size, -(-len(text) // most))
    return [text[i : i + size] for i in range(0, len(text), size)]


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event carrying ``data`` as compact JSON (or a raw string)."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {payload}\n\n"
