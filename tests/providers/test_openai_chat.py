"""OpenAIChat through the real OpenAI SDK against the provider simulator on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from pydantic import BaseModel

from jobintel.guard import CallMeta, CallRecord, Gateway
from jobintel.pipeline.llm import StageLLM
from jobintel.prompts import Prompt
from jobintel.providers.base import ChatRequest, Message, ModelRef
from jobintel.providers.errors import (
    ModelRefused,
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from jobintel.providers.openai_chat import OpenAIChat, parse_duration
from jobintel.simulator import SimulatorConfig, SimulatorHandle, count_tokens
from jobintel.simulator.answers import REFUSAL
from tests.fakes import priced_guard

KEY = "sk-test-SECRET-0123456789abcdef"


class Verdict(BaseModel):
    summary: str
    score: int


SCHEMA = Verdict.model_json_schema()


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, timeout=None) as client:
        yield client


def _provider(sim: SimulatorHandle, http: httpx.AsyncClient, name: str = "openai") -> OpenAIChat:
    return OpenAIChat(name=name, base_url=sim.openai_base_url, api_key=KEY, http_client=http)


def _request(
    *, stream: bool = False, structured: bool = False, timeout_s: float = 10
) -> ChatRequest:
    return ChatRequest(
        model="sim-small",
        messages=(
            Message(role="system", content="You assess job fit."),
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
    """Streamed or not, the answer carries usage equal to what the server counted and its limits."""
    simulator.configure(rpm=50, tpm=10_000)
    result = await _provider(simulator, http).complete(_request(stream=stream))
    assert result.text.startswith("Simulated answer from sim-small")
    assert result.finish_reason == "stop"
    stats = simulator.stats()
    assert result.usage.input_tokens == stats.input_tokens > 0
    assert result.usage.output_tokens == stats.output_tokens == count_tokens(result.text)
    assert result.request_id == "req_sim_000001"
    limits = result.rate_limit
    assert limits is not None
    assert (limits.limit_requests, limits.remaining_requests) == (50, 49)
    assert limits.limit_tokens == 10_000
    assert limits.remaining_tokens == 10_000 - result.usage.total_tokens
    assert limits.reset_requests_s is not None and 0 < limits.reset_requests_s <= 60


@pytest.mark.parametrize("stream", [False, True])
async def test_a_refusal_is_an_answer_with_its_reason_and_no_text(
    simulator: SimulatorHandle, http: httpx.AsyncClient, stream: bool
) -> None:
    """content null with a `refusal` (or refusal deltas) is a delivered, paid answer."""
    simulator.configure(fault_script=["refusal"])
    result = await _provider(simulator, http).complete(_request(stream=stream, structured=True))
    assert (result.text, result.refusal) == ("", REFUSAL)
    assert result.usage.output_tokens == simulator.stats().output_tokens == count_tokens(REFUSAL)


@pytest.mark.parametrize("stream", [False, True])
async def test_a_content_filter_stop_is_a_refusal(stream: bool) -> None:
    """finish_reason content_filter (Azure, OpenRouter) with no refusal field is a refusal
    too: a paid answer to fall back from, not a malformed one to pay for again."""
    usage = {"prompt_tokens": 12, "completion_tokens": 0, "total_tokens": 12}
    head = {"id": "c1", "created": 1, "model": "sim-small"}

    def answer(request: httpx.Request) -> httpx.Response:
        if not stream:
            message = {"role": "assistant", "content": None}
            choice = {"index": 0, "message": message, "finish_reason": "content_filter"}
            body = {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
            return httpx.Response(200, json=body)
        chunk = {**head, "object": "chat.completion.chunk"}
        stop = {"index": 0, "delta": {}, "finish_reason": "content_filter"}
        events = [
            {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
            {**chunk, "choices": [stop]},
            {**chunk, "choices": [], "usage": usage},
        ]
        text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        provider = OpenAIChat(
            name="openai", base_url="https://api.test/v1", api_key=KEY, http_client=client
        )
        result = await provider.complete(_request(stream=stream, structured=True))
    assert result.text == "" and result.usage.input_tokens == 12
    assert result.refusal is not None and "content_filter" in result.refusal


@pytest.mark.parametrize("stream", [False, True])
async def test_json_schema_request_gets_a_valid_structured_answer(
    simulator: SimulatorHandle, http: httpx.AsyncClient, stream: bool
) -> None:
    """With a json_schema the answer text is JSON that validates against that schema."""
    result = await _provider(simulator, http).complete(_request(stream=stream, structured=True))
    Verdict.model_validate(json.loads(result.text))


async def test_cached_prompt_tokens_are_normalised(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """prompt_tokens_details.cached_tokens becomes cached_read_tokens, a sub-count of input."""
    provider = _provider(simulator, http)
    system = Message(role="system", content="Be precise and cite evidence. " * 180)
    for user in ("first posting", "second posting"):
        request = ChatRequest(
            model="sim-small", messages=(system, Message(role="user", content=user)), max_tokens=50
        )
        result = await provider.complete(request)
    assert result.usage.cached_read_tokens == 1280
    assert result.usage.input_tokens > result.usage.cached_read_tokens


async def test_openrouter_reported_cost_becomes_decimal(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """usage.cost (OpenRouter) is returned as reported_cost_usd, a Decimal in USD."""
    simulator.configure(cost_usd_per_mtok=2.0)
    result = await _provider(simulator, http, name="openrouter").complete(_request())
    expected = Decimal(str(round(result.usage.total_tokens * 2.0 / 1e6, 10)))
    assert result.reported_cost_usd == expected


@pytest.mark.parametrize(
    ("fault", "stream", "error"),
    [
        ("500", False, ProviderUnavailable),
        ("503", True, ProviderUnavailable),
        ("429", False, ProviderRateLimited),
        ("429", True, ProviderRateLimited),
        ("malformed", False, ProviderMalformed),
        ("malformed", True, ProviderMalformed),
        ("truncate", True, ProviderMalformed),
        ("truncate", False, ProviderMalformed),
        ("401", False, ProviderRejected),
        ("400", True, ProviderRejected),
        ("404", False, ProviderRejected),
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
    simulator.configure(fault_script=[fault], fault_retry_after_s=7)
    with pytest.raises(error) as caught:
        await _provider(simulator, http).complete(_request(stream=stream, structured=True))
    assert simulator.stats().total_requests == 1
    assert KEY not in str(caught.value)
    if isinstance(caught.value, ProviderRateLimited):
        assert caught.value.retry_after_s == 7


@pytest.mark.parametrize("fault", ["503", "529"])
async def test_an_overloaded_server_says_when_to_come_back(
    simulator: SimulatorHandle, http: httpx.AsyncClient, fault: str
) -> None:
    """A 503 or 529 with Retry-After raises ProviderUnavailable carrying that wait."""
    simulator.configure(fault_script=[fault], fault_retry_after_s=9)
    with pytest.raises(ProviderUnavailable) as caught:
        await _provider(simulator, http).complete(_request(stream=False, structured=True))
    assert caught.value.retry_after_s == 9
    assert caught.value.status == int(fault)


async def test_timeout_fault_raises_provider_timeout(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """A held request ends as ProviderTimeout at the request's own deadline, tried once."""
    simulator.configure(fault_script=["timeout"], timeout_hold_s=30)
    with pytest.raises(ProviderTimeout, match=r"within 2s"):
        await _provider(simulator, http).complete(_request(timeout_s=2.0))
    assert simulator.stats().total_requests == 1


