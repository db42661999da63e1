"""Which fault the next request meets, and how long it waits: scripted first, then random."""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque

from starlette.requests import Request

from jobintel.simulator.config import SimulatorConfig

#: Scripted HTTP faults that say when to come back, as real providers do: rate limited,
#: unavailable, and Anthropic's "overloaded".
RETRY_AFTER_FAULTS = frozenset({"429", "503", "529"})

#: The normal-distribution quantile of p95, to turn (p50, p95) into a lognormal sigma.
_Z95 = 1.6448536269514722


class FaultPlan:
    """Draws one fault per request: the script's next item, else one drawn by the rates."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._rng = random.Random(config.seed)  # noqa: S311 - simulation, not security
        self._script: deque[str] = deque(config.fault_script)

    def rescript(self, script: tuple[str, ...]) -> None:
        self._script = deque(script)

    @property
    def remaining(self) -> tuple[str, ...]:
        return tuple(self._script)

    def draw(self, config: SimulatorConfig, *, stream: bool) -> str:
        """``"ok"``, a fault name, or an HTTP status such as ``"503"``."""
        if self._script:
            return self._script.popleft()
        roll = self._rng.random()
        for fault, rate in (
            ("5xx", config.error_5xx_rate),
            ("timeout", config.timeout_rate),
            ("malformed", config.malformed_json_rate),
            ("truncate", config.truncated_stream_rate if stream else 0.0),
            ("invalid", config.invalid_output_rate),
        ):
            if roll < rate:
                return self._rng.choice(("500", "502", "503")) if fault == "5xx" else fault
            roll -= rate
        return "ok"

    def latency_s(self, config: SimulatorConfig) -> float:
        """Base latency plus lognormal jitter with the configured median and p95."""
        jitter = 0.0
        if config.latency_p50_ms > 0:
            sigma = math.log(config.latency_p95_ms / config.latency_p50_ms) / _Z95
            jitter = self._rng.lognormvariate(math.log(config.latency_p50_ms), sigma)
        return (config.latency_base_ms + jitter) / 1000.0


async def hold(request: Request, seconds: float) -> bool:
    """Wait ``seconds`` or until the client hangs up; True if the client is still there."""

    async def hung_up() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(hung_up(), timeout=seconds)
    except TimeoutError:
        return True
    return False
