"""OpenAI's ``POST /v1/chat/completions`` wire format, streamed (SSE) and not."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from jobintel.simulator.answers import ChatCall
from jobintel.simulator.chat import ChatAnswer, WireError, sse, text_chunks
from jobintel.simulator.limits import LimitSnapshot

_DEFAULT_MAX_TOKENS = 4096
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class OpenAIWire:
    route = "/v1/chat/completions"

    def api_key(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        return key.strip() if scheme.lower() == "bearer" else ""

    def parse(self, body: Any) -> ChatCall:
        if not isinstance(body, dict):
            raise WireError("the body must be a JSON object")
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(model, str) or not model:
            raise WireError("`model` is required")
        if not isinstance(messages, list) or not messages:
            raise WireError("`messages` must be a non-empty list")
        schema_name: str | None = None
        schema: dict[str, Any] | None = None
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema_name = spec.get("name")
            schema = spec.get("schema") or {"type": "object"}
        elif response_format.get("type") == "json_object":
            schema = {"type": "object"}
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        return ChatCall(
            model=model,
            messages=tuple(_message(m) for m in messages),
            max_tokens=int(max_tokens or _DEFAULT_MAX_TOKENS),
            schema_name=schema_name,
            json_schema=schema,
            stream=bool(body.get("stream")),
            options={
                "include_usage": bool((body.get("stream_options") or {}).get("include_usage"))
            },
        )

    def error(self, status: int, message: str, headers: dict[str, str]) -> Response:
        kind, code = _ERROR_TYPES.get(status, ("server_error" if status >= 500 else "error", None))
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return JSONResponse(body, status_code=status, headers=headers)

    def limit_headers(self, snapshot: LimitSnapshot) -> dict[str, str]:
        return snapshot.openai_headers()

    def respond(self, answer: ChatAnswer) -> Response:
        headers = {"x-request-id": answer.request_id, **answer.limits.openai_headers()}
        if answer.call.stream:
            return StreamingResponse(
                _events(answer), media_type="text/event-stream", headers=headers
            )
        body = json.dumps(_completion(answer))
        if answer.fault in ("malformed", "truncate"):
            body = body[: len(body) // 2]
        return Response(body, media_type="application/json", headers=headers)


def _message(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        raise WireError("each message needs a `role` and `content`")
    content = raw.get("content")
    if isinstance(content, list):  # content parts: keep the text ones
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return {"role": raw["role"], "content": content if isinstance(content, str) else ""}


def _usage(answer: ChatAnswer) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
        "prompt_tokens_details": {"cached_tokens": answer.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    if answer.cost_usd is not None:
        usage["cost"] = answer.cost_usd
    return usage


def _head(answer: ChatAnswer, kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{answer.request_id}",
        "object": kind,
        "created": int(time.time()),
        "model": answer.call.model,
        "system_fingerprint": "fp_jobintel_simulator",
    }


def _completion(answer: ChatAnswer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.reply.text, "refusal": None}
    if answer.fault == "refusal":
        message.update(content=None, refusal=answer.reply.text)
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": answer.reply.finish,
    }
    return {**_head(answer, "chat.completion"), "choices": [choice], "usage": _usage(answer)}


async def _events(answer: ChatAnswer) -> AsyncIterator[str]:
    include_usage = bool(answer.call.options.get("include_usage"))
    head = _head(answer, "chat.completion.chunk")
    extra = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**head, "choices": [choice], **extra})

    pieces = text_chunks(answer.reply.text)
    yield chunk({"role": "assistant", "content": ""})
    if answer.fault == "malformed":
        yield 'data: {"id": "chatcmpl-broken", "choices": [{\n\n'
        return
    if answer.fault == "truncate":
        for piece in pieces[: len(pieces) // 2]:
            yield chunk({"content": piece})
        return  # no finish_reason, no usage, no [DONE]: the connection just ends
    field = "refusal" if answer.fault == "refusal" else "content"
    for piece in pieces:
        yield chunk({field: piece})
    yield chunk({}, answer.reply.finish)
    if include_usage:
        yield sse({**head, "choices": [], "usage": _usage(answer)})
    yield sse("[DONE]")
