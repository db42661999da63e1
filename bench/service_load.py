"""The runner service under load: 100 SSE clients while batches run, plus API reads.

Serves the real app with uvicorn on 127.0.0.1 (temp SQLite store, deterministic
strategies), uploads the 53 sample postings and a CV, then, at the same time:
- submits batches of postings as runs (``--batches`` runs of ``--batch-size``);
- keeps ``--clients`` Server-Sent-Events clients on those runs' event streams, measuring
  each live event's delivery delay (receipt time minus the event's stored ``created_at``;
  events stored before the client connected are replays and not counted as delays);
- polls API reads (run detail, progress, postings list) and measures their latency.

Prints p50/p95 of read latency and event delay and the error count; the last line is
one JSON object.

    .venv/bin/python bench/service_load.py [--clients 100] [--batches 3] [--batch-size 10]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from jobintel.service.auth.tokens import create_token
from jobintel.settings import load_settings
from jobintel.store import Store

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(
                f"jobintel serve exited: {server.stderr.read().decode() if server.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("jobintel serve did not become ready")


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Figures:
    def __init__(self) -> None:
        self.reads_ms: list[float] = []
        self.delays_ms: list[float] = []
        self.errors: list[str] = []
        self.events = 0


async def sse_client(url: str, token: str, run_id: str, figures: Figures) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            httpx.AsyncClient(base_url=url, headers=headers, timeout=None) as client,
            client.stream("GET", f"/api/runs/{run_id}/events") as stream,
        ):
            if stream.status_code != 200:
                figures.errors.append(f"sse {stream.status_code}")
                return
            connected = datetime.now(UTC)
            async for line in stream.aiter_lines():
                if not line.startswith("data: "):
                    continue
                received = datetime.now(UTC)
                created = datetime.fromisoformat(json.loads(line[6:])["created_at"])
                if created.tzinfo is None:
                    created = created.replace(tzinfo=UTC)
                figures.events += 1
                if created >= connected:  # live; earlier ones are replays, not delays
                    figures.delays_ms.append((received - created).total_seconds() * 1000)
    except httpx.HTTPError as exc:
        figures.errors.append(f"sse {type(exc).__name__}")


def sse_share(url: str, token: str, run_ids: list[str]) -> tuple[list[float], int, list[str]]:
    """One client process: an SSE client per run id, to each stream's end."""
    figures = Figures()

    async def all_clients() -> None:
        await asyncio.gather(*(sse_client(url, token, run_id, figures) for run_id in run_ids))

    asyncio.run(all_clients())
    return figures.delays_ms, figures.events, figures.errors


async def reader(
    url: str, token: str, run_ids: list[str], figures: Figures, stop: asyncio.Event
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    paths = [
        p for run_id in run_ids for p in (f"/api/runs/{run_id}", f"/api/runs/{run_id}/progress")
    ]
    paths.append("/api/postings?limit=50")
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                response = await client.get(path)
                if response.status_code != 200:
                    figures.errors.append(f"read {path} {response.status_code}")
            except httpx.HTTPError as exc:
                figures.errors.append(f"read {type(exc).__name__}")
            figures.reads_ms.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.02)


async def drive(url: str, token: str, args: argparse.Namespace) -> tuple[Figures, float]:
    figures = Figures()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        cv = args.cv.read_bytes()
        candidate = (await client.post("/api/candidates", files={"file": ("cv.md", cv)})).json()
        jobs = args.jobs.read_bytes()
        posted = (await client.post("/api/postings", files={"file": ("jobs.jsonl", jobs)})).json()
        ids = [p["id"] for p in posted["postings"]]
        started = time.perf_counter()
        run_ids = []
        for b in range(args.batches):
            batch = ids[b * args.batch_size : (b + 1) * args.batch_size] or ids[: args.batch_size]
            body = {"posting_ids": batch, "candidate_id": candidate["id"]}
            response = await client.post("/api/runs", json=body)
            if response.status_code != 202:
                figures.errors.append(f"submit {response.status_code}")
                continue
            run_ids.append(response.json()["id"])
    stop = asyncio.Event()
    readers = [asyncio.create_task(reader(url, token, run_ids, figures, stop)) for _ in range(4)]
    # SSE clients run in several processes, so the measured delay is the server's, not
    # one client process parsing 100 streams under its GIL.
    procs = max(1, min(args.client_processes, args.clients))
    shares = [list(range(i, args.clients, procs)) for i in range(procs)]
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(procs) as pool:
        results = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, sse_share, url, token, [run_ids[i % len(run_ids)] for i in share]
                )
                for share in shares
            )
        )
    for delays, events, errors in results:
        figures.delays_ms.extend(delays)
        figures.events += events
        figures.errors.extend(errors)
    stop.set()
    await asyncio.gather(*readers)
    return figures, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--jobs", type=Path, default=SAMPLES / "jobs.jsonl")
    parser.add_argument("--cv", type=Path, default=SAMPLES / "master-cv.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = load_settings(data_dir=data, out_dir=Path(tmp) / "out")
        store = Store.open(settings.effective_database_url)
        token = create_token(store.engine, "bench", ["admin"])
        store.close()
        # The server gets its own process, as in production: the clients' parsing must
        # not compete with it for the GIL.
        env = {
            **os.environ,
            "JOBINTEL_DATA_DIR": str(data),
            "JOBINTEL_OUT_DIR": str(Path(tmp) / "out"),
            "JOBINTEL_STRATEGY": "deterministic",
        }
        port = free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("jobintel")), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, server)
            figures, elapsed = asyncio.run(drive(url, token, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "clients": args.clients,
        "runs": args.batches,
        "jobs": args.batches * args.batch_size,
        "elapsed_s": round(elapsed, 1),
        "reads": len(figures.reads_ms),
        "read_p50_ms": round(pct(figures.reads_ms, 0.5), 1),
        "read_p95_ms": round(pct(figures.reads_ms, 0.95), 1),
        "events_delivered": figures.events,
        "live_events": len(figures.delays_ms),
        "event_delay_p50_ms": round(pct(figures.delays_ms, 0.5), 1),
        "event_delay_p95_ms": round(pct(figures.delays_ms, 0.95), 1),
        "errors": len(figures.errors),
    }
    print(
        f"{args.clients} SSE clients on {args.batches} runs of {args.batch_size} jobs, "
        f"{elapsed:.1f} s: API reads p50 {result['read_p50_ms']} ms / p95 "
        f"{result['read_p95_ms']} ms ({len(figures.reads_ms)} reads); event delay p50 "
        f"{result['event_delay_p50_ms']} ms / p95 {result['event_delay_p95_ms']} ms "
        f"({figures.events} events); errors {len(figures.errors)}"
    )
    if figures.errors:
        print("first errors:", statistics.mode(figures.errors), figures.errors[:5])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
