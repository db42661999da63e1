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
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from jobintel.guard.breaker import CircuitBreaker, Ticket
from jobintel.guard.budget import BudgetLimits, Budgets, Reservation, scopes_for
from jobintel.guard.ledger import Ledger, LedgerEntry
from jobintel.guard.pricing import PriceBook
from jobintel.guard.ratelimit import Permit, RateLimiter
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
    ModelRefused,
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderTimeout,
)

log = logging.getLogger(__name__)
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
    #: The worst case held against the budgets for this attempt.
    reserved_usd: Decimal = Decimal(0)
    #: Where the cost came from (provider, price_table, assumed_worst_case, none).
    cost_source: str = "none"
    #: Breaker state the attempt met: closed, half_open (a probe), open (refused), or None
    #: when it was refused before reaching the breaker (budget, rate limit).
    breaker_state: str | None = None
    #: Seconds spent waiting for rate-limit room (0 when granted at once or refused).
    limiter_wait_s: float = 0.0
    http_status: int | None = None
    #: The caller will fall back to its deterministic strategy (last or final failure).
    degraded: bool = False


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


def _breaker_key(service: str, model: str | None, request: Request) -> str:
    """Breakers per model for chat (providers fail per model), per site for plain HTTP."""
    if model:
        return f"{service}:{model}"
    if service == "http" and isinstance(request, ScrapeRequest):
        return f"http:{urlsplit(request.url).hostname or '?'}"
    return service


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
            # 429, and 503/529 from an overloaded server, may say when to come back.
            if isinstance(exc, ProviderError) and exc.retry_after_s:
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
                    meta, service, operation, model, bounded, send, observe, number, last, deadline
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
        deadline: float,
    ) -> R:
        key = f"{service}:{model}" if model else service
        breaker_key = _breaker_key(service, model, request)
        began = time.perf_counter()
        state: str | None = None
        worst = ZERO
        held = None
        sent = False
        limiter_wait = 0.0
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
            # 2. Rate limit: tokens (estimated) and credits (worst case) up front, waiting
            # no longer than the limiter's bound or what is left of the call's deadline.
            bound = self.max_wait_s
            if bound is None:
                bound = self.limiter.policy_for(key).max_wait_s
            bound = max(0.0, min(bound, deadline - time.monotonic()))
            if isinstance(request, ChatRequest):
                permit = await self.limiter.acquire(
                    key, tokens=estimate_tokens(request), max_wait_s=bound
                )
            else:
                permit = await self.limiter.acquire(
                    key, tokens=0, credits=worst_case_credits(request), max_wait_s=bound
                )
            limiter_wait = permit.waited_s
            try:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProviderTimeout(service, "call deadline reached while waiting")
                request = replace(request, timeout_s=min(request.timeout_s, remaining))
                request = self._price_capped(service, model, request)
                # 3. Breaker: fail fast while the service (or this model) is down.
                ticket = await self.breaker.allow(breaker_key)
                state = "half_open" if ticket.probe else "closed"
                tag = AttemptTag(
                    service=service, stage=meta.stage, run_id=meta.run_id, attempt=number
                )
                marker = _CURRENT.set(tag)
                try:
                    sent = True
                    result = await send(request)
                except BaseException as exc:
                    await asyncio.shield(
                        self.breaker.record(ticket, self.breaker.classify(breaker_key, exc))
                    )
                    raise
                finally:
                    _CURRENT.reset(marker)
            except BaseException as exc:
                if isinstance(exc, ProviderRateLimited):
                    await asyncio.shield(self.limiter.penalize(key, exc.retry_after_s or 1.0))
                if state is None:  # refused before sending: give the slot back
                    await asyncio.shield(permit.release())
                else:  # the request was made: it keeps its slot, with no tokens
                    await asyncio.shield(permit.settle(0))
                raise
        except BaseException as exc:
            # Sent and then lost (cancelled, cut off, unknown error): the provider may bill
            # it, so the worst case is spent. Refused or failed cleanly (5xx, 4xx): nothing.
            billable = _billable_failure(exc) or (sent and not isinstance(exc, ProviderError))
            charged = worst if held is not None and billable else ZERO
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
            observe(
                _record(
                    meta, service, operation, model, number, Usage(), entry, began, limiter_wait
                )
            )
            raise
        # The call succeeded and is paid for: the books close even if this task is
        # cancelled now, and a failing bookkeeping step never loses the spend.
        usage = result.usage
        reported = result.reported_cost_usd if isinstance(result, ChatResult) else None
        source: str
        try:
            cost = self.prices.cost(service, model, usage, reported, reserved_usd=worst)
            amount, source, anomaly = cost.usd, cost.source, cost.anomaly
        except Exception as exc:  # pragma: no cover - pricing is pure; never lose a spend
            amount, source, anomaly = worst, "assumed_worst_case", f"pricing failed: {exc}"
        # A refusal is a delivered, paid answer (the breaker hears success), but no use to
        # the caller: it is booked apart, and the caller falls back without asking again.
        refusal = result.refusal if isinstance(result, ChatResult) else None
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
            cost_usd=amount,
            cost_source=source,
            reserved_usd=worst,
            latency_ms=(time.perf_counter() - began) * 1000,
            breaker_state=state,
            anomaly=anomaly,
            request_id=getattr(result, "request_id", None),
            **(
                {}
                if refusal is None
                else {
                    "outcome": ModelRefused.__name__,
                    "degraded": True,
                    "error": f"the model declined: {refusal}",
                }
            ),
        )
        await asyncio.shield(
            self._close_books(ticket, permit, key, held, amount, usage, result, entry)
        )
        observe(_record(meta, service, operation, model, number, usage, entry, began, limiter_wait))
        return result

    async def _close_books(
        self,
        ticket: Ticket,
        permit: Permit,
        key: str,
        held: Reservation,
        amount: Decimal,
        usage: Usage,
        result: ChatResult | SearchResult | ScrapeResult,
        entry: LedgerEntry,
    ) -> None:
        """Settle the budget first (it matters most), then the rest; log what fails."""
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("budget settle", lambda: self.budgets.settle(held, amount, usage.total_tokens)),
            ("ledger row", lambda: self._record(entry)),
            ("breaker success", lambda: self.breaker.record(ticket, "success")),
            (
                "limiter settle",
                lambda: permit.settle(usage.total_tokens, actual_credits=usage.credits or None),
            ),
        ]
        if isinstance(result, ChatResult) and result.rate_limit is not None:
            info = result.rate_limit
            steps.append(
                (
                    "limiter tighten",
                    lambda: self.limiter.tighten(key, info, as_of=permit.granted_at),
                )
            )
        for name, step in steps:
            try:
                await step()
            except Exception:
                log.exception("guard bookkeeping step %r failed for %s", name, key)

    def _price_capped(self, service: str, model: str | None, request: Request) -> Request:
        """OpenRouter may route to pricier upstreams: cap it at the prices we reserved at."""
        if service != "openrouter" or not isinstance(request, ChatRequest):
            return request
        price = self.prices.price_for(service, model)
        if price is None:
            return request
        return replace(
            request,
            max_price_per_mtok=(price.max_input_per_mtok, price.output_per_mtok),
        )


def _record(
    meta: CallMeta,
    service: str,
    operation: Operation,
    model: str | None,
    number: int,
    usage: Usage,
    entry: LedgerEntry,
    began: float,
    limiter_wait_s: float,
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
        reserved_usd=entry.reserved_usd,
        cost_source=entry.cost_source,
        breaker_state=entry.breaker_state,
        limiter_wait_s=limiter_wait_s,
        http_status=entry.http_status,
        degraded=entry.degraded,
    )
