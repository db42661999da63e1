"""The one door to every external service.

Every model call and every research call in jobintel goes through ``Gateway.call``; no
other code holds a provider. The guard (budgets, rate limits, circuit breakers, retries,
the cost ledger) wraps this single seam, and all providers share the gateway's one
``httpx.AsyncClient``, whose transport a test can replace to prove nothing bypasses it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar, overload

import httpx

from jobintel.errors import StrategyUnavailable
from jobintel.providers.base import (
    ChatProvider,
    ChatRequest,
    ChatResult,
    ResearchProvider,
    ScrapeRequest,
    ScrapeResult,
    SearchRequest,
    SearchResult,
    Usage,
)
from jobintel.settings import Settings

R = TypeVar("R", ChatResult, SearchResult, ScrapeResult)
Operation = Literal["chat", "search", "scrape"]


@dataclass(frozen=True, kw_only=True)
class CallMeta:
    """Who is calling: the ids every ledger row, metric and span is keyed by."""

    run_id: str | None = None
    job_id: int | None = None
    stage: str | None = None
    candidate_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """One attempt at an external call, as the gateway saw it."""

    meta: CallMeta
    service: str
    operation: Operation
    model: str | None
    usage: Usage
    latency_s: float
    outcome: str  # "ok" or the error class name
    error: str | None = None


Observer = Callable[[CallRecord], None]


class ServiceNotConfigured(StrategyUnavailable):
    """A stage asked for a service the settings do not provide."""


class Gateway:
    """Owns the providers and the shared HTTP client; the only way to call out."""

    def __init__(
        self,
        *,
        chat: Mapping[str, ChatProvider] | None = None,
        research: Mapping[str, ResearchProvider] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._chat = dict(chat or {})
        self._research = dict(research or {})
        self._http = http_client
        self._observers: list[Observer] = []

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> Gateway:
        """Providers for every configured route, all on one HTTP client using ``transport``."""
        from jobintel.providers.registry import build_chat_providers, build_research_providers

        # Each request carries its own deadline; this is only the backstop.
        http = httpx.AsyncClient(
            transport=transport, follow_redirects=False, timeout=httpx.Timeout(300.0)
        )
        chat = build_chat_providers(settings, http)
        research = build_research_providers(settings, http, llm_configured=bool(chat))
        return cls(chat=chat, research=research, http_client=http)

    @property
    def chat_services(self) -> frozenset[str]:
        return frozenset(self._chat)

    @property
    def research_services(self) -> tuple[str, ...]:
        return tuple(self._research)

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with a ``CallRecord`` after every attempt."""
        self._observers.append(observer)

    @overload
    async def call(self, meta: CallMeta, service: str, request: ChatRequest) -> ChatResult: ...
    @overload
    async def call(self, meta: CallMeta, service: str, request: SearchRequest) -> SearchResult: ...
    @overload
    async def call(self, meta: CallMeta, service: str, request: ScrapeRequest) -> ScrapeResult: ...

    async def call(
        self, meta: CallMeta, service: str, request: ChatRequest | SearchRequest | ScrapeRequest
    ) -> ChatResult | SearchResult | ScrapeResult:
        """Make one external call on behalf of ``meta``; the guard's single seam."""
        if isinstance(request, ChatRequest):
            chat = self._chat.get(service)
            if chat is None:
                raise ServiceNotConfigured(f"no chat provider {service!r} is configured")
            return await self._attempt(meta, service, "chat", request.model, chat.complete(request))
        provider = self._research.get(service)
        if provider is None:
            raise ServiceNotConfigured(f"no research provider {service!r} is configured")
        if isinstance(request, SearchRequest):
            return await self._attempt(meta, service, "search", None, provider.search(request))
        return await self._attempt(meta, service, "scrape", None, provider.scrape(request))

    async def _attempt(
        self,
        meta: CallMeta,
        service: str,
        operation: Operation,
        model: str | None,
        pending: Awaitable[R],
    ) -> R:
        started = time.perf_counter()
        try:
            result = await pending
        except BaseException as exc:  # cancellation too: the attempt still happened
            self._record(meta, service, operation, model, Usage(), started, exc)
            raise
        self._record(meta, service, operation, model, result.usage, started, None)
        return result

    def _record(
        self,
        meta: CallMeta,
        service: str,
        operation: Operation,
        model: str | None,
        usage: Usage,
        started: float,
        error: BaseException | None,
    ) -> None:
        record = CallRecord(
            meta=meta,
            service=service,
            operation=operation,
            model=model,
            usage=usage,
            latency_s=time.perf_counter() - started,
            outcome="ok" if error is None else type(error).__name__,
            error=None if error is None else str(error),
        )
        for observer in self._observers:
            observer(record)

    async def aclose(self) -> None:
        for chat in self._chat.values():
            await chat.aclose()
        for research in self._research.values():
            await research.aclose()
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
