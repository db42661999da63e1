"""The simulator's mutable state: config, fault plan, limits, prompt cache and counters.

Request handlers run on the server's event loop while tests configure and read stats
from their own thread, so every access goes through one lock (held only briefly, never
across an ``await``).
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from jobintel.simulator.config import SimulatorConfig
from jobintel.simulator.faults import FaultPlan
from jobintel.simulator.limits import Admission, LimitSnapshot, SlidingWindowLimiter
from jobintel.simulator.tokens import PromptCache


class SimulatorStats(BaseModel):
    """What the simulator has served since it started or was last reset."""

    model_config = ConfigDict(frozen=True)

    requests: dict[str, int]
    rate_limited: int
    faults: dict[str, int]
    input_tokens: int
    output_tokens: int
    cached_tokens: int

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


@dataclass(frozen=True, kw_only=True)
class Ticket:
    """What one request was dealt on arrival."""

    config: SimulatorConfig
    fault: str
    latency_s: float
    request_id: str


class SimulatorState:
    def __init__(self, config: SimulatorConfig, clock: Callable[[], float]) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._clock = clock
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._plan = FaultPlan(self._config)
        self._limiter = SlidingWindowLimiter(self._clock)
        self._cache = PromptCache()
        self._requests: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._totals: Counter[str] = Counter()
        self._ids = itertools.count(1)

    @property
    def config(self) -> SimulatorConfig:
        return self._config

    def configure(self, changes: Mapping[str, Any]) -> SimulatorConfig:
        """Merge ``changes`` into the config; a new ``fault_script`` replaces the queue."""
        with self._lock:
            self._config = self._config.merged(dict(changes))
            if "fault_script" in changes:
                self._plan.rescript(self._config.fault_script)
            return self._config

    def reset(self) -> None:
        """Forget counters, limit windows and cached prompts; re-queue the fault script."""
        with self._lock:
            self._reset_locked()

    def renew(self, config: SimulatorConfig, clock: Callable[[], float]) -> None:
        """Become a brand-new simulator state with ``config`` and ``clock``."""
        with self._lock:
            self._config, self._clock = config, clock
            self._reset_locked()

    def remaining_script(self) -> tuple[str, ...]:
        with self._lock:
            return self._plan.remaining

    def count(self, route: str) -> None:
        """Count a request on ``route`` that is refused before any fault is dealt."""
        with self._lock:
            self._requests[route] += 1

    def begin(self, route: str, *, stream: bool = False) -> Ticket:
        """Count a request on ``route`` and deal it a fault and a latency."""
        with self._lock:
            self._requests[route] += 1
            fault = self._plan.draw(self._config, stream=stream)
            if fault != "ok":
                self._faults[fault] += 1
            if fault == "429":
                self._totals["rate_limited"] += 1
            return Ticket(
                config=self._config,
                fault=fault,
                latency_s=self._plan.latency_s(self._config),
                request_id=f"req_sim_{next(self._ids):06d}",
            )

    def admit(self, key: str, tokens: int) -> Admission:
        with self._lock:
            config = self._config
            admission = self._limiter.admit(key, rpm=config.rpm, tpm=config.tpm, tokens=tokens)
            if not admission.allowed:
                self._totals["rate_limited"] += 1
            return admission

    def settle(self, key: str, admission: Admission, tokens: int) -> LimitSnapshot:
        with self._lock:
            if admission.entry is None:
                return admission.snapshot
            config = self._config
            return self._limiter.settle(
                key, admission.entry, tokens, rpm=config.rpm, tpm=config.tpm
            )

    def cached_tokens(self, model: str, messages: Sequence[Mapping[str, str]]) -> int:
        with self._lock:
            return self._cache.lookup_and_store(model, messages)

    def count_usage(self, *, input_tokens: int, output_tokens: int, cached_tokens: int) -> None:
        with self._lock:
            self._totals["input"] += input_tokens
            self._totals["output"] += output_tokens
            self._totals["cached"] += cached_tokens

    def stats(self) -> SimulatorStats:
        with self._lock:
            return SimulatorStats(
                requests=dict(self._requests),
                rate_limited=self._totals["rate_limited"],
                faults=dict(self._faults),
                input_tokens=self._totals["input"],
                output_tokens=self._totals["output"],
                cached_tokens=self._totals["cached"],
            )
