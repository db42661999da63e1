"""Test doubles that are real implementations of jobintel's interfaces (no mocks)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from jobintel.guard import Guard, RetryPolicy
from jobintel.guard.policies import in_memory_guard
from jobintel.guard.pricing import ModelPrice
from jobintel.providers.base import ChatRequest, ChatResult, Usage

Answer = str | dict[str, Any] | list[Any] | Exception | Callable[[ChatRequest], Any]


class ScriptedChat:
    """A ``ChatProvider`` that answers from a script, in order, and keeps every request.

    Each script entry is the answer text, a JSON-able value (sent as JSON), an exception to
    raise, or a function of the request returning either. When the script runs out the
    last entry repeats.
    """

    def __init__(self, script: Sequence[Answer], *, name: str = "fake") -> None:
        if not script:
            raise ValueError("a script needs at least one answer")
        self.name = name
        self.script = list(script)
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResult:
        index = min(len(self.requests), len(self.script) - 1)
        self.requests.append(request)
        answer: Any = self.script[index]
        if callable(answer) and not isinstance(answer, Exception):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        text = answer if isinstance(answer, str) else json.dumps(answer)
        prompt_chars = sum(len(m.content) for m in request.messages)
        return ChatResult(
            text=text,
            usage=Usage(input_tokens=prompt_chars // 4, output_tokens=len(text) // 4),
            model=request.model,
            finish_reason="stop",
        )

    async def aclose(self) -> None:
        return None


#: Prices for the made-up model names tests use; real names are priced by genai-prices.
TEST_PRICES = {
    key: ModelPrice(input_per_mtok=Decimal("1"), output_per_mtok=Decimal("2"))
    for key in ("fake:*", "openai:m", "openai:sim-*", "anthropic:sim-*", "compatible:*")
}


#: The default number of attempts, with backoffs short enough that tests never wait.
FAST_RETRY = RetryPolicy(attempts=3, backoff_s=0.001, max_backoff_s=0.01)


def priced_guard(**overrides: Any) -> Guard:
    """An in-process guard (default budgets, fast retries) that knows the test models' prices."""
    return in_memory_guard(**{"prices": TEST_PRICES, "retry": FAST_RETRY, **overrides})
