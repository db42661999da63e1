"""Anthropic's Messages wire API, through the official SDK with its retries off.

Structured output is one forced tool whose input schema is the requested JSON schema;
the answer text is that tool call's input as JSON. Usage is normalised so that
``input_tokens`` includes the cache reads and writes Anthropic reports separately, and
stop reasons are mapped to OpenAI's vocabulary ("stop", "length").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import anthropic
import httpx
from anthropic.types import MessageParam, ToolChoiceToolParam, ToolParam

from jobintel.providers.base import ChatRequest, ChatResult, RateLimitInfo, Usage
from jobintel.providers.errors import (
    ProviderMalformed,
    ProviderRejected,
)
from jobintel.providers.headers import header_int, parse_retry_after
from jobintel.providers.sdk_errors import SdkErrors, SdkErrorTypes

__all__ = ["AnthropicMessages"]

_KEY_SETTING = "JOBINTEL_ANTHROPIC_API_KEY"
_FINISH = {"end_turn": "stop", "tool_use": "stop", "stop_sequence": "stop", "max_tokens": "length"}


@dataclass(kw_only=True)
class _Collected:
    """An answer as it arrives: blocks, usage and stop reason."""

    texts: list[str] = field(default_factory=list)
    tool_json: dict[int, list[str]] = field(default_factory=dict)
    tool_names: dict[int, str] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    message_id: str | None = None
    model: str | None = None
    finished: bool = False


class AnthropicMessages:
    """A ``ChatProvider`` for ``POST {base_url}/v1/messages``."""

    def __init__(
        self, *, name: str, base_url: str | None, api_key: str, http_client: httpx.AsyncClient
    ) -> None:
        self.name = name
        self._key = api_key
        # An explicit key stops the SDK from looking for credentials in the environment;
        # an empty one is refused in complete() with the setting to fix.
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or "unset", base_url=base_url, http_client=http_client, max_retries=0
        )
        # Resolved here, as the OpenAI provider does, so a lazily imported resource (the
        # OpenAI SDK's takes about a second) never counts against a call's timeout.
        self._messages = self._client.messages
        self._host = urlsplit(str(self._client.base_url)).netloc.rpartition("@")[2]
        self._errors = SdkErrors(
            name=name,
            host=self._host,
            key=api_key,
            key_setting=_KEY_SETTING,
            types=SdkErrorTypes(
                timeout=anthropic.APITimeoutError,
                connection=anthropic.APIConnectionError,
                status=anthropic.APIStatusError,
                validation=anthropic.APIResponseValidationError,
                api=anthropic.APIError,
            ),
            options="tools",
            status_below_400_is_unavailable=True,
        )

    async def complete(self, request: ChatRequest) -> ChatResult:
        """One Messages call (streamed when ``request.stream``); raises ``ProviderError``."""
        if not self._key:
            raise ProviderRejected(self.name, f"no API key is set: set {_KEY_SETTING}")
        with self._errors.mapped(request.timeout_s, request.model):
            async with asyncio.timeout(request.timeout_s):
                if request.stream:
                    return await self._streamed(request)
                return await self._single(request)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the gateway, so it stays open."""

    def _options(self, request: ChatRequest) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages: list[MessageParam] = [
            {"role": "assistant" if m.role == "assistant" else "user", "content": m.content}
            for m in request.messages
            if m.role != "system"
        ]
        options: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": messages,
            "temperature": request.temperature,
            "timeout": request.timeout_s,
        }
        if system:
            options["system"] = system
        if request.json_schema is not None:
            name = request.schema_name or "answer"
            tool: ToolParam = {
                "name": name,
                "description": f"Record the {name} answer; its input must match the schema.",
                "input_schema": request.json_schema,
            }
            choice: ToolChoiceToolParam = {"type": "tool", "name": name}
            options["tools"] = [tool]
            options["tool_choice"] = choice
        return options

    async def _single(self, request: ChatRequest) -> ChatResult:
        raw = await self._messages.with_raw_response.create(**self._options(request))
        message = raw.parse()
        got = _Collected(message_id=message.id, model=message.model, finished=True)
        got.stop_reason = message.stop_reason
        usage = message.usage
        if usage is None:
            raise ProviderMalformed(self.name, "the answer has no usage")
        got.usage = {
            "input": usage.input_tokens,
            "cache_write": usage.cache_creation_input_tokens or 0,
            "cache_read": usage.cache_read_input_tokens or 0,
            "output": usage.output_tokens,
            "reasoning": usage.output_tokens_details.thinking_tokens
            if usage.output_tokens_details
            else 0,
        }
        for index, block in enumerate(message.content):
            if block.type == "text":
                got.texts.append(block.text)
            elif block.type == "tool_use":
                got.tool_names[index] = block.name
                got.tool_json[index] = [json.dumps(block.input)]
        return self._result(request, got, raw.headers)

    async def _streamed(self, request: ChatRequest) -> ChatResult:
        stream = await self._messages.create(**self._options(request), stream=True)
        got = _Collected()
        async with stream:
            async for event in stream:
                if event.type == "message_start":
                    usage = event.message.usage
                    got.message_id, got.model = event.message.id, event.message.model
                    got.usage = {
                        "input": usage.input_tokens,
                        "cache_write": usage.cache_creation_input_tokens or 0,
                        "cache_read": usage.cache_read_input_tokens or 0,
                        "output": usage.output_tokens,
                    }
                elif event.type == "content_block_start":
                    if event.content_block.type == "tool_use":
                        got.tool_names[event.index] = event.content_block.name
                        got.tool_json[event.index] = []
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta":
                        got.texts.append(event.delta.text)
                    elif event.delta.type == "input_json_delta":
                        got.tool_json.setdefault(event.index, []).append(event.delta.partial_json)
                elif event.type == "message_delta":
                    got.stop_reason = event.delta.stop_reason or got.stop_reason
                    _merge_delta_usage(got.usage, event.usage)
                elif event.type == "message_stop":
                    got.finished = True
        if not got.finished or not got.usage:
            raise ProviderMalformed(self.name, "the stream ended early, without message_stop")
        return self._result(request, got, stream.response.headers)

    def _result(
        self, request: ChatRequest, got: _Collected, headers: Mapping[str, str]
    ) -> ChatResult:
        text = "".join(got.texts)
        refusal = None
        if got.stop_reason == "refusal":
            # Text before the stop is a partial answer, not a reason: it is dropped.
            refusal, text = "the model declined (stop_reason refusal)", ""
        tools = [i for i, name in got.tool_names.items() if name == request.schema_name]
        if refusal is None and request.json_schema is not None and tools:
            text = "".join(got.tool_json.get(tools[0], [])) or "{}"
            try:
                text = json.dumps(json.loads(text))
            except ValueError:
                if got.stop_reason != "max_tokens":
                    raise ProviderMalformed(
                        self.name, "the tool call's input is not valid JSON"
                    ) from None
                # Cut off by max_tokens: hand back what came, the caller's validation says no.
        cache_read, cache_write = got.usage.get("cache_read", 0), got.usage.get("cache_write", 0)
        return ChatResult(
            text=text,
            usage=Usage(
                # Anthropic's input_tokens excludes cache reads and writes; ours includes them.
                input_tokens=got.usage.get("input", 0) + cache_read + cache_write,
                output_tokens=got.usage.get("output", 0),
                cached_read_tokens=cache_read,
                cache_write_tokens=cache_write,
                reasoning_tokens=got.usage.get("reasoning", 0),
            ),
            model=got.model or request.model,
            finish_reason=_FINISH.get(got.stop_reason or "", got.stop_reason),
            rate_limit=rate_limit_info(headers),
            request_id=headers.get("request-id") or got.message_id,
            refusal=refusal,
        )


