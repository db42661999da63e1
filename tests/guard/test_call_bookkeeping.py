"""The guard's books close on every path: cancellation, bookkeeping failures, odd answers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from jobintel.guard import CallMeta, Gateway
from jobintel.guard.call import Guard
from jobintel.guard.ledger import InMemoryCostLedger
from jobintel.guard.policies import in_memory_guard
from jobintel.guard.ratelimit import InMemoryRateLimiter
from jobintel.providers import ChatRequest, ChatResult, Message, ProviderMalformed, Usage
from jobintel.providers.base import RateLimitInfo
from jobintel.providers.errors import ProviderUnavailable
from jobintel.providers.openai_chat import OpenAIChat
from tests.fakes import FAST_RETRY

REQUEST = ChatRequest(
    model="gpt-4o-mini", messages=(Message(role="user", content="Hello there."),), max_tokens=50
)
META = CallMeta(run_id="r1", job_id=1, stage="fit")


class Hanging:
    """A provider whose answer never comes; records that the request was sent."""

    name = "openai"

    def __init__(self) -> None:
        self.sent = asyncio.Event()

    async def complete(self, request: ChatRequest) -> ChatResult:
        self.sent.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        return None


class Answering:
    name = "openai"

    async def complete(self, request: ChatRequest) -> ChatResult:
        return ChatResult(
            text="ok",
            usage=Usage(input_tokens=1000, output_tokens=100),
            model=request.model,
            rate_limit=RateLimitInfo(limit_requests=10, remaining_requests=9),
        )

    async def aclose(self) -> None:
        return None


class BrokenTighten(InMemoryRateLimiter):
    async def tighten(self, key: str, info: RateLimitInfo, *, as_of: float | None = None) -> None:
        raise RuntimeError("database is locked")


def _spent(guard: Guard) -> Decimal:
    ledger = guard.ledger
    assert isinstance(ledger, InMemoryCostLedger)
    return sum((e.cost_usd for e in ledger.entries()), Decimal(0))


async def _run_total(guard: Guard) -> tuple[Decimal, Decimal]:
    (status,) = [s for s in await guard.budgets.status() if s.key == "run:r1"]
    return status.spent_usd, status.reserved_usd


async def test_a_call_cancelled_after_sending_is_charged_its_worst_case() -> None:
    """Cancelling mid-call still spends the reservation: the provider may bill the work."""
    guard = in_memory_guard(retry=FAST_RETRY)
    provider = Hanging()
    gateway = Gateway(chat={"openai": provider}, guard=guard)
    task = asyncio.create_task(gateway.call(META, "openai", REQUEST))
    await provider.sent.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    worst = guard.prices.worst_case_usd("openai", "gpt-4o-mini", REQUEST)
    await asyncio.sleep(0)  # let shielded bookkeeping finish
    assert await _run_total(guard) == (worst, Decimal(0))
    assert _spent(guard) == worst > 0


async def test_a_failing_bookkeeping_step_never_loses_the_spend() -> None:
    """When tightening the limiter fails after a paid answer, the budget and ledger still count it."""
    guard = in_memory_guard(retry=FAST_RETRY)
    guard.limiter = BrokenTighten()
    gateway = Gateway(chat={"openai": Answering()}, guard=guard)
    result = await gateway.call(META, "openai", REQUEST)
    cost = guard.prices.cost("openai", "gpt-4o-mini", result.usage).usd
    assert await _run_total(guard) == (cost, Decimal(0))
    assert _spent(guard) == cost > 0


def _openai(handler: Any) -> tuple[OpenAIChat, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenAIChat(
        name="openai", base_url="https://api.test/v1", api_key="k", http_client=http
    ), http


@pytest.mark.parametrize(
    "body",
    [
        [1, 2, 3],
        {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [{}]},
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "hi"},
                }
            ],
            "usage": {"prompt_tokens": "lots", "completion_tokens": 1, "total_tokens": 1},
        },
    ],
)
async def test_a_wrongly_shaped_answer_is_malformed_not_a_crash(body: object) -> None:
    """2xx bodies of the wrong shape surface as ProviderMalformed, so the stage degrades."""
    provider, http = _openai(lambda request: httpx.Response(200, json=body))
    async with http:
        with pytest.raises(ProviderMalformed):
            await provider.complete(REQUEST)


async def test_a_connect_timeout_is_unavailable_and_costs_nothing() -> None:
    """A request that never left (connect timeout) is not billed and is retried."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    provider, http = _openai(refuse)
    guard = in_memory_guard(retry=FAST_RETRY)
    async with http:
        with pytest.raises(ProviderUnavailable):
            await Gateway(chat={"openai": provider}, guard=guard).call(META, "openai", REQUEST)
    ledger = guard.ledger
    assert isinstance(ledger, InMemoryCostLedger)
    assert [e.outcome for e in ledger.entries()] == ["ProviderUnavailable"] * FAST_RETRY.attempts
    assert _spent(guard) == 0
