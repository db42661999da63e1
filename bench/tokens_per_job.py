"""The 53 sample postings through the provider simulator with LLM strategies on every stage.

Reports mean input and output tokens per job and per stage (as the simulator's usage
fields report them, i.e. what a provider would bill), the number of research calls per job
with the per-company cache, and how many stages degraded. The last line is one JSON object.
Aim: <= 6,000 input tokens per job on average.

    .venv/bin/python bench/tokens_per_job.py [--concurrency N] [path/to/jobs.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from jobintel.guard import CallRecord, Gateway
from jobintel.pipeline import EventBus, PipelineRunner, plan_run
from jobintel.settings import LLM_STAGES, load_settings
from jobintel.simulator import SimulatorConfig, start_simulator
from jobintel.store import Store

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
AIM_INPUT_TOKENS = 6_000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jobs", nargs="?", type=Path, default=SAMPLES / "jobs.jsonl")
    parser.add_argument("--cv", type=Path, default=SAMPLES / "master-cv.md")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)

    records: list[CallRecord] = []
    with start_simulator(SimulatorConfig(seed=7)) as sim, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp) / "data",
            out_dir=Path(tmp) / "out",
            concurrency=args.concurrency,
            strategy="llm",
            model="openai:gpt-4o-mini",
            writer_model="openai:gpt-4o",
            openai_base_url=sim.openai_base_url,
            openai_api_key="sim",
            research="firecrawl",
            firecrawl_base_url=sim.firecrawl_base_url,
            firecrawl_api_key="sim",
        )
        store = Store.open(settings.effective_database_url)
        bus = EventBus(store)
        planned = plan_run(
            store,
            settings,
            bus,
            posting_paths=[args.jobs],
            cv_path=args.cv,
            out_dir=settings.out_dir,
        )

        async def run() -> str:
            async with Gateway.from_settings(settings) as gateway:
                gateway.observe(records.append)
                runner = PipelineRunner(store, settings, bus=bus, gateway=gateway)
                summary = await runner.execute(planned.run_id)
                return summary.status

        status = asyncio.run(run())
        jobs = store.jobs(planned.run_id)
        strategies: dict[str, list[str]] = defaultdict(list)
        for job in jobs:
            for name, record in store.stage_results(job.id).items():
                strategies[name].append(record.status)
        store.close()

    n_jobs = len(jobs)
    chat = [r for r in records if r.operation == "chat"]
    research = [r for r in records if r.operation != "chat"]
    per_stage_in: dict[str, int] = defaultdict(int)
    per_stage_out: dict[str, int] = defaultdict(int)
    per_stage_calls: dict[str, int] = defaultdict(int)
    for r in chat:
        stage = r.meta.stage or "?"
        per_stage_in[stage] += r.usage.input_tokens
        per_stage_out[stage] += r.usage.output_tokens
        per_stage_calls[stage] += 1
    total_in = sum(per_stage_in.values())
    total_out = sum(per_stage_out.values())
    per_job_in = [
        sum(r.usage.input_tokens for r in chat if r.meta.job_id == job.id) for job in jobs
    ]
    degraded = {name: s.count("degraded") for name, s in strategies.items() if "degraded" in s}
    failed_calls = sum(1 for r in records if r.outcome != "ok")

    print(f"{n_jobs} jobs ({status}); {len(chat)} model calls, {len(research)} research calls")
    print(f"{'stage':<14}{'calls/job':>10}{'in/job':>10}{'out/job':>10}")
    for stage in LLM_STAGES:
        print(
            f"{stage:<14}{per_stage_calls[stage] / n_jobs:>10.2f}"
            f"{per_stage_in[stage] / n_jobs:>10.0f}{per_stage_out[stage] / n_jobs:>10.0f}"
        )
    mean_in = total_in / n_jobs
    print(
        f"mean per job: {mean_in:.0f} input tokens (aim <= {AIM_INPUT_TOKENS}), "
        f"{total_out / n_jobs:.0f} output tokens; p95 input "
        f"{sorted(per_job_in)[int(0.95 * (n_jobs - 1))]}; research calls per job "
        f"{len(research) / n_jobs:.2f}; degraded stages {degraded or 'none'}"
    )
    print(
        json.dumps(
            {
                "jobs": n_jobs,
                "status": status,
                "mean_input_tokens_per_job": round(mean_in, 1),
                "mean_output_tokens_per_job": round(total_out / n_jobs, 1),
                "median_input_tokens_per_job": statistics.median(per_job_in) if per_job_in else 0,
                "input_tokens_per_stage": {
                    s: round(per_stage_in[s] / n_jobs, 1) for s in LLM_STAGES
                },
                "output_tokens_per_stage": {
                    s: round(per_stage_out[s] / n_jobs, 1) for s in LLM_STAGES
                },
                "model_calls_per_job": round(len(chat) / n_jobs, 2),
                "research_calls_per_job": round(len(research) / n_jobs, 2),
                "failed_calls": failed_calls,
                "degraded_stages": degraded,
                "meets_aim": mean_in <= AIM_INPUT_TOKENS,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