def _merge_delta_usage(usage: dict[str, int], delta: Any) -> None:
    """``message_delta`` usage is cumulative; newer API versions repeat the input counts."""
    usage["output"] = delta.output_tokens
    for key, attr in (
        ("input", "input_tokens"),
        ("cache_write", "cache_creation_input_tokens"),
        ("cache_read", "cache_read_input_tokens"),
    ):
        value = getattr(delta, attr, None)
        if value is not None:
            usage[key] = value
    details = getattr(delta, "output_tokens_details", None)
    if details is not None:
        usage["reasoning"] = details.thinking_tokens


def _until(value: str | None) -> float | None:
    """Seconds from now until an RFC 3339 instant (never negative)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def rate_limit_info(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """What ``anthropic-ratelimit-*`` and ``retry-after`` headers say, if any.

    The combined ``tokens-*`` family is preferred; ``input-tokens-*`` is the fallback,
    being the limit a prompt-heavy workload meets first.
    """

    def pick(kind: str) -> str | None:
        for family in ("tokens", "input-tokens"):
            value = headers.get(f"anthropic-ratelimit-{family}-{kind}")
            if value is not None:
                return value
        return None

    info = RateLimitInfo(
        limit_requests=header_int(headers.get("anthropic-ratelimit-requests-limit")),
        remaining_requests=header_int(headers.get("anthropic-ratelimit-requests-remaining")),
        reset_requests_s=_until(headers.get("anthropic-ratelimit-requests-reset")),
        limit_tokens=header_int(pick("limit")),
        remaining_tokens=header_int(pick("remaining")),
        reset_tokens_s=_until(pick("reset")),
        retry_after_s=parse_retry_after(headers),
    )
    return None if info == RateLimitInfo() else info
