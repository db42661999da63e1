"""How close the rate limiter runs to a provider's RPM/TPM limits, and how many 429s it draws.

N concurrent workers send chat calls to the provider simulator (OpenAI wire, sliding 60 s
RPM/TPM windows) for a few simulated minutes, in two scenarios: small prompts (RPM binds)
and large prompts with a generous max_tokens (TPM binds, and most of every reservation is
refunded). Each scenario runs twice, on separate simulators at the same time:

* guarded: through ``InMemoryRateLimiter`` (reserve estimated input + max_tokens, settle to
  the reported usage, tighten from the x-ratelimit headers, penalize on a 429);
* naive: no limiter, retrying 429s with tenacity (random exponential backoff).

Achieved throughput is the mean over every 60 s window inside the run of the requests and
(actual) tokens the simulator admitted, as % of the limit; the max window is shown too.

Time runs ``--speedup`` times faster than the wall clock for the simulator and both
clients alike (the simulator takes an injectable clock, the limiter a clock and a sleep),
so a 60 s window lasts 12 s at the default of 5 and the bench takes under two minutes.
Compressing time also magnifies CPU queueing into simulated network jitter (a burst of
32 requests queued for 0.2 s reads as 1 s at 5x), which the limiter's 1 s margin has to
absorb; much beyond 5x that stops resembling a real network.

    .venv/bin/python bench/ratelimit_utilization.py [--workers 32] [--minutes 4] [--speedup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from jobintel.guard.ratelimit import InMemoryRateLimiter, RateLimitPolicy
from jobintel.providers.base import ChatRequest, Message
from jobintel.providers.errors import ProviderRateLimited
from jobintel.providers.openai_chat import OpenAIChat
from jobintel.simulator import SimulatorConfig, count_tokens, start_simulator

MODEL = "sim-bench"
KEY = f"openai:{MODEL}"
AIM_PCT = 95.0
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "ships", "it")


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    rpm: int
    tpm: int
    prompt_chars: tuple[int, int]
    max_tokens: int


SCENARIOS = (
    Scenario(name="rpm_bound", rpm=120, tpm=200_000, prompt_chars=(200, 800), max_tokens=200),
    Scenario(name="tpm_bound", rpm=120, tpm=40_000, prompt_chars=(1500, 3000), max_tokens=400),
)


class ScaledTime:
    """Simulated seconds running ``speedup`` times faster than the wall clock."""

    def __init__(self, speedup: float) -> None:
        self.speedup = speedup
        self._origin = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._origin) * self.speedup

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speedup)


@dataclass
class Run:
    """What one client saw: each admitted call's (send time, actual tokens), and 429s."""

    calls: list[tuple[float, int]] = field(default_factory=list)
    rate_limited: int = 0


def request_for(rng: random.Random, scenario: Scenario) -> ChatRequest:
    size = rng.randint(*scenario.prompt_chars)
    text = ""
    while len(text) < size:
        text += rng.choice(WORDS) + " "
    return ChatRequest(
        model=MODEL,
        messages=(
            Message(role="system", content="Answer briefly."),
            Message(role="user", content=text),
        ),
        max_tokens=scenario.max_tokens,
    )


def estimate(request: ChatRequest) -> int:
    """Worst-case tokens as the provider counts them before answering: input + max_tokens."""
    return sum(count_tokens(m.content) for m in request.messages) + request.max_tokens


async def guarded_worker(
    provider: OpenAIChat,
    limiter: InMemoryRateLimiter,
    scenario: Scenario,
    clock: ScaledTime,
    until: float,
    rng: random.Random,
    run: Run,
) -> None:
    while clock() < until:
        request = request_for(rng, scenario)
        reserved = estimate(request)
        permit = await limiter.acquire(KEY, tokens=reserved)
        try:
            result = await provider.complete(request)
        except ProviderRateLimited as exc:
            run.rate_limited += 1
            await permit.settle(reserved)
            await limiter.penalize(KEY, exc.retry_after_s or 1.0)
            continue
        used = result.usage.input_tokens + result.usage.output_tokens
        await permit.settle(used)
        if result.rate_limit is not None:
            await limiter.tighten(KEY, result.rate_limit, as_of=permit.granted_at)
        run.calls.append((permit.granted_at, used))


async def naive_worker(
    provider: OpenAIChat,
    scenario: Scenario,
    clock: ScaledTime,
    until: float,
    rng: random.Random,
    run: Run,
) -> None:
    def count_429(_state: Any) -> None:
        run.rate_limited += 1

    while clock() < until:
        request = request_for(rng, scenario)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(ProviderRateLimited),
            wait=wait_random_exponential(multiplier=0.5, max=20),
            stop=stop_after_attempt(60),
            sleep=clock.sleep,
            before_sleep=count_429,
            reraise=True,
        ):
            with attempt:
                sent = clock()
                result = await provider.complete(request)
        run.calls.append((sent, result.usage.input_tokens + result.usage.output_tokens))


