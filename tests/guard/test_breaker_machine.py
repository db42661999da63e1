"""The breaker against a plain model, under random outcomes and time steps (hypothesis)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from jobintel.guard.breaker import BreakerPolicy, CircuitBreaker, CircuitOpen, Outcome, Ticket
from jobintel.store import create_db_engine
from tests.guard.limiter_support import make_breaker, migrated_sqlite

KEY = "svc"
POLICY = BreakerPolicy(
    consecutive_failures=3, window_s=20, min_calls=4, failure_rate=0.5, cooldown_s=10,
    probe_timeout_s=15,
)  # fmt: skip


@dataclass
class ModelTicket:
    generation: int
    probe: bool
    number: int


@dataclass
class Model:
    """The specification, written the obvious way: the whole history since the last close."""

    state: str = "closed"
    generation: int = 0
    history: list[tuple[float, bool]] = field(default_factory=list)
    opened_at: float = 0.0
    probe: int | None = None
    probe_deadline: float = 0.0
    issued: int = 0

    def allow(self, now: float) -> ModelTicket | None:
        if self.state == "open" and now >= self.opened_at + POLICY.cooldown_s:
            self.state, self.generation, self.probe = "half_open", self.generation + 1, None
        if self.state == "open":
            return None
        if self.state == "half_open":
            if self.probe is not None and now < self.probe_deadline:
                return None
            self.issued += 1
            self.probe, self.probe_deadline = self.issued, now + POLICY.probe_timeout_s
            return ModelTicket(self.generation, True, self.issued)
        self.issued += 1
        return ModelTicket(self.generation, False, self.issued)

    def record(self, ticket: ModelTicket, outcome: Outcome, now: float) -> None:
        is_current_probe = ticket.probe and self.probe == ticket.number
        if outcome == "ignored":
            if is_current_probe:
                self.probe = None
            return
        if ticket.generation != self.generation:
            return
        if ticket.probe:
            if self.state == "half_open" and is_current_probe:
                self._close() if outcome == "success" else self._open(now)
            return
        self.history.append((now, outcome == "failure"))
        trailing = 0
        for _, failed in reversed(self.history):
            if not failed:
                break
            trailing += 1
        recent = [failed for at, failed in self.history if at > now - POLICY.window_s]
        rate_trips = len(recent) >= POLICY.min_calls and sum(recent) >= 0.5 * len(recent)
        if trailing >= POLICY.consecutive_failures or rate_trips:
            self._open(now)

    def _open(self, now: float) -> None:
        self.state, self.generation, self.opened_at, self.probe = (
            "open",
            self.generation + 1,
            now,
            None,
        )

    def _close(self) -> None:
        self.state, self.generation, self.history, self.probe = (
            "closed",
            self.generation + 1,
            [],
            None,
        )


class BreakerMachine(RuleBasedStateMachine):
    """Random allow / record / advance steps; the breaker must answer like the model."""

    backend = "memory"
    _template: Path | None = None

    @initialize()
    def setup(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.now = 1000.0
        self.model = Model()
        self.tickets: list[tuple[Ticket, ModelTicket]] = []
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        engine = None
        if self.backend == "sqlite":
            self.folder = tempfile.TemporaryDirectory()
            engine = create_db_engine(f"sqlite:///{self._copy_of_template(Path(self.folder.name))}")
        self.engine = engine
        self.breaker: CircuitBreaker = make_breaker(engine, lambda: self.now, default=POLICY)

    @classmethod
    def _copy_of_template(cls, folder: Path) -> Path:
        if cls._template is None or not cls._template.exists():
            # Migrated once per session, then copied: much faster than migrating each time.
            keep = Path(tempfile.mkdtemp()) / "template.db"
            migrated_sqlite(keep)
            cls._template = keep
        target = folder / "breaker.db"
        shutil.copyfile(cls._template, target)
        return target

    def teardown(self) -> None:
        if not hasattr(self, "loop"):
            return
        self.loop.close()
        if self.engine is not None:
            self.engine.dispose()
        if self.folder is not None:
            self.folder.cleanup()

    @rule()
    def allow(self) -> None:
        expected = self.model.allow(self.now)
        try:
            ticket = self.loop.run_until_complete(self.breaker.allow(KEY))
        except CircuitOpen:
            assert expected is None, "the breaker refused a call the model admits"
            return
        assert expected is not None, "the breaker admitted a call the model refuses"
        assert ticket.probe == expected.probe
        self.tickets.append((ticket, expected))

    @precondition(lambda self: self.tickets)
    @rule(data=st.data(), outcome=st.sampled_from(["success", "failure", "ignored"]))
    def record(self, data: st.DataObject, outcome: Outcome) -> None:
        pair = data.draw(st.sampled_from(self.tickets))
        self.tickets.remove(pair)
        self.model.record(pair[1], outcome, self.now)
        self.loop.run_until_complete(self.breaker.record(pair[0], outcome))

    @rule(seconds=st.sampled_from([0.5, 3.0, 9.99, 10.0, 16.0, 25.0]))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @invariant()
    def same_state_as_the_model(self) -> None:
        if not hasattr(self, "loop"):
            return
        states = self.loop.run_until_complete(self.breaker.snapshot())
        if states:
            assert states[0].state == self.model.state


BreakerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=50, deadline=None)
test_breaker_matches_the_model = BreakerMachine.TestCase


class SqlBreakerMachine(BreakerMachine):
    backend = "sqlite"


SqlBreakerMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=40, deadline=None
)
test_sql_breaker_matches_the_model = SqlBreakerMachine.TestCase
