"""The one door to every external service.

Every model call and every research call in jobintel goes through ``Gateway.call``; no
other code holds a provider. Each call passes the guard (``jobintel.guard.call``):
budgets, rate limits, the circuit breaker, retries and the cost ledger. All providers
share the gateway's one ``httpx.AsyncClient``, whose transport a test can replace to
prove that nothing reaches the network any other way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from typing import overload

import httpx
from sqlalchemy import Engine

from jobintel.errors import StrategyUnavailable
from jobintel.guard.budget import BudgetLimits
from jobintel.guard.call import CallMeta, CallRecord, Guard, Operation, R, Request
from jobintel.guard.events import EventSink, ignore_events
from jobintel.guard.policies import build_guard, in_memory_guard
from jobintel.providers.base import (
    ChatProvider,
    ChatRequest,
    ChatResult,
    ResearchProvider,
    ScrapeRequest,
    ScrapeResult,
    SearchRequest,
    SearchResult,
)
from jobintel.settings import Settings

log = logging.getLogger("jobintel.guard")

Observer = Callable[[CallRecord], None]
#: Context around one whole call: ``scope(meta, service, operation, model)``.
CallScope = Callable[[CallMeta, str, str, str | None], AbstractContextManager[object]]


class ServiceNotConfigured(StrategyUnavailable):
    """A stage asked for a service the settings do not provide."""


class Gateway:
    """Owns the providers, the shared HTTP client and the guard; the only way to call out."""

    def __init__(
        self,
        *,
        chat: Mapping[str, ChatProvider] | None = None,
        research: Mapping[str, ResearchProvider] | None = None,
        http_client: httpx.AsyncClient | None = None,
        guard: Guard | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self._on_event = on_event
        self._chat = dict(chat or {})
        self._research = dict(research or {})
        self._http = http_client
        self.guard = guard or in_memory_guard()
        self._observers: list[Observer] = []
        self._scopes: list[CallScope] = []

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        engine: Engine | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: EventSink = ignore_events,
        limits: BudgetLimits | None = None,
    ) -> Gateway:
        """Providers for every configured route on one HTTP client, behind the guard.

        With ``engine`` (the store's), budgets, limits, breakers and the ledger are shared
        by every process using that database; without it they live in this process.
        """
        from jobintel.providers.registry import build_chat_providers, build_research_providers

        # Each request carries its own deadline; this is only the backstop.
        http = httpx.AsyncClient(
            transport=transport, follow_redirects=False, timeout=httpx.Timeout(300.0)
        )
        chat = build_chat_providers(settings, http)
        research = build_research_providers(settings, http, llm_configured=bool(chat))
        guard = build_guard(settings, engine=engine, on_event=on_event, limits=limits)
        return cls(chat=chat, research=research, http_client=http, guard=guard, on_event=on_event)

    @property
    def chat_services(self) -> frozenset[str]:
        return frozenset(self._chat)

    @property
    def research_services(self) -> tuple[str, ...]:
        return tuple(self._research)

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with a ``CallRecord`` after every attempt (inside the call's
        scopes, so it sees their context: the call's span, for instance)."""
        self._observers.append(observer)

    def around(self, scope: CallScope) -> None:
        """Enter ``scope(meta, service, operation, model)`` around every call, retries
        included (an in-flight gauge, a tracing span); scopes nest in the order added."""
        self._scopes.append(scope)

    @overload
    async def call(self, meta: CallMeta, service: str, request: ChatRequest) -> ChatResult: ...
    @overload
    async def call(self, meta: CallMeta, service: str, request: SearchRequest) -> SearchResult: ...
    @overload
    async def call(self, meta: CallMeta, service: str, request: ScrapeRequest) -> ScrapeResult: ...

    async def call(
        self, meta: CallMeta, service: str, request: ChatRequest | SearchRequest | ScrapeRequest
    ) -> ChatResult | SearchResult | ScrapeResult:
        """Make one external call on behalf of ``meta``, through every step of the guard."""
        if isinstance(request, ChatRequest):
            chat = self._chat.get(service)
            if chat is None:
                raise ServiceNotConfigured(f"no chat provider {service!r} is configured")

            async def complete(req: Request) -> ChatResult:
                assert isinstance(req, ChatRequest)
                return await chat.complete(req)

            return await self._guarded(meta, service, "chat", request.model, request, complete)
        provider = self._research.get(service)
        if provider is None:
            raise ServiceNotConfigured(f"no research provider {service!r} is configured")
        if isinstance(request, SearchRequest):

            async def search(req: Request) -> SearchResult:
                assert isinstance(req, SearchRequest)
                return await provider.search(req)

            return await self._guarded(meta, service, "search", None, request, search)

        async def scrape(req: Request) -> ScrapeResult:
            assert isinstance(req, ScrapeRequest)
            return await provider.scrape(req)

        return await self._guarded(meta, service, "scrape", None, request, scrape)

    async def _guarded(
        self,
        meta: CallMeta,
        service: str,
        operation: Operation,
        model: str | None,
        request: Request,
        send: Callable[[Request], Awaitable[R]],
    ) -> R:
        if not self._scopes:
            return await self.guard.call(
                meta, service, operation, model, request, send, self._notify
            )
        with ExitStack() as stack:
            for scope in self._scopes:
                stack.enter_context(scope(meta, service, operation, model))
            return await self.guard.call(
                meta, service, operation, model, request, send, self._notify
            )

    def _notify(self, record: CallRecord) -> None:
        # Observers report; they must never fail a call (nor a paid answer) nor each other.
        for observer in self._observers:
            try:
                observer(record)
            except Exception:
                log.exception("call observer %r failed", observer)

    async def aclose(self) -> None:
        for chat in self._chat.values():
            await chat.aclose()
        for research in self._research.values():
            await research.aclose()
        if self._http is not None:
            await self._http.aclose()
        close = getattr(self._on_event, "close", None)
        if callable(close):  # e.g. GuardEventLog: store what is still queued
            await asyncio.to_thread(close)

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
