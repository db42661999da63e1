"""The provider interface: typed requests and results every wire API speaks.

A provider owns its auth, base URL and HTTP client; it turns one request into one
result or one ``ProviderError``. Providers never retry, never wait and never count
money: the gateway (``jobintel.guard.gateway``) does, in front of every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, kw_only=True)
class ModelRef:
    """A ``provider:model`` route, e.g. ``openai:gpt-4o-mini`` or ``ollama:llama3.1``."""

    provider: str
    model: str

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        provider, sep, model = text.strip().partition(":")
        if not sep or not provider or not model:
            raise ValueError(
                f"model route {text!r} is not provider:model: write e.g. openai:gpt-4o-mini, "
                "anthropic:claude-haiku-4-5 or ollama:llama3.1"
            )
        return cls(provider=provider.strip().lower(), model=model.strip())

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True, kw_only=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, kw_only=True)
class ChatRequest:
    """One chat completion; ``json_schema`` asks for structured output named ``schema_name``."""

    model: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.0
    schema_name: str | None = None
    json_schema: dict[str, Any] | None = None
    stream: bool = False
    timeout_s: float = 60.0
    #: Highest (input, output) USD per million tokens the provider may route to; set by the
    #: guard for routers such as OpenRouter so a reported cost never exceeds the reservation.
    max_price_per_mtok: tuple[Decimal, Decimal] | None = None


@dataclass(frozen=True, kw_only=True)
class Usage:
    """Normalised token usage; the cached, cache-write and reasoning counts are sub-counts.

    ``input_tokens`` includes ``cached_read_tokens`` and ``cache_write_tokens``;
    ``output_tokens`` includes ``reasoning_tokens``. Research APIs report ``credits``.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    credits: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, kw_only=True)
class RateLimitInfo:
    """What a provider's ``x-ratelimit-*`` / ``retry-after`` headers said, when it sent them."""

    limit_requests: int | None = None
    remaining_requests: int | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_requests_s: float | None = None
    reset_tokens_s: float | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class ChatResult:
    text: str
    usage: Usage
    model: str
    finish_reason: str | None = None
    reported_cost_usd: Decimal | None = None
    rate_limit: RateLimitInfo | None = None
    request_id: str | None = None
    #: What the model said instead of answering, when it declined the task. The answer is
    #: still paid for; ``text`` is then empty and the caller raises ``ModelRefused``.
    refusal: str | None = None


@dataclass(frozen=True, kw_only=True)
class SearchRequest:
    query: str
    limit: int = 5
    timeout_s: float = 30.0


@dataclass(frozen=True, kw_only=True)
class ScrapeRequest:
    url: str
    timeout_s: float = 30.0


@dataclass(frozen=True, kw_only=True)
class Page:
    """A fetched page reduced to its main text."""

    url: str
    title: str = ""
    text: str = ""
    status: int = 200


@dataclass(frozen=True, kw_only=True)
class SearchHit:
    url: str
    title: str = ""
    description: str = ""
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, kw_only=True)
class ScrapeResult:
    page: Page
    usage: Usage = field(default_factory=Usage)


@runtime_checkable
class ChatProvider(Protocol):
    """A chat-completion wire API (OpenAI-compatible, Anthropic, ...)."""

    #: Service name used for routing, limits, breakers and the ledger ("openai", "ollama").
    name: str

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Send one request (streamed if ``request.stream``); raise ``ProviderError``."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ResearchProvider(Protocol):
    """A web-research API: search the web and/or scrape one page."""

    name: str

    async def search(self, request: SearchRequest) -> SearchResult: ...

    async def scrape(self, request: ScrapeRequest) -> ScrapeResult: ...

    async def aclose(self) -> None: ...