async def run_client(
    kind: str, scenario: Scenario, *, workers: int, minutes: float, speedup: float, seed: int
) -> dict[str, Any]:
    clock = ScaledTime(speedup)
    # The simulator's own latency (a few ms) is kept: it counts a request against its
    # limits only after that latency, so long simulated latencies would read as network
    # jitter of whole seconds between our grant and its count.
    config = SimulatorConfig(seed=seed, rpm=scenario.rpm, tpm=scenario.tpm)
    run = Run()
    with start_simulator(config, clock=clock) as sim:
        async with httpx.AsyncClient(timeout=None) as http:
            provider = OpenAIChat(
                name="openai", base_url=sim.openai_base_url, api_key="sim", http_client=http
            )
            # Warm up (the SDK imports lazily on its first call), then start from zero.
            await provider.complete(request_for(random.Random(0), scenario))
            sim.reset()
            rng = random.Random(seed)
            until = clock() + minutes * 60
            start = clock()
            if kind == "guarded":
                policy = RateLimitPolicy(rpm=scenario.rpm, tpm=scenario.tpm, max_wait_s=600)
                limiter = InMemoryRateLimiter(
                    policies={KEY: policy}, clock=clock, sleep=clock.sleep
                )
                jobs = [
                    guarded_worker(provider, limiter, scenario, clock, until, rng, run)
                    for _ in range(workers)
                ]
            else:
                jobs = [
                    naive_worker(provider, scenario, clock, until, rng, run) for _ in range(workers)
                ]
            await asyncio.gather(*jobs)
            await provider.aclose()
        stats = sim.stats()
    return summarize(kind, scenario, run, start=start, end=until, sim_429=stats.rate_limited)


def summarize(
    kind: str, scenario: Scenario, run: Run, *, start: float, end: float, sim_429: int
) -> dict[str, Any]:
    calls = sorted(run.calls)
    requests_pct: list[float] = []
    tokens_pct: list[float] = []
    t = start
    while t + 60 <= end:  # every full 60 s window inside the run, 1 s apart
        inside = [tokens for at, tokens in calls if t <= at < t + 60]
        requests_pct.append(100 * len(inside) / scenario.rpm)
        tokens_pct.append(100 * sum(inside) / scenario.tpm)
        t += 1.0
    return {
        "scenario": scenario.name,
        "client": kind,
        "calls": len(calls),
        "rpm_pct_mean": round(sum(requests_pct) / len(requests_pct), 1),
        "rpm_pct_max": round(max(requests_pct), 1),
        "tpm_pct_mean": round(sum(tokens_pct) / len(tokens_pct), 1),
        "tpm_pct_max": round(max(tokens_pct), 1),
        "http_429": sim_429,
    }


def run_in_process(job: tuple[str, Scenario, argparse.Namespace]) -> dict[str, Any]:
    kind, scenario, args = job
    return asyncio.run(
        run_client(
            kind,
            scenario,
            workers=args.workers,
            minutes=args.minutes,
            speedup=args.speedup,
            seed=args.seed,
        )
    )


def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each run in its own process (its simulator on a thread there): the two guarded runs
    together, then the two naive ones.

    Separate processes keep one run's CPU bursts from delaying another's requests, which
    compressed time would magnify into seconds of apparent network jitter; the naive
    clients' 429 storms are the heaviest load, so they do not share the machine with the
    guarded runs.
    """
    context = multiprocessing.get_context("spawn")
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for kind in ("guarded", "naive"):
            results += pool.map(run_in_process, [(kind, s, args) for s in SCENARIOS])
    return sorted(results, key=lambda r: (r["scenario"], r["client"]))


def binding(result: dict[str, Any]) -> float:
    """Utilisation of the limit that binds in the result's scenario."""
    return float(result["rpm_pct_mean" if result["scenario"] == "rpm_bound" else "tpm_pct_mean"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--minutes", type=float, default=4.0, help="simulated minutes per run")
    parser.add_argument("--speedup", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = bench(args)
    print(
        f"{'scenario':<10} {'client':<8} {'calls':>6} {'rpm% mean/max':>14} "
        f"{'tpm% mean/max':>14} {'429s':>6}"
    )
    for r in results:
        print(
            f"{r['scenario']:<10} {r['client']:<8} {r['calls']:>6} "
            f"{r['rpm_pct_mean']:>7}/{r['rpm_pct_max']:<6} {r['tpm_pct_mean']:>7}/{r['tpm_pct_max']:<6} "
            f"{r['http_429']:>6}"
        )
    guarded = [r for r in results if r["client"] == "guarded"]
    summary = {
        "bench": "ratelimit_utilization",
        "workers": args.workers,
        "simulated_minutes": args.minutes,
        "speedup": args.speedup,
        "wall_s": round(time.perf_counter() - started, 1),
        "results": results,
        "guarded_min_binding_pct": min(binding(r) for r in guarded),
        "guarded_429s": sum(r["http_429"] for r in guarded),
        "aim_met": all(binding(r) >= AIM_PCT and r["http_429"] == 0 for r in guarded),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
