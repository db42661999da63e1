"""A dead provider: the breaker opens, the 53-posting batch finishes degraded, never hangs.

The simulator answers every request with a 5xx. After a few failures the breaker opens,
later calls fail fast without touching the network, and each half-open window admits
exactly one probe; every stage falls back to its deterministic strategy.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from jobintel.guard import Gateway
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.ledger import CostLedger
from jobintel.pipeline import EventBus, PipelineRunner, plan_run
from jobintel.settings import LLM_STAGES, load_settings
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES, SAMPLES


async def test_dead_provider_opens_the_breaker_and_the_batch_finishes_degraded(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """All 53 jobs publish deterministic dossiers; refused calls never reach the provider."""
    simulator.configure(error_5xx_rate=1.0)
    settings = load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        strategy="llm",
        model="openai:gpt-4o-mini",
        openai_base_url=simulator.openai_base_url,
        openai_api_key="sim-key",
        research="off",
        concurrency=8,
        retry_backoff_s=0.01,
        retry_max_backoff_s=0.02,
        # Long enough that a stalled event loop does not turn a probe's retry into a probe.
        breaker_cooldown_s=1.0,
        budget_run_usd=None,
        budget_day_usd=None,
        budget_month_usd=None,
    )
    store = Store.open(settings.effective_database_url)
    try:
        bus = EventBus(store)
        planned = plan_run(
            store,
            settings,
            bus,
            posting_paths=[SAMPLES / "jobs.jsonl"],
            cv_path=EXAMPLES / "master-cv.md",
            out_dir=settings.out_dir,
        )
        events = GuardEventLog(store.engine)
        async with Gateway.from_settings(settings, engine=store.engine, on_event=events) as gw:
            runner = PipelineRunner(store, settings, bus=bus, gateway=gw)
            summary = await asyncio.wait_for(runner.execute(planned.run_id), timeout=240)
        ledger = CostLedger(store.engine).entries(run_id=planned.run_id)
        transitions = events.recent(limit=10_000, kinds=["breaker_transition"])
        records = [store.stage_results(job.job_id) for job in summary.jobs]
    finally:
        store.close()

    assert len(summary.jobs) == 53
    assert {job.status for job in summary.jobs} == {"degraded"}
    for stages in records:
        assert stages["publish"].status == "succeeded"
        for name in LLM_STAGES:
            assert (stages[name].status, stages[name].strategy) == ("degraded", "deterministic")
    outcomes = Counter(entry.outcome for entry in ledger)
    assert set(outcomes) == {"ProviderUnavailable", "CircuitOpen"}
    # Only admitted attempts reach the provider; refusals are fast and offline.
    assert simulator.stats().total_requests == outcomes["ProviderUnavailable"]
    assert outcomes["CircuitOpen"] > outcomes["ProviderUnavailable"]
    # Each half-open window lets exactly one probe through.
    half_open = [t for t in transitions if "-> half_open" in t.message]
    probes = [e for e in ledger if e.breaker_state == "half_open"]
    assert half_open and len(probes) == len(half_open)
