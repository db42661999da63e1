"""Retries wait at least as long as an overloaded provider (503, 529) asked them to."""

from __future__ import annotations

from dataclasses import replace

from jobintel.guard import CallMeta, Gateway
from jobintel.guard.policies import in_memory_guard
from jobintel.providers import ChatRequest, ChatResult, Message, Usage
from jobintel.providers.errors import ProviderError, ProviderUnavailable
from tests.fakes import FAST_RETRY

REQUEST = ChatRequest(
    model="gpt-4o-mini", messages=(Message(role="user", content="Hello there."),), max_tokens=50
)
META = CallMeta(run_id="r1", job_id=1, stage="fit")


class FailsOnce:
    """Raises ``error`` on the first request, then answers."""

    name = "openai"

    def __init__(self, error: ProviderError) -> None:
        self.error: ProviderError | None = error
        self.requests = 0

    async def complete(self, request: ChatRequest) -> ChatResult:
        self.requests += 1
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return ChatResult(text="ok", usage=Usage(input_tokens=10, output_tokens=2), model="m")

    async def aclose(self) -> None:
        return None


async def _delays(error: ProviderError) -> tuple[list[float], int]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    provider = FailsOnce(error)
    guard = replace(in_memory_guard(retry=FAST_RETRY), sleep=sleep)
    async with Gateway(chat={"openai": provider}, guard=guard) as gateway:
        result = await gateway.call(META, "openai", REQUEST)
    assert result.text == "ok"
    return slept, provider.requests


async def test_a_503_with_retry_after_is_retried_no_sooner_than_asked() -> None:
    """An overloaded server's Retry-After sets the retry delay, not the short backoff."""
    slept, requests = await _delays(
        ProviderUnavailable("openai", "overloaded", status=503, retry_after_s=4.0)
    )
    assert requests == 2
    assert slept == [4.0]


async def test_a_529_without_retry_after_uses_the_backoff() -> None:
    """Without Retry-After the retry waits only the (here tiny) exponential backoff."""
    slept, requests = await _delays(ProviderUnavailable("openai", "overloaded", status=529))
    assert requests == 2
    assert len(slept) == 1 and slept[0] < 0.05
