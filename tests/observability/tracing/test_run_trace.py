"""A whole run against the simulator is one trace: run span, stage spans, call spans."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from jobintel.pipeline import PIPELINE
from jobintel.settings import LLM_STAGES
from jobintel.simulator import SimulatorHandle
from tests.observability.tracing.conftest import (
    JsonLogs,
    attrs,
    llm_settings,
    only_extract,
    parent_of,
    span_id,
    trace_of,
    traced_run,
)


async def test_a_run_is_one_trace_of_run_stage_and_call_spans(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """One root run span; every stage a child of it; every call under its own stage span,
    with gen_ai attributes whose token counts and cost add up to the ledger's."""
    run = await traced_run(llm_settings(tmp_path, simulator))

    assert {trace_of(s) for s in run.spans} == {run.trace_id}
    root = run.root
    assert root.name == "jobintel run"
    assert attrs(root)["jobintel.run_id"] == run.run_id
    assert attrs(root)["jobintel.outcome"] == run.summary.status == "succeeded"
    job_id = run.summary.jobs[0].job_id

    stages = run.named("stage ")
    assert sorted(s.name for s in stages) == sorted(f"stage {n}" for n in PIPELINE.names)
    by_id = {span_id(s): s for s in stages}
    for span in stages:
        assert parent_of(span) == span_id(root)
        attributes = attrs(span)
        name = span.name.removeprefix("stage ")
        assert attributes["jobintel.run_id"] == run.run_id
        assert attributes["jobintel.job_id"] == job_id
        assert attributes["jobintel.stage"] == name
        assert attributes["jobintel.outcome"] == run.stages[name].status == "succeeded"
        assert attributes["jobintel.strategy"] == run.stages[name].strategy
        assert attributes["jobintel.degraded"] is False

    calls = run.calls
    assert calls, "the LLM stages made calls"
    tokens: Counter[tuple[str, str]] = Counter()
    cost: dict[str, Decimal] = {}
    for call in calls:
        attributes = attrs(call)
        parent = by_id[parent_of(call) or ""]
        assert attributes["jobintel.stage"] == attrs(parent)["jobintel.stage"]
        assert attributes["gen_ai.provider.name"] == attributes["gen_ai.system"]
        if attributes["gen_ai.operation.name"] == "chat":
            assert attributes["gen_ai.provider.name"] == "openai"
            assert attributes["gen_ai.request.model"] in {"gpt-4o-mini", "gpt-4o"}
            assert call.name == f"chat {attributes['gen_ai.request.model']}"
        else:
            assert (attributes["gen_ai.provider.name"], call.name) == (
                "firecrawl",
                "search firecrawl",
            )
        stage = str(attributes["jobintel.stage"])
        tokens[(stage, "in")] += attributes["gen_ai.usage.input_tokens"]
        tokens[(stage, "out")] += attributes["gen_ai.usage.output_tokens"]
        cost[stage] = cost.get(stage, Decimal(0)) + Decimal(str(attributes["jobintel.cost_usd"]))
    chat_stages = {
        attrs(c)["jobintel.stage"] for c in calls if attrs(c)["gen_ai.operation.name"] == "chat"
    }
    assert chat_stages == set(LLM_STAGES)

    ledger_tokens: Counter[tuple[str, str]] = Counter()
    ledger_cost: dict[str, Decimal] = {}
    for entry in run.ledger:
        stage = entry.stage or ""
        ledger_tokens[(stage, "in")] += entry.input_tokens
        ledger_tokens[(stage, "out")] += entry.output_tokens
        ledger_cost[stage] = ledger_cost.get(stage, Decimal(0)) + entry.cost_usd
    assert tokens == ledger_tokens
    assert tokens[("extract", "in")] > 0 and tokens[("extract", "out")] > 0
    for stage, usd in ledger_cost.items():
        assert float(cost[stage]) == pytest.approx(float(usd), rel=1e-9, abs=1e-12)
    # Every ledger row (attempt) is one attempt event on some call span.
    assert sum(len(c.events) for c in calls) == len(run.ledger)
    assert run.options["trace_id"] == run.trace_id


