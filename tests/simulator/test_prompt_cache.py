"""Prompt-prefix caching: repeated long prefixes are reported as cached, like the real APIs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from jobintel.simulator import SimulatorHandle, count_tokens

#: 5,000 bytes = 1,250 tokens: above the 1,024-token caching threshold.
LONG_SYSTEM = "You are a careful analyst of job postings. " * 116 + "x" * 12


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _openai(http: httpx.Client, sim: SimulatorHandle, system: str, user: str) -> dict[str, int]:
    response = http.post(
        f"{sim.openai_base_url}/chat/completions",
        json={
            "model": "sim-small",
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        },
        headers={"Authorization": "Bearer k"},
    )
    usage = response.json()["usage"]
    return {
        "prompt": usage["prompt_tokens"],
        "cached": usage["prompt_tokens_details"]["cached_tokens"],
    }


def test_repeated_long_prefix_is_reported_cached_in_128_token_blocks(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """The second request sharing a 1,250-token system prompt reports 1,152 cached tokens."""
    assert count_tokens(LONG_SYSTEM) == 1250
    first = _openai(http, simulator, LONG_SYSTEM, "Posting one.")
    second = _openai(http, simulator, LONG_SYSTEM, "Posting two, different.")
    assert first["cached"] == 0
    assert second["cached"] == 1152
    assert second["prompt"] == 1250 + count_tokens("Posting two, different.")
    assert simulator.stats().cached_tokens == 1152


def test_short_prefixes_are_never_cached(simulator: SimulatorHandle, http: httpx.Client) -> None:
    """Prefixes under 1,024 tokens report no cached tokens, however often they repeat."""
    for _ in range(3):
        assert _openai(http, simulator, "Short system prompt.", "Same user text.")["cached"] == 0


def test_anthropic_usage_reports_cache_reads_outside_input_tokens(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """On /v1/messages cached tokens come as cache_read_input_tokens, excluded from input_tokens."""

    def send(user: str) -> dict[str, int]:
        response = http.post(
            f"{simulator.anthropic_base_url}/v1/messages",
            json={
                "model": "sim",
                "max_tokens": 50,
                "system": LONG_SYSTEM,
                "messages": [{"role": "user", "content": user}],
            },
            headers={"x-api-key": "k"},
        )
        usage: dict[str, int] = response.json()["usage"]
        return usage

    send("first")
    usage = send("second")
    assert usage["cache_read_input_tokens"] == 1152
    assert usage["input_tokens"] == 1250 + count_tokens("second") - 1152
