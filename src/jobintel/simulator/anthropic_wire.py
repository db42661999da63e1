"""Anthropic's ``POST /v1/messages`` wire format, streamed (typed SSE events) and not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from jobintel.simulator.answers import ChatCall
from jobintel.simulator.chat import ChatAnswer, WireError, sse, text_chunks
from jobintel.simulator.limits import LimitSnapshot

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class AnthropicWire:
    route = "/v1/messages"

    def api_key(self, request: Request) -> str:
        key = request.headers.get("x-api-key", "").strip()
        if key:
            return key
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        return bearer.strip() if scheme.lower() == "bearer" else ""

    def parse(self, body: Any) -> ChatCall:
        if not isinstance(body, dict):
            raise WireError("the body must be a JSON object")
        model, max_tokens, messages = (
            body.get("model"),
            body.get("max_tokens"),
            body.get("messages"),
        )
        if not isinstance(model, str) or not model:
            raise WireError("model: Field required")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise WireError("max_tokens: Field required (a positive integer)")
        if not isinstance(messages, list) or not messages:
            raise WireError("messages: must be a non-empty list")
        turns = [{"role": str(m.get("role")), "content": _text(m.get("content"))} for m in messages]
        system = _text(body.get("system"))
        if system:
            turns.insert(0, {"role": "system", "content": system})
        tool = _forced_tool(body.get("tools") or [], body.get("tool_choice") or {})
        return ChatCall(
            model=model,
            messages=tuple(turns),
            max_tokens=max_tokens,
            schema_name=tool.get("name") if tool else None,
            json_schema=(tool.get("input_schema") or {"type": "object"}) if tool else None,
            stream=bool(body.get("stream")),
            options={"tool": tool.get("name")} if tool else {},
        )

    def error(self, status: int, message: str, headers: dict[str, str]) -> Response:
        kind = _ERROR_TYPES.get(status, "api_error")
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)

    def limit_headers(self, snapshot: LimitSnapshot) -> dict[str, str]:
        return snapshot.anthropic_headers()

    def respond(self, answer: ChatAnswer) -> Response:
        headers = {"request-id": answer.request_id, **answer.limits.anthropic_headers()}
        if answer.call.stream:
            return StreamingResponse(
                _events(answer), media_type="text/event-stream", headers=headers
            )
        message = {**_message_head(answer), "content": [_block(answer, full=True)]}
        message["stop_reason"] = _stop_reason(answer)
        message["usage"] = {**_usage(answer), "output_tokens": answer.output_tokens}
        body = json.dumps(message)
        if answer.fault in ("malformed", "truncate"):
            body = body[: len(body) // 2]
        return Response(body, media_type="application/json", headers=headers)


def _text(content: Any) -> str:
    """The text of a string, or of a list of content blocks (text, tool use, tool results)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_use":
            parts.append(json.dumps(block.get("input", {})))
        elif block.get("type") == "tool_result":
            parts.append(_text(block.get("content")))
        else:
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def _forced_tool(tools: Any, choice: Any) -> dict[str, Any] | None:
    """The tool the model must call, when ``tool_choice`` forces one."""
    if not isinstance(tools, list) or not isinstance(choice, dict):
        return None
    named = [t for t in tools if isinstance(t, dict) and t.get("name")]
    if choice.get("type") == "tool":
        for tool in named:
            if tool["name"] == choice.get("name"):
                return tool
        raise WireError(f"tool_choice names {choice.get('name')!r}, which is not in tools")
    if choice.get("type") == "any" and named:
        return named[0]
    return None


def _message_head(answer: ChatAnswer) -> dict[str, Any]:
    return {
        "id": f"msg_{answer.request_id}",
        "type": "message",
        "role": "assistant",
        "model": answer.call.model,
        "stop_sequence": None,
    }


def _usage(answer: ChatAnswer) -> dict[str, Any]:
    # Anthropic's input_tokens excludes the tokens read from (or written to) the cache.
    return {
        "input_tokens": answer.input_tokens - answer.cached_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": answer.cached_tokens,
    }


def _stop_reason(answer: ChatAnswer) -> str:
    if answer.fault == "refusal":
        return "refusal"
    if answer.reply.finish == "length":
        return "max_tokens"
    return "tool_use" if answer.call.options.get("tool") else "end_turn"


def _block(answer: ChatAnswer, *, full: bool) -> dict[str, Any]:
    tool = answer.call.options.get("tool")
    if tool and answer.fault != "refusal":
        value = answer.reply.value if isinstance(answer.reply.value, dict) and full else {}
        return {
            "type": "tool_use",
            "id": f"toolu_{answer.request_id}",
            "name": tool,
            "input": value,
        }
    return {"type": "text", "text": answer.reply.text if full else ""}


async def _events(answer: ChatAnswer) -> AsyncIterator[str]:
    start = {**_message_head(answer), "content": [], "stop_reason": None}
    start["usage"] = {**_usage(answer), "output_tokens": 1}
    yield sse({"type": "message_start", "message": start}, "message_start")
    block = _block(answer, full=False)
    yield sse(
        {"type": "content_block_start", "index": 0, "content_block": block}, "content_block_start"
    )
    yield sse({"type": "ping"}, "ping")
    if answer.fault == "malformed":
        yield 'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
        return
    pieces = text_chunks(answer.reply.text)
    if answer.fault == "truncate":
        pieces = pieces[: len(pieces) // 2]
    for piece in pieces:
        if block["type"] == "tool_use":
            delta = {"type": "input_json_delta", "partial_json": piece}
        else:
            delta = {"type": "text_delta", "text": piece}
        event = {"type": "content_block_delta", "index": 0, "delta": delta}
        yield sse(event, "content_block_delta")
    if answer.fault == "truncate":
        return  # no content_block_stop, message_delta or message_stop
    yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(answer), "stop_sequence": None},
        "usage": {"output_tokens": answer.output_tokens},
    }
    yield sse(end, "message_delta")
    yield sse({"type": "message_stop"}, "message_stop")
