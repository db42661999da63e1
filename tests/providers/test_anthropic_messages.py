"""AnthropicMessages through the real Anthropic SDK against the provider simulator on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import BaseModel

from jobintel.guard import CallMeta, CallRecord, Gateway
from jobintel.providers.anthropic_messages import AnthropicMessages
from jobintel.providers.base import ChatRequest, Message
from jobintel.providers.errors import (
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from jobintel.simulator import SimulatorHandle, count_tokens
from jobintel.simulator.answers import REFUSAL
from tests.fakes import priced_guard

KEY = "sk-ant-test-SECRET-0123456789"


class Verdict(BaseModel):
    summary: str
    score: int


SCHEMA = Verdict.model_json_schema()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, timeout=None) as client:
        yield client


def _provider(sim: SimulatorHandle, http: httpx.AsyncClient, key: str = KEY) -> AnthropicMessages:
    return AnthropicMessages(
        name="anthropic", base_url=sim.anthropic_base_url, api_key=key, http_client=http
    )


def _request(
    *, stream: bool = False, structured: bool = False, timeout_s: float = 10, system: str = "Judge."
) -> ChatRequest:
    return ChatRequest(
        model="sim-haiku",
        messages=(
            Message(role="system", content=system),
            Message(role="user", content="Assess this posting. It needs Python."),
        ),
        max_tokens=200,
        schema_name="verdict" if structured else None,
        json_schema=SCHEMA if structured else None,
        stream=stream,
        timeout_s=timeout_s,
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_plain_answer_with_usage_and_rate_limit_info(
    simulator: SimulatorHandle, http: httpx.AsyncClient, stream: bool
) -> None:
    """Streamed or not: text answer, usage equal to the server's count, limits parsed."""
    simulator.configure(rpm=40, tpm=20_000)
    result = await _provider(simulator, http).complete(_request(stream=stream))
    assert result.text.startswith("Simulated answer from sim-haiku")
    assert result.finish_reason == "stop"
    stats = simulator.stats()
    assert result.usage.input_tokens == stats.input_tokens > 0
    assert result.usage.output_tokens == stats.output_tokens == count_tokens(result.text)
    assert result.request_id == "req_sim_000001"
    limits = result.rate_limit
    assert limits is not None
    assert (limits.limit_requests, limits.remaining_requests) == (40, 39)
    assert limits.remaining_tokens == 20_000 - result.usage.total_tokens
    assert limits.reset_requests_s is not None and 0 <= limits.reset_requests_s <= 61


@pytest.mark.parametrize("stream", [False, True])
async def test_structured_output_comes_from_the_forced_tool(
    simulator: SimulatorHandle, http: httpx.AsyncClient, stream: bool
) -> None:
    """With a json_schema, the tool call's input is returned as JSON valid for the schema."""
    result = await _provider(simulator, http).complete(_request(stream=stream, structured=True))
    Verdict.model_validate(json.loads(result.text))
    assert result.finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True])
async def test_a_refusal_is_an_answer_with_its_reason_and_no_text(
    simulator: SimulatorHandle, http: httpx.AsyncClient, stream: bool
) -> None:
    """stop_reason "refusal" is a delivered, paid answer with a refusal and no text."""
    simulator.configure(fault_script=["refusal"])
    result = await _provider(simulator, http).complete(_request(stream=stream, structured=True))
    # The words before the stop may be a partial answer: a fixed reason stands instead.
    assert (result.text, result.refusal) == ("", "the model declined (stop_reason refusal)")
    assert result.usage.output_tokens == simulator.stats().output_tokens == count_tokens(REFUSAL)


