"""Proof that every external request goes through the guard, and every attempt is in the ledger.

The whole pipeline runs with LLM strategies (OpenAI SDK, FireCrawl research) against the
provider simulator on loopback. The gateway's HTTP client uses a transport that fails the
test on any request not issued from inside a guarded attempt; the simulator counts what
reaches it, so a client that went around the gateway's transport would show up there.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from jobintel.guard import Gateway
from jobintel.guard.call import AttemptTag, current_attempt
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.ledger import CostLedger
from jobintel.pipeline import EventBus, PipelineRunner, plan_run
from jobintel.settings import LLM_STAGES, load_settings
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES


class GatewayOnlyTransport(httpx.AsyncBaseTransport):
    """Forwards requests made inside a guarded attempt; fails the test on any other."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.seen: list[AttemptTag] = []
        self.stray: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tag = current_attempt()
        if tag is None:
            self.stray.append(str(request.url))
            pytest.fail(f"{request.method} {request.url} was not issued through the guard")
        self.seen.append(tag)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_every_request_of_a_whole_run_is_guarded_and_in_the_ledger(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """All stages call out; each HTTP request is a guarded attempt with exactly one ledger row."""
    simulator.configure(fault_script=["ok", "500"])  # one retried attempt among the rest
    settings = load_settings(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
        strategy="llm",
        model="openai:gpt-4o-mini",
        writer_model="openai:gpt-4o",
        openai_base_url=simulator.openai_base_url,
        openai_api_key="sim-key",
        research="firecrawl",
        firecrawl_base_url=simulator.firecrawl_base_url,
        firecrawl_api_key="sim-key",
        retry_backoff_s=0.01,
    )
    transport = GatewayOnlyTransport()
    store = Store.open(settings.effective_database_url)
    try:
        bus = EventBus(store)
        planned = plan_run(
            store,
            settings,
            bus,
            posting_paths=[EXAMPLES / "postings"],
            cv_path=EXAMPLES / "master-cv.md",
            out_dir=settings.out_dir,
        )
        async with Gateway.from_settings(
            settings,
            engine=store.engine,
            transport=transport,
            on_event=GuardEventLog(store.engine),
        ) as gateway:
            runner = PipelineRunner(store, settings, bus=bus, gateway=gateway)
            summary = await runner.execute(planned.run_id)
        ledger = CostLedger(store.engine).entries(run_id=planned.run_id)
        stages = {
            name: record.strategy
            for job in summary.jobs
            for name, record in store.stage_results(job.job_id).items()
        }
    finally:
        store.close()

    assert transport.stray == []
    assert all(
        strategy.startswith("llm:") for name, strategy in stages.items() if name in LLM_STAGES
    )
    # Every request that reached a provider went through the transport, inside the guard ...
    assert simulator.stats().total_requests == len(transport.seen) > len(summary.jobs) * 7
    # ... and every guarded attempt is one ledger row, with its stage and attempt number.
    requested = sorted((t.service, t.stage or "", t.attempt) for t in transport.seen)
    recorded = sorted((e.service, e.stage or "", e.attempt) for e in ledger)
    assert requested == recorded
    assert any(e.outcome == "ProviderUnavailable" for e in ledger)
    assert {e.service for e in ledger} == {"openai", "firecrawl"}
    assert all(e.cost_usd > 0 for e in ledger if e.outcome == "ok")
