"""OpenAI's Chat Completions wire API: OpenAI, OpenRouter, Ollama, vLLM, any compatible URL.

Uses the official SDK on the gateway's shared HTTP client, with the SDK's retries off:
retrying is the guard's job. Every failure becomes one ``ProviderError`` subclass.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionMessageParam

from jobintel.providers.base import ChatRequest, ChatResult, Message, RateLimitInfo, Usage
from jobintel.providers.errors import (
    ProviderMalformed,
)
from jobintel.providers.headers import header_int, parse_retry_after
from jobintel.providers.sdk_errors import SdkErrors, SdkErrorTypes

__all__ = ["OpenAIChat", "parse_duration", "parse_retry_after"]

_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


class OpenAIChat:
    """A ``ChatProvider`` for any server speaking ``POST {base_url}/chat/completions``."""

    def __init__(
        self, *, name: str, base_url: str | None, api_key: str, http_client: httpx.AsyncClient
    ) -> None:
        self.name = name
        self._key = api_key
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=0
        )
        # The SDK imports its resource modules on first access (about a second): do it
        # here, not inside the first call's timeout.
        self._completions = self._client.chat.completions
        self._host = urlsplit(str(self._client.base_url)).netloc.rpartition("@")[2]
        self._errors = SdkErrors(
            name=name,
            host=self._host,
            key=api_key,
            key_setting=f"JOBINTEL_{name.upper()}_API_KEY",
            types=SdkErrorTypes(
                timeout=openai.APITimeoutError,
                connection=openai.APIConnectionError,
                status=openai.APIStatusError,
                validation=openai.APIResponseValidationError,
                api=openai.APIError,
            ),
            options="structured output",
        )

    async def complete(self, request: ChatRequest) -> ChatResult:
        """One chat completion (streamed when ``request.stream``); raises ``ProviderError``."""
        with self._errors.mapped(request.timeout_s, request.model):
            # httpx's timeouts are per network operation; asyncio's bounds the whole call.
            async with asyncio.timeout(request.timeout_s):
                if request.stream:
                    return await self._streamed(request)
                return await self._single(request)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the gateway, so it stays open."""

    def _options(self, request: ChatRequest) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages],
            "temperature": request.temperature,
            "timeout": request.timeout_s,
        }
        # OpenAI's newer models only accept max_completion_tokens; compatible servers
        # (Ollama, vLLM, OpenRouter) all understand max_tokens.
        limit_key = "max_completion_tokens" if self.name == "openai" else "max_tokens"
        options[limit_key] = request.max_tokens
        if request.max_price_per_mtok is not None:
            prompt, completion = request.max_price_per_mtok
            # OpenRouter refuses routes above these prices (USD per million tokens).
            options["extra_body"] = {
                "provider": {
                    "max_price": {"prompt": float(prompt), "completion": float(completion)}
                }
            }
        if request.json_schema is not None:
            name = _SCHEMA_NAME.sub("_", request.schema_name or "answer")[:64]
            options["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": request.json_schema, "strict": False},
            }
        return options

    async def _single(self, request: ChatRequest) -> ChatResult:
        raw = await self._completions.with_raw_response.create(**self._options(request))
        completion = raw.parse()
        if not completion.choices or completion.usage is None:
            raise ProviderMalformed(self.name, "the answer has no choices or no usage")
        choice = completion.choices[0]
        refusal = choice.message.refusal or _filtered(choice.finish_reason)
        if choice.message.content is None and not refusal:
            raise ProviderMalformed(self.name, "the answer has no text content")
        return ChatResult(
            text=choice.message.content or "",
            refusal=refusal or None,
            usage=_usage(completion.usage),
            model=completion.model or request.model,
            finish_reason=choice.finish_reason,
            reported_cost_usd=_cost(completion.usage),
            rate_limit=rate_limit_info(raw.headers),
            request_id=raw.headers.get("x-request-id") or completion.id,
        )

    async def _streamed(self, request: ChatRequest) -> ChatResult:
        stream = await self._completions.create(
            **self._options(request), stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        refused: list[str] = []
        finish: str | None = None
        usage: CompletionUsage | None = None
        model, response_id = request.model, None
        async with stream:
            async for chunk in stream:
                model, response_id = chunk.model or model, chunk.id or response_id
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        parts.append(choice.delta.content)
                    if choice.delta is not None and choice.delta.refusal:
                        refused.append(choice.delta.refusal)
                    finish = choice.finish_reason or finish
        if finish is None:
            raise ProviderMalformed(self.name, "the stream ended early, without a finish reason")
        # Some compatible servers ignore include_usage: a finished stream without usage is
        # reported as zero usage, which the guard charges at the reservation for a priced
        # model (and flags), and accepts for a free local one.
        headers = stream.response.headers
        return ChatResult(
            text="".join(parts),
            refusal="".join(refused) or _filtered(finish),
            usage=_usage(usage) if usage is not None else Usage(),
            model=model,
            finish_reason=finish,
            reported_cost_usd=_cost(usage) if usage is not None else None,
            rate_limit=rate_limit_info(headers),
            request_id=headers.get("x-request-id") or response_id,
        )


def _filtered(finish_reason: str | None) -> str | None:
    """The refusal a content filter's stop stands for (Azure, OpenRouter), else None."""
    if finish_reason == "content_filter":
        return "the provider's content filter stopped the answer (finish_reason content_filter)"
    return None


def _message(message: Message) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}


def _count(value: object) -> int:
    """A token count from the wire; anything but a non-negative integer is malformed."""
    count = value if isinstance(value, int) else int(str(value))  # "lots"/None: ValueError
    if count < 0:
        raise ValueError(f"negative token count {count}")
    return count


def _usage(usage: CompletionUsage) -> Usage:
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    return Usage(
        input_tokens=_count(usage.prompt_tokens),
        output_tokens=_count(usage.completion_tokens),
        cached_read_tokens=_count(prompt.cached_tokens or 0) if prompt else 0,
        reasoning_tokens=_count(completion.reasoning_tokens or 0) if completion else 0,
    )


def _cost(usage: CompletionUsage) -> Decimal | None:
    """OpenRouter's ``usage.cost``: what the call cost in USD, when the server says."""
    cost = (usage.model_extra or {}).get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float | str):
        return None
    try:
        return Decimal(str(cost))
    except InvalidOperation:
        return None


def parse_duration(value: str | None) -> float | None:
    """Seconds in an OpenAI reset header: ``20ms``, ``1s``, ``6m0s``, ``1h2m3.5s`` or ``12``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[u] for n, u in parts)


def rate_limit_info(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """What OpenAI-style ``x-ratelimit-*`` and ``retry-after`` headers say, if any."""
    info = RateLimitInfo(
        limit_requests=header_int(headers.get("x-ratelimit-limit-requests")),
        remaining_requests=header_int(headers.get("x-ratelimit-remaining-requests")),
        limit_tokens=header_int(headers.get("x-ratelimit-limit-tokens")),
        remaining_tokens=header_int(headers.get("x-ratelimit-remaining-tokens")),
        reset_requests_s=parse_duration(headers.get("x-ratelimit-reset-requests")),
        reset_tokens_s=parse_duration(headers.get("x-ratelimit-reset-tokens")),
        retry_after_s=parse_retry_after(headers),
    )
    return None if info == RateLimitInfo() else info