@pytest.mark.parametrize("stream", [False, True])
async def test_cache_reads_are_added_back_into_input_tokens(
    simulator: SimulatorHandle, http: httpx.AsyncClient, stream: bool
) -> None:
    """Anthropic's input_tokens excludes cache reads; ours includes them as a sub-count."""
    provider = _provider(simulator, http)
    system = "Be precise and cite evidence. " * 180
    await provider.complete(_request(system=system, stream=stream))
    result = await provider.complete(_request(system=system, stream=stream))
    assert result.usage.cached_read_tokens == 1280
    assert result.usage.input_tokens == simulator.stats().input_tokens // 2
    assert result.usage.cache_write_tokens == 0


@pytest.mark.parametrize(
    ("fault", "stream", "error"),
    [
        ("500", False, ProviderUnavailable),
        ("529", True, ProviderUnavailable),
        ("429", False, ProviderRateLimited),
        ("429", True, ProviderRateLimited),
        ("malformed", False, ProviderMalformed),
        ("malformed", True, ProviderMalformed),
        ("truncate", True, ProviderMalformed),
        ("401", False, ProviderRejected),
        ("400", True, ProviderRejected),
    ],
)
async def test_each_fault_maps_to_its_error_without_retrying(
    simulator: SimulatorHandle,
    http: httpx.AsyncClient,
    fault: str,
    stream: bool,
    error: type[ProviderError],
) -> None:
    """Every simulated fault raises the right ProviderError after exactly one request."""
    simulator.configure(fault_script=[fault], fault_retry_after_s=4)
    with pytest.raises(error) as caught:
        await _provider(simulator, http).complete(_request(stream=stream, structured=True))
    assert simulator.stats().total_requests == 1
    assert KEY not in str(caught.value)
    if isinstance(caught.value, ProviderRateLimited):
        assert caught.value.retry_after_s == 4


async def test_timeout_fault_raises_provider_timeout(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """A held request ends as ProviderTimeout at the request's own deadline, tried once."""
    simulator.configure(fault_script=["timeout"], timeout_hold_s=30)
    with pytest.raises(ProviderTimeout, match=r"within 2s"):
        await _provider(simulator, http).complete(_request(stream=True, timeout_s=2.0))
    assert simulator.stats().total_requests == 1


async def test_api_key_echoed_by_the_server_is_redacted(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """When a 401 body quotes the key back, the error names the setting but not the key."""
    simulator.configure(fault_script=["401"])
    with pytest.raises(ProviderRejected) as caught:
        await _provider(simulator, http).complete(_request())
    assert KEY not in str(caught.value)
    assert "JOBINTEL_ANTHROPIC_API_KEY" in str(caught.value)


async def test_missing_key_is_rejected_before_any_request(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """An empty key raises ProviderRejected naming the setting, and nothing is sent."""
    with pytest.raises(ProviderRejected, match="JOBINTEL_ANTHROPIC_API_KEY"):
        await _provider(simulator, http, key="").complete(_request())
    assert simulator.stats().total_requests == 0


async def test_aclose_leaves_the_shared_client_open(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """provider.aclose() does not close the gateway's HTTP client: it still serves requests."""
    provider = _provider(simulator, http)
    await provider.complete(_request())
    await provider.aclose()
    assert not http.is_closed
    assert (await http.get(f"{simulator.url}/_sim/stats")).status_code == 200


async def test_gateway_call_reaches_the_simulator_through_the_provider(
    simulator: SimulatorHandle,
) -> None:
    """Gateway.call routes a streamed ChatRequest to AnthropicMessages and records the attempt."""
    client = httpx.AsyncClient(follow_redirects=False, timeout=None)
    records: list[CallRecord] = []
    provider = _provider(simulator, client)
    async with Gateway(
        chat={"anthropic": provider}, http_client=client, guard=priced_guard()
    ) as gateway:
        gateway.observe(records.append)
        request = _request(stream=True, structured=True)
        result = await gateway.call(CallMeta(stage="fit"), "anthropic", request)
    assert client.is_closed
    Verdict.model_validate_json(result.text)
    assert [(r.service, r.outcome, r.usage) for r in records] == [("anthropic", "ok", result.usage)]