async def test_a_retried_call_shows_each_attempt_on_its_span(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A scripted 500 then success: the call's span holds two attempt events and totals."""
    simulator.configure(fault_script=["500"])
    run = await traced_run(llm_settings(tmp_path, simulator))

    retried = [c for c in run.calls if attrs(c)["jobintel.attempts"] == 2]
    assert len(retried) == 1
    (call,) = retried
    events = [dict(e.attributes or {}) for e in call.events]
    assert [e["jobintel.attempt"] for e in events] == [1, 2]
    first, second = events
    assert first["jobintel.outcome"] == first["error.type"] == "ProviderUnavailable"
    assert first["http.response.status_code"] == 500
    assert first["gen_ai.usage.input_tokens"] == 0
    assert second["jobintel.outcome"] == "ok" and "error.type" not in second
    assert second["jobintel.breaker_state"] == "closed"
    attributes = attrs(call)
    assert attributes["jobintel.outcome"] == "ok"
    assert attributes["gen_ai.usage.input_tokens"] == second["gen_ai.usage.input_tokens"]
    assert call.status.status_code == StatusCode.UNSET
    assert all(attrs(c)["jobintel.attempts"] == 1 for c in run.calls if c is not call)
    failed = [e for e in run.ledger if e.outcome == "ProviderUnavailable"]
    assert [(e.stage, e.attempt) for e in failed] == [(attributes["jobintel.stage"], 1)]


async def test_a_degraded_stage_and_its_refused_call_say_why(
    tmp_path: Path, simulator: SimulatorHandle, json_logs: JsonLogs
) -> None:
    """A 400 degrades extract: its stage span says degraded and why, the call span is an
    error; the warning logged inside the stage carries the stage span's trace/span ids."""
    simulator.configure(fault_script=["400"])
    run = await traced_run(only_extract(tmp_path, simulator))

    extract = run.stage("extract")
    attributes = attrs(extract)
    assert attributes["jobintel.outcome"] == "degraded"
    assert attributes["jobintel.degraded"] is True
    assert attributes["jobintel.strategy"] == "deterministic"
    assert "ProviderRejected" in str(attributes["jobintel.degraded_reason"])
    assert run.stages["extract"].reason == attributes["jobintel.degraded_reason"]

    (call,) = run.calls
    assert call.kind == SpanKind.CLIENT
    assert parent_of(call) == span_id(extract)
    call_attributes = attrs(call)
    assert call.status.status_code == StatusCode.ERROR
    assert call_attributes["error.type"] == "ProviderRejected"
    assert call_attributes["jobintel.attempts"] == 1
    assert call_attributes["jobintel.degraded"] is True
    assert call_attributes["jobintel.budget.reserved_usd"] > 0
    (event,) = call.events
    assert (event.attributes or {})["http.response.status_code"] == 400

    warnings = [line for line in json_logs.lines() if line["event"].startswith("stage degraded")]
    assert len(warnings) == 1
    (warning,) = warnings
    assert warning["trace_id"] == run.trace_id
    assert warning["span_id"] == span_id(extract)
    assert (warning["run_id"], warning["job_id"], warning["stage"]) == (
        run.run_id,
        run.summary.jobs[0].job_id,
        "extract",
    )


async def test_a_call_refused_by_a_budget_names_the_scope_on_its_span(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A per-call budget below the worst case: the call span is an error naming the budget
    scope that refused it, and nothing reached the provider."""
    run = await traced_run(only_extract(tmp_path, simulator, budget_call_usd="0.000001"))
    (call,) = run.calls
    attributes = attrs(call)
    assert attributes["error.type"] == "BudgetExceeded"
    assert attributes["jobintel.budget.scope_kind"] == "call"
    assert attributes["jobintel.budget.scope"] == "call"
    assert attributes["jobintel.budget.reserved_usd"] > 0
    assert attributes["gen_ai.usage.input_tokens"] == 0
    assert attrs(run.stage("extract"))["jobintel.outcome"] == "degraded"
    assert simulator.stats().total_requests == 0
