"""Fault injection: the script is consumed in order, rates are seeded, each fault looks real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from jobintel.simulator import SimulatorConfig, SimulatorHandle, start_simulator

SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "score": {"type": "integer"}},
    "required": ["summary", "score"],
}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _chat(http: httpx.Client, sim: SimulatorHandle, **extra: Any) -> httpx.Response:
    body = {"model": "sim-small", "messages": [{"role": "user", "content": "Hello."}], **extra}
    return http.post(
        f"{sim.openai_base_url}/chat/completions", json=body, headers={"Authorization": "Bearer k"}
    )


def _structured(**extra: Any) -> dict[str, Any]:
    schema = {"name": "thing", "schema": SCHEMA, "strict": False}
    return {"response_format": {"type": "json_schema", "json_schema": schema}, **extra}


def test_fault_script_is_consumed_in_order_then_requests_succeed(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """Scripted 500, ok, 503, 429 come back in that order; afterwards every request is 200."""
    simulator.configure(fault_script=["500", "ok", "503", "429"], fault_retry_after_s=3)
    statuses = [_chat(http, simulator) for _ in range(5)]
    assert [r.status_code for r in statuses] == [500, 200, 503, 429, 200]
    assert statuses[3].headers["retry-after"] == "3"
    stats = simulator.stats()
    assert stats.faults == {"500": 1, "503": 1, "429": 1}
    assert stats.requests == {"/v1/chat/completions": 5}
    assert stats.rate_limited == 1


def test_fault_rates_are_reproducible_from_the_seed(http: httpx.Client) -> None:
    """Two simulators with the same seed and rates fail exactly the same requests."""
    config = SimulatorConfig(seed=11, error_5xx_rate=0.5)
    runs = []
    for _ in range(2):
        with start_simulator(config) as sim:
            runs.append([_chat(http, sim).status_code for _ in range(12)])
    assert runs[0] == runs[1]
    assert {200} < set(runs[0]) <= {200, 500, 502, 503}


def test_invalid_fault_answers_well_formed_json_missing_required_fields(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """'invalid' keeps the wire format but the content lacks the schema's required fields."""
    simulator.configure(fault_script=["invalid"])
    response = _chat(http, simulator, **_structured())
    assert response.status_code == 200
    content = json.loads(response.json()["choices"][0]["message"]["content"])
    assert not {"summary", "score"} <= set(content)
    good = json.loads(
        _chat(http, simulator, **_structured()).json()["choices"][0]["message"]["content"]
    )
    assert {"summary", "score"} <= set(good)


def test_malformed_fault_sends_a_200_whose_body_is_not_json(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """'malformed' answers 200 with a body that does not decode."""
    simulator.configure(fault_script=["malformed"])
    response = _chat(http, simulator)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncate_fault_ends_the_stream_without_finish_usage_or_done(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """A truncated stream stops mid-answer: no finish_reason, no usage chunk, no [DONE]."""
    simulator.configure(fault_script=["truncate"])
    stream = {"stream": True, "stream_options": {"include_usage": True}}
    cut = _chat(http, simulator, **_structured(**stream)).text
    whole = _chat(http, simulator, **_structured(**stream)).text
    assert "[DONE]" in whole and '"finish_reason":"stop"' in whole and '"usage":{' in whole
    assert "[DONE]" not in cut and '"finish_reason":"stop"' not in cut and '"usage":{' not in cut


def test_timeout_fault_holds_the_request_past_the_client_deadline(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """'timeout' holds the answer longer than the client waits; the next request is served."""
    # The hold ends when the client hangs up, so a long one costs nothing; a client wait of
    # 1 s leaves the server time to take the request even on a slow machine.
    simulator.configure(fault_script=["timeout"], timeout_hold_s=30)
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            f"{simulator.openai_base_url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": "Bearer k"},
            timeout=1.0,
        )
    assert _chat(http, simulator).status_code == 200
    assert simulator.stats().faults == {"timeout": 1}


def test_config_rejects_unknown_faults_and_rates_above_one() -> None:
    """A fault name outside the known set, or rates summing past 1, fail validation clearly."""
    with pytest.raises(ValidationError, match="unknown fault 'explode'"):
        SimulatorConfig(fault_script=("explode",))
    with pytest.raises(ValidationError, match="sum must be at most 1"):
        SimulatorConfig(error_5xx_rate=0.7, timeout_rate=0.7)


def test_control_routes_read_merge_and_reset(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """/_sim/config merges a POSTed change, rejects a bad one; /_sim/reset clears the stats."""
    url = simulator.url
    assert http.get(f"{url}/_sim/config").json()["rpm"] is None
    changed = http.post(f"{url}/_sim/config", json={"rpm": 7, "fault_script": ["503"]}).json()
    assert changed["rpm"] == 7 and changed["fault_script_remaining"] == ["503"]
    assert http.post(f"{url}/_sim/config", json={"rpm": 0}).status_code == 400
    assert simulator.config.rpm == 7

    assert _chat(http, simulator).status_code == 503
    stats = http.get(f"{url}/_sim/stats").json()
    assert stats["requests"] == {"/v1/chat/completions": 1} and stats["faults"] == {"503": 1}
    http.post(f"{url}/_sim/reset")
    assert http.get(f"{url}/_sim/stats").json()["requests"] == {}


def test_requests_without_a_key_or_with_a_bad_body_are_refused(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """No bearer key gives 401; a body without messages gives 400 in OpenAI's error shape."""
    no_key = http.post(
        f"{simulator.openai_base_url}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert no_key.status_code == 401
    bad = http.post(
        f"{simulator.openai_base_url}/chat/completions",
        json={"model": "m"},
        headers={"Authorization": "Bearer k"},
    )
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]