async def test_rate_limit_from_the_limiter_carries_retry_after(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """A real RPM refusal raises ProviderRateLimited with the server's Retry-After."""
    provider = _provider(simulator.renew(SimulatorConfig(rpm=1), clock=FakeClock()), http)
    await provider.complete(_request())
    with pytest.raises(ProviderRateLimited) as caught:
        await provider.complete(_request())
    assert caught.value.retry_after_s == 60.0


async def test_api_key_echoed_by_the_server_is_redacted(
    simulator: SimulatorHandle, http: httpx.AsyncClient
) -> None:
    """When a 401 body quotes the key back, the error names the setting but not the key."""
    simulator.configure(fault_script=["401"])
    with pytest.raises(ProviderRejected) as caught:
        await _provider(simulator, http).complete(_request())
    assert KEY not in str(caught.value)
    assert "JOBINTEL_OPENAI_API_KEY" in str(caught.value)


async def test_unreachable_server_is_unavailable(http: httpx.AsyncClient) -> None:
    """A refused connection raises ProviderUnavailable naming the host."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = OpenAIChat(
        name="ollama", base_url=f"http://127.0.0.1:{port}/v1", api_key="x", http_client=http
    )
    with pytest.raises(ProviderUnavailable, match=f"127.0.0.1:{port}"):
        await provider.complete(_request())


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
    """Gateway.call routes a ChatRequest to OpenAIChat and records the attempt's usage."""
    client = httpx.AsyncClient(follow_redirects=False, timeout=None)
    records: list[CallRecord] = []
    async with Gateway(
        chat={"openai": _provider(simulator, client)}, http_client=client, guard=priced_guard()
    ) as gateway:
        gateway.observe(records.append)
        result = await gateway.call(CallMeta(stage="fit"), "openai", _request(structured=True))
    assert client.is_closed
    Verdict.model_validate_json(result.text)
    assert [(r.service, r.outcome, r.usage) for r in records] == [("openai", "ok", result.usage)]


async def test_stage_llm_repairs_an_invalid_answer_via_the_simulator(
    simulator: SimulatorHandle,
) -> None:
    """An 'invalid' answer triggers StageLLM's one repair turn, which the simulator satisfies."""
    simulator.configure(fault_script=["invalid"])
    prompt = Prompt(name="verdict", version=1, max_tokens=200, system="Judge.", user_template="Go.")
    client = httpx.AsyncClient(follow_redirects=False, timeout=None)
    async with Gateway(
        chat={"openai": _provider(simulator, client)}, http_client=client, guard=priced_guard()
    ) as gateway:
        llm = StageLLM(
            gateway=gateway,
            meta=CallMeta(stage="fit"),
            route=ModelRef(provider="openai", model="m"),
        )
        verdict = await llm.structured(prompt, {"posting": "Needs Python."}, Verdict)
    assert isinstance(verdict, Verdict)
    assert len(llm.calls) == 2 and simulator.stats().faults == {"invalid": 1}


async def test_stage_llm_falls_back_at_once_when_the_model_declines(
    simulator: SimulatorHandle,
) -> None:
    """A refusal is asked once, not retried or repaired: ModelRefused names the route and the
    model's words, and the attempt is booked as paid, under its own outcome."""
    simulator.configure(fault_script=["refusal", "refusal", "refusal"])
    prompt = Prompt(name="verdict", version=1, max_tokens=200, system="Judge.", user_template="Go.")
    records: list[CallRecord] = []
    client = httpx.AsyncClient(follow_redirects=False, timeout=None)
    guard = priced_guard()
    async with Gateway(
        chat={"openai": _provider(simulator, client)}, http_client=client, guard=guard
    ) as gateway:
        gateway.observe(records.append)
        llm = StageLLM(
            gateway=gateway,
            meta=CallMeta(stage="fit"),
            route=ModelRef(provider="openai", model="sim-small"),
        )
        with pytest.raises(ModelRefused, match=r"openai:sim-small declined the fit task: I'm"):
            await llm.structured(prompt, {"posting": "Needs Python."}, Verdict)
    assert simulator.stats().total_requests == 1
    [record] = records
    # Priced from its usage at the test's prices (1 and 2 USD per million tokens).
    usage = record.usage
    assert (record.outcome, record.degraded, record.cost_source) == (
        "ModelRefused",
        True,
        "override",
    )
    assert usage.output_tokens == count_tokens(REFUSAL) and usage.input_tokens > 0
    assert record.cost_usd == Decimal(usage.input_tokens + 2 * usage.output_tokens) / 10**6
    # The provider answered: its breaker heard a success, not a failure.
    breakers = await guard.breaker.snapshot()
    assert [(b.key, b.state, b.failures) for b in breakers] == [("openai:sim-small", "closed", 0)]


def test_reset_durations_parse_like_openai_writes_them() -> None:
    """x-ratelimit-reset-* values such as 20ms, 1s, 6m0s and 1h2m3.5s parse to seconds."""
    assert parse_duration("20ms") == pytest.approx(0.02)
    assert parse_duration("1s") == 1.0
    assert parse_duration("6m0s") == 360.0
    assert parse_duration("1h2m3.5s") == 3723.5
    assert parse_duration("soon") is None
