"""The 53 sample postings through the whole pipeline offline (deterministic strategies).

Prints jobs/s, p50/p95 duration per stage, peak RSS and the mean ratio of a job's wall
time to the critical path of its stages (1.0 = stages overlapped perfectly). The last line
is one JSON object.

    .venv/bin/python bench/offline_pipeline.py [--concurrency N] [path/to/jobs.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jobintel.pipeline import PIPELINE, EventBus, PipelineRunner, plan_run
from jobintel.settings import load_settings
from jobintel.store import Store

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jobs", nargs="?", type=Path, default=SAMPLES / "jobs.jsonl")
    parser.add_argument("--cv", type=Path, default=SAMPLES / "master-cv.md")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp) / "data", out_dir=Path(tmp) / "out", concurrency=args.concurrency
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
        started = time.perf_counter()
        summary = asyncio.run(PipelineRunner(store, settings, bus=bus).execute(planned.run_id))
        elapsed = time.perf_counter() - started

        per_stage: dict[str, list[float]] = {name: [] for name in PIPELINE.names}
        ratios: list[float] = []
        for job in store.jobs(planned.run_id):
            records = store.stage_results(job.id)
            for name, record in records.items():
                per_stage[name].append(record.duration_ms)
            wall_ms = (
                max(r.finished_at for r in records.values())
                - min(r.started_at for r in records.values())
            ).total_seconds() * 1000
            critical = PIPELINE.critical_path_ms({n: r.duration_ms for n, r in records.items()})
            if critical > 0:
                ratios.append(wall_ms / critical)
        store.close()

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(summary.jobs)} jobs ({summary.status}) in {elapsed:.2f} s at concurrency "
        f"{args.concurrency}: {len(summary.jobs) / elapsed:.1f} jobs/s"
    )
    print(f"{'stage':<14} {'p50 ms':>8} {'p95 ms':>8}")
    stages: dict[str, dict[str, float]] = {}
    for name, values in per_stage.items():
        stages[name] = {
            "p50_ms": round(percentile(values, 0.5), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
        }
        print(f"{name:<14} {stages[name]['p50_ms']:>8.2f} {stages[name]['p95_ms']:>8.2f}")
    mean_ratio = statistics.fmean(ratios) if ratios else 0.0
    print(f"peak RSS {peak_rss_mb:.0f} MB; mean job wall time / critical path {mean_ratio:.2f}")
    print(
        json.dumps(
            {
                "jobs": len(summary.jobs),
                "status": summary.status,
                "seconds": round(elapsed, 3),
                "jobs_per_s": round(len(summary.jobs) / elapsed, 2),
                "concurrency": args.concurrency,
                "stages": stages,
                "peak_rss_mb": round(peak_rss_mb, 1),
                "mean_wall_over_critical_path": round(mean_ratio, 3),
            }
        )
    )
    return 0 if summary.status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
