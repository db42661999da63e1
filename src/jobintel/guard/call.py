"""One guarded external call: budget, rate limit, breaker, retries and the ledger, in order.

Per attempt: reserve the worst-case cost against every budget scope (``BudgetExceeded``
and no call when any scope cannot cover it) -> wait for rate-limit room (bounded) -> ask
the service's circuit breaker -> call the provider -> tell the breaker how it went ->
settle the limiter to actual tokens (tightened by the provider's headers, paused by its
``Retry-After``) -> settle the budget to the actual cost -> write one ledger row.
Retries (tenacity: exponential backoff with jitter, ``Retry-After`` honoured, bounded by
the call's deadline) wrap the attempts, so every attempt passes every step.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from jobintel.guard.breaker import CircuitBreaker
from jobintel.guard.budget import BudgetLimits, Budgets, scopes_for
from jobintel.guard.ledger import Ledger, LedgerEntry
from jobintel.guard.pricing import PriceBook
from jobintel.guard.ratelimit import RateLimiter
from jobintel.guard.tokens import estimate_tokens, input_token_bound, worst_case_credits
from jobintel.providers.base import (
    ChatRequest,
    ChatResult,
    ScrapeRequest,
    ScrapeResult,
    SearchRequest,
    SearchResult,
    Usage,
)
from jobintel.providers.errors import (
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderTimeout,
)

R = TypeVar("R", ChatResult, SearchResult, ScrapeResult)
Request = ChatRequest | SearchRequest | ScrapeRequest
Operation = Literal["chat", "search", "scrape"]
ZERO = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long one call may be tried."""

    attempts: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 20.0
    #: Bound on the whole call: every attempt, every wait between them.
    deadline_s: float = 180.0


@dataclass(frozen=True, kw_only=True)
class CallMeta:
    """Who is calling: the ids every ledger row, metric and span is keyed by."""

    run_id: str | None = None
    job_id: int | None = None
    stage: str | None = None
    candidate_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """One attempt at an external call, as the guard saw it (for observers: tests, benches)."""

    meta: CallMeta
    service: str
    operation: Operation
    model: str | None
    attempt: int
    usage: Usage
    cost_usd: Decimal
    latency_s: float
    outcome: str
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class AttemptTag:
    """Identifies the guarded attempt an outgoing HTTP request belongs to."""

    service: str
    stage: str | None
    run_id: str | None
    attempt: int


_CURRENT: contextvars.ContextVar[AttemptTag | None] = contextvars.ContextVar(
    "jobintel_guarded_attempt", default=None
)


def current_attempt() -> AttemptTag | None:
    """The guarded attempt in progress in this task, or None outside the guard.

    A transport can use it to prove that a request was issued from inside ``Guard.call``.
    """
    return _CURRENT.get()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _billable_failure(exc: BaseException) -> bool:
    """A failure after which the provider may still bill the tokens it produced."""
    return isinstance(exc, ProviderTimeout | ProviderMalformed)


