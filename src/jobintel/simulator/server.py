"""Run the simulator: on a background thread for tests and benchmarks, or in the foreground."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from jobintel.providers.netguard import is_loopback_host
from jobintel.simulator.app import create_app
from jobintel.simulator.config import SimulatorConfig
from jobintel.simulator.state import SimulatorState, SimulatorStats

_START_TIMEOUT_S = 10.0


class SimulatorHandle:
    """A running simulator: its URLs, and its config and stats without going over HTTP."""

    def __init__(self, url: str, state: SimulatorState) -> None:
        self.url = url
        self.openai_base_url = f"{url}/v1"
        self.anthropic_base_url = url
        self.firecrawl_base_url = f"{url}/firecrawl"
        self._state = state

    @property
    def config(self) -> SimulatorConfig:
        return self._state.config

    def configure(self, **changes: Any) -> SimulatorConfig:
        """Merge ``changes`` into the running config (a new ``fault_script`` restarts it)."""
        return self._state.configure(changes)

    def stats(self) -> SimulatorStats:
        return self._state.stats()

    def reset(self) -> None:
        """Forget counters, limit windows and cached prompts; re-queue the fault script."""
        self._state.reset()

    def renew(
        self, config: SimulatorConfig | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> SimulatorHandle:
        """Start over as if freshly started with ``config`` and ``clock``, on the same port.

        Lets a test session share one server while every test gets its own state.
        """
        self._state.renew(config or SimulatorConfig(), clock)
        return self


class _QuickServer(uvicorn.Server):
    """uvicorn's server, checking for shutdown every 10 ms instead of 100 ms.

    Tests start and stop a simulator each; the default tick would add most of a tenth
    of a second to every one of them.
    """

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


def _server_config(app: Any, host: str, port: int, *, quiet: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        timeout_graceful_shutdown=2,
    )


@contextmanager
def start_simulator(
    config: SimulatorConfig | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[SimulatorHandle]:
    """Serve the simulator on 127.0.0.1 (a free port) on a thread while the block runs."""
    state = SimulatorState(config or SimulatorConfig(), clock)
    server = _QuickServer(_server_config(create_app(state=state), "127.0.0.1", 0, quiet=True))
    thread = threading.Thread(target=server.run, name="jobintel-simulator", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the provider simulator did not start on 127.0.0.1")
            time.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield SimulatorHandle(f"http://127.0.0.1:{port}", state)
    finally:
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT_S)


def serve(config: SimulatorConfig, *, host: str, port: int) -> None:
    """Serve in the foreground until interrupted (``jobintel simulate``)."""
    if not is_loopback_host(host):
        raise ValueError(f"host {host!r} is not a loopback address: use 127.0.0.1")
    state = SimulatorState(config, time.monotonic)
    uvicorn.Server(_server_config(create_app(state=state), host, port, quiet=False)).run()
