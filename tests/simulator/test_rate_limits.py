"""Per-model RPM/TPM limits: 429 with an exact Retry-After, and headers on every answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from jobintel.simulator import SimulatorConfig, SimulatorHandle


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _chat(
    http: httpx.Client, sim: SimulatorHandle, content: str = "hi", **extra: Any
) -> httpx.Response:
    body = {"model": "sim-small", "messages": [{"role": "user", "content": content}], **extra}
    return http.post(
        f"{sim.openai_base_url}/chat/completions",
        json=body,
        headers={"Authorization": "Bearer sim"},
    )


def test_rpm_limit_sends_429_with_retry_after_until_the_window_frees(
    simulator: SimulatorHandle, clock: FakeClock, http: httpx.Client
) -> None:
    """With rpm=2 the third request in a minute gets 429, Retry-After 60, then 30, then passes."""
    sim = simulator.renew(SimulatorConfig(rpm=2), clock=clock)
    first, second = _chat(http, sim), _chat(http, sim)
    assert [first.status_code, second.status_code] == [200, 200]
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert second.headers["x-ratelimit-remaining-requests"] == "0"
    assert second.headers["x-ratelimit-reset-requests"] == "1m0s"

    refused = _chat(http, sim)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"

    clock.now += 30
    assert _chat(http, sim).headers["retry-after"] == "30"
    clock.now += 30
    passed = _chat(http, sim)
    assert passed.status_code == 200
    assert passed.headers["x-ratelimit-remaining-requests"] == "1"
    assert sim.stats().rate_limited == 2


def test_tpm_limit_counts_prompt_plus_output_and_refuses_what_does_not_fit(
    simulator: SimulatorHandle, clock: FakeClock, http: httpx.Client
) -> None:
    """A 50-token prompt with a 10-token answer leaves 40 of 100 TPM; the next 60 do not fit."""
    sim = simulator.renew(SimulatorConfig(tpm=100), clock=clock)
    ok = _chat(http, sim, "x" * 200, max_tokens=10)
    assert ok.status_code == 200
    usage = ok.json()["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (50, 10)
    assert ok.json()["choices"][0]["finish_reason"] == "length"
    assert ok.headers["x-ratelimit-limit-tokens"] == "100"
    assert ok.headers["x-ratelimit-remaining-tokens"] == "40"

    refused = _chat(http, sim, "x" * 200, max_tokens=10)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "TPM" in refused.json()["error"]["message"]


def test_request_larger_than_tpm_is_refused_as_too_large(
    simulator: SimulatorHandle, clock: FakeClock, http: httpx.Client
) -> None:
    """A request needing more tokens than the whole TPM limit is refused and says why."""
    sim = simulator.renew(SimulatorConfig(tpm=10), clock=clock)
    refused = _chat(http, sim, "x" * 400, max_tokens=10)
    assert refused.status_code == 429
    assert "too large" in refused.json()["error"]["message"]


def test_anthropic_route_sends_anthropic_ratelimit_headers(
    simulator: SimulatorHandle, clock: FakeClock, http: httpx.Client
) -> None:
    """/v1/messages reports limits as anthropic-ratelimit-* with RFC 3339 reset instants."""
    sim = simulator.renew(SimulatorConfig(rpm=5, tpm=1000), clock=clock)
    response = http.post(
        f"{sim.anthropic_base_url}/v1/messages",
        json={"model": "sim", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-api-key": "sim", "anthropic-version": "2023-06-01"},
    )
    assert response.status_code == 200
    assert response.headers["anthropic-ratelimit-requests-limit"] == "5"
    assert response.headers["anthropic-ratelimit-requests-remaining"] == "4"
    assert response.headers["anthropic-ratelimit-tokens-limit"] == "1000"
    used = response.json()["usage"]
    remaining = 1000 - used["input_tokens"] - used["output_tokens"]
    assert response.headers["anthropic-ratelimit-tokens-remaining"] == str(remaining)
    reset = datetime.fromisoformat(response.headers["anthropic-ratelimit-requests-reset"])
    assert reset.tzinfo is not None and reset > datetime(2000, 1, 1, tzinfo=UTC)


def test_limits_are_per_model(
    simulator: SimulatorHandle, clock: FakeClock, http: httpx.Client
) -> None:
    """Exhausting one model's RPM does not limit another model."""
    sim = simulator.renew(SimulatorConfig(rpm=1), clock=clock)
    assert _chat(http, sim).status_code == 200
    assert _chat(http, sim).status_code == 429
    other = http.post(
        f"{sim.openai_base_url}/chat/completions",
        json={"model": "sim-large", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": "Bearer sim"},
    )
    assert other.status_code == 200