@dataclass(kw_only=True)
class Guard:
    """The guard's components and policies; ``call`` runs one external call through them."""

    budgets: Budgets
    limiter: RateLimiter
    breaker: CircuitBreaker
    prices: PriceBook
    ledger: Ledger
    limits: BudgetLimits
    retry: RetryPolicy
    #: Longest wait for rate-limit room (None: each key's policy decides).
    max_wait_s: float | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def call(
        self,
        meta: CallMeta,
        service: str,
        operation: Operation,
        model: str | None,
        request: Request,
        send: Callable[[Request], Awaitable[R]],
        observe: Callable[[CallRecord], None],
    ) -> R:
        """``send(request)`` through every step of the guard, retried within the deadline."""
        started = time.monotonic()
        deadline = started + self.retry.deadline_s

        jittered = wait_exponential_jitter(
            multiplier=self.retry.backoff_s,
            jitter=self.retry.backoff_s,
            max=self.retry.max_backoff_s,
        )

        def wait(state: RetryCallState) -> float:
            backoff = jittered(state)
            outcome = state.outcome
            exc = outcome.exception() if outcome is not None else None
            if isinstance(exc, ProviderRateLimited) and exc.retry_after_s:
                return max(backoff, exc.retry_after_s)
            return backoff

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts) | stop_before_delay(self.retry.deadline_s),
            wait=wait,
            retry=retry_if_exception(_retryable),
            sleep=self.sleep,
            reraise=True,
        )
        number = 0
        async for attempt in retrying:
            with attempt:
                number += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProviderTimeout(
                        service, f"call deadline of {self.retry.deadline_s:.0f} s"
                    )
                bounded = replace(request, timeout_s=min(request.timeout_s, remaining))
                last = number >= self.retry.attempts
                return await self._attempt(
                    meta, service, operation, model, bounded, send, observe, number, last
                )
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _record(self, entry: LedgerEntry) -> None:
        if getattr(self.ledger, "blocking", True):
            await asyncio.to_thread(self.ledger.record, entry)
        else:
            self.ledger.record(entry)

    async def _attempt(
        self,
        meta: CallMeta,
        service: str,
        operation: Operation,
        model: str | None,
        request: Request,
        send: Callable[[Request], Awaitable[R]],
        observe: Callable[[CallRecord], None],
        number: int,
        last: bool,
    ) -> R:
        key = f"{service}:{model}" if model else service
        began = time.perf_counter()
        state: str | None = None
        worst = ZERO
        held = None
        try:
            # 1. Budget: the worst case, against every scope at once.
            worst = self.prices.worst_case_usd(service, model, request)
            tokens = 0
            if isinstance(request, ChatRequest):
                tokens = input_token_bound(request) + request.max_tokens
            scopes = scopes_for(
                self.limits,
                run_id=meta.run_id,
                job_id=meta.job_id,
                stage=meta.stage,
                candidate_id=meta.candidate_id,
                now=datetime.now(UTC),
            )
            held = await self.budgets.reserve(scopes, worst, tokens)
            # 2. Rate limit: tokens (estimated) and credits (worst case) up front.
            if isinstance(request, ChatRequest):
                permit = await self.limiter.acquire(
                    key, tokens=estimate_tokens(request), max_wait_s=self.max_wait_s
                )
            else:
                permit = await self.limiter.acquire(
                    key, tokens=0, credits=worst_case_credits(request), max_wait_s=self.max_wait_s
                )
            try:
                # 3. Breaker: fail fast while the service is down.
                ticket = await self.breaker.allow(service)
                state = "half_open" if ticket.probe else "closed"
                tag = AttemptTag(
                    service=service, stage=meta.stage, run_id=meta.run_id, attempt=number
                )
                marker = _CURRENT.set(tag)
                try:
                    result = await send(request)
                except BaseException as exc:
                    await asyncio.shield(
                        self.breaker.record(ticket, self.breaker.classify(service, exc))
                    )
                    raise
                finally:
                    _CURRENT.reset(marker)
                await self.breaker.record(ticket, "success")
            except BaseException as exc:
                if isinstance(exc, ProviderRateLimited):
                    await asyncio.shield(self.limiter.penalize(key, exc.retry_after_s or 1.0))
                if state is None:  # the breaker refused: nothing was sent
                    await asyncio.shield(permit.release())
                else:  # the request was made: it keeps its slot, with no tokens
                    await asyncio.shield(permit.settle(0))
                raise
            usage = result.usage
            await permit.settle(usage.total_tokens, actual_credits=usage.credits or None)
            if isinstance(result, ChatResult) and result.rate_limit is not None:
                await self.limiter.tighten(key, result.rate_limit, as_of=permit.granted_at)
            reported = result.reported_cost_usd if isinstance(result, ChatResult) else None
            cost = self.prices.cost(service, model, usage, reported, reserved_usd=worst)
            await self.budgets.settle(held, cost.usd, usage.total_tokens)
        except BaseException as exc:
            charged = worst if held is not None and _billable_failure(exc) else ZERO
            if held is not None:
                await asyncio.shield(self.budgets.release(held, actual_usd=charged))
            if state is None and exc.__class__.__name__ == "CircuitOpen":
                state = "open"
            entry = LedgerEntry(
                service=service,
                operation=operation,
                model=model,
                run_id=meta.run_id,
                job_id=meta.job_id,
                stage=meta.stage,
                candidate_id=meta.candidate_id,
                attempt=number,
                cost_usd=charged,
                cost_source="assumed_worst_case" if charged else "none",
                reserved_usd=worst,
                latency_ms=(time.perf_counter() - began) * 1000,
                outcome=type(exc).__name__,
                http_status=getattr(exc, "status", None),
                breaker_state=state,
                degraded=last or not _retryable(exc),
                error=str(exc),
            )
            await asyncio.shield(self._record(entry))
            observe(_record(meta, service, operation, model, number, Usage(), entry, began))
            raise
        entry = LedgerEntry.with_usage(
            usage,
            service=service,
            operation=operation,
            model=model,
            run_id=meta.run_id,
            job_id=meta.job_id,
            stage=meta.stage,
            candidate_id=meta.candidate_id,
            attempt=number,
            cost_usd=cost.usd,
            cost_source=cost.source,
            reserved_usd=worst,
            latency_ms=(time.perf_counter() - began) * 1000,
            breaker_state=state,
            anomaly=cost.anomaly,
            request_id=getattr(result, "request_id", None),
        )
        await self._record(entry)
        observe(_record(meta, service, operation, model, number, usage, entry, began))
        return result


def _record(
    meta: CallMeta,
    service: str,
    operation: Operation,
    model: str | None,
    number: int,
    usage: Usage,
    entry: LedgerEntry,
    began: float,
) -> CallRecord:
    return CallRecord(
        meta=meta,
        service=service,
        operation=operation,
        model=model,
        attempt=number,
        usage=usage,
        cost_usd=entry.cost_usd,
        latency_s=time.perf_counter() - began,
        outcome=entry.outcome,
        error=entry.error,
    )
