"""Per-call overhead of the full guard, beside LiteLLM's Router, against in-process fake models.

Each side calls a model that answers instantly in-process, so what is timed is the
machinery around the call:
- jobintel, in-process state: ``Gateway.call`` through budgets (reserve/settle on every
  scope), the rate limiter, the circuit breaker, retries (tenacity), pricing and a ledger
  row, with a fake ``ChatProvider``;
- jobintel, SQLite state: the same with budgets, limiter, breaker and ledger in a SQLite
  store (what several processes on one machine share);
- LiteLLM ``Router.acompletion`` with ``mock_response`` (its routing, callbacks and cost
  tracking, no HTTP). LiteLLM is installed only by the bench extra: ``pip install -e
  '.[bench]'``; without it that column is skipped.

Prints p50/p99 in microseconds; the last line is one JSON object. Aim: the in-process
guard's overhead <= 1/20 of LiteLLM's.

    .venv/bin/python bench/guard_overhead.py [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jobintel.guard import CallMeta, Gateway
from jobintel.guard.policies import build_guard
from jobintel.providers.base import ChatRequest, ChatResult, Message, Usage
from jobintel.settings import load_settings
from jobintel.store import Store

MESSAGES = (
    Message(role="system", content="You judge job fit."),
    Message(role="user", content="Posting: Python, PostgreSQL, Kubernetes. CV: 8 years Python."),
)


class InstantChat:
    """A chat provider that answers at once, as a model with zero latency would."""

    name = "openai"

    async def complete(self, request: ChatRequest) -> ChatResult:
        return ChatResult(
            text='{"fit": "good"}',
            usage=Usage(input_tokens=42, output_tokens=7),
            model=request.model,
            finish_reason="stop",
        )

    async def aclose(self) -> None:
        return None


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_us": round(statistics.median(ordered), 1),
        "p99_us": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
    }


async def timed(call: Callable[[], Awaitable[Any]], n: int, warmup: int = 50) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


async def jobintel_side(calls: int, tmp: Path) -> dict[str, dict[str, float]]:
    settings = load_settings(
        data_dir=tmp / "data",
        budget_run_usd=None,
        budget_job_usd=None,
        budget_day_usd=None,
        budget_month_usd=None,
        budget_stage_usd="1000",
    )
    request = ChatRequest(model="gpt-4o-mini", messages=MESSAGES, max_tokens=64)
    provider = InstantChat()
    results: dict[str, dict[str, float]] = {}
    direct = await timed(lambda: provider.complete(request), calls)
    results["direct_provider"] = percentiles(direct)

    memory = Gateway(chat={"openai": provider}, guard=build_guard(settings))
    meta = CallMeta(run_id="bench", job_id=1, stage="fit", candidate_id=1)
    results["jobintel_memory"] = percentiles(
        await timed(lambda: memory.call(meta, "openai", request), calls)
    )
    store = Store.open(settings.effective_database_url)
    try:
        sqlite = Gateway(
            chat={"openai": provider}, guard=build_guard(settings, engine=store.engine)
        )
        results["jobintel_sqlite"] = percentiles(
            await timed(lambda: sqlite.call(meta, "openai", request), max(calls // 5, 50))
        )
    finally:
        store.close()
    return results


async def litellm_side(calls: int) -> dict[str, float] | None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch at import
    try:
        from litellm import Router
    except ImportError:
        return None
    router = Router(
        model_list=[
            {
                "model_name": "gpt-4o-mini",
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_key": "bench",
                    "mock_response": '{"fit": "good"}',
                },
            }
        ]
    )
    messages = [{"role": m.role, "content": m.content} for m in MESSAGES]
    samples = await timed(
        lambda: router.acompletion(model="gpt-4o-mini", messages=messages, max_tokens=64), calls
    )
    return percentiles(samples)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ours = asyncio.run(jobintel_side(args.calls, Path(tmp)))
    theirs = asyncio.run(litellm_side(args.calls))
    direct = ours["direct_provider"]["p50_us"]
    overhead = {
        name: round(ours[name]["p50_us"] - direct, 1)
        for name in ("jobintel_memory", "jobintel_sqlite")
    }
    print(f"{'path':<18}{'p50 µs':>10}{'p99 µs':>10}")
    rows = {**ours, **({"litellm_router": theirs} if theirs else {})}
    for name, figures in rows.items():
        print(f"{name:<18}{figures['p50_us']:>10.1f}{figures['p99_us']:>10.1f}")
    ratio = None
    if theirs:
        ratio = round(overhead["jobintel_memory"] / max(theirs["p50_us"] - direct, 1e-9), 4)
        print(
            f"in-process guard overhead {overhead['jobintel_memory']:.0f} µs vs LiteLLM "
            f"{theirs['p50_us'] - direct:.0f} µs: {ratio:.3f} of LiteLLM's (aim <= 0.05)"
        )
    else:
        print("litellm not installed: pip install -e '.[bench]' for the comparison")
    print(
        json.dumps(
            {
                **rows,
                "guard_overhead_p50_us": overhead,
                "memory_vs_litellm_ratio": ratio,
                "meets_aim": ratio is not None and ratio <= 0.05,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
