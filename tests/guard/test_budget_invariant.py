"""Property: for any interleaving of reserve, settle, release and crashes, no budget is overshot.

A hypothesis state machine drives a backend and a plain model side by side. After every
step, for every scope: spent + reserved <= limit (USD and tokens), spent equals the sum
of the actual costs settled, and reserved equals the sum of the live holds. A reserve
must be refused exactly when the model says it does not fit (never over-refusing either).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Coroutine, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine

from jobintel.guard.budget import (
    BudgetExceeded,
    Budgets,
    BudgetScope,
    InMemoryBudgets,
    Reservation,
)
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.store import create_db_engine
from tests.guard.budget_support import FakeClock, copy_sqlite, migrated_sqlite

T = TypeVar("T")
D = Decimal
TTL = 600.0
CALL = BudgetScope(kind="call", key="call", limit_usd=D("0.30"))
DAY = BudgetScope(kind="day", key="day:2026-11-29", limit_usd=D("1.00"), limit_tokens=6000)
RUN = BudgetScope(kind="run", key="run:a", limit_usd=D("0.80"))
JOB1 = BudgetScope(kind="job", key="job:1", limit_usd=D("0.50"))
JOB2 = BudgetScope(kind="job", key="job:2", limit_usd=D("0.50"), limit_tokens=3000)
COMBOS: list[tuple[BudgetScope, ...]] = [
    (CALL, JOB1, RUN, DAY),
    (CALL, JOB2, RUN, DAY),
    (DAY,),
    (JOB1, JOB1),  # a repeated scope counts once
]
TRACKED = (DAY, RUN, JOB1, JOB2)


class BudgetMachine(RuleBasedStateMachine):
    template: ClassVar[Path | None] = None  # a migrated SQLite file; None: in-memory

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.folder: str | None = None
        self.engine: Engine | None = None
        self.budgets: Budgets
        if self.template is None:
            self.budgets = InMemoryBudgets(clock=self.clock, reservation_ttl_s=TTL)
        else:
            self.folder = tempfile.mkdtemp(prefix="budget-machine-")
            self.engine = create_db_engine(copy_sqlite(self.template, Path(self.folder) / "b.db"))
            self.budgets = SqlBudgets(self.engine, clock=self.clock, reservation_ttl_s=TTL)
        self.live: dict[str, Reservation] = {}
        self.finished: list[Reservation] = []
        self.spent: dict[str, Decimal] = defaultdict(Decimal)
        self.spent_tokens: dict[str, int] = defaultdict(int)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def held(self, key: str) -> tuple[Decimal, int]:
        holds = [r for r in self.live.values() if key in r.tracked_keys]
        return sum((r.amount_usd for r in holds), D(0)), sum(r.tokens for r in holds)

    def fits(self, combo: Sequence[BudgetScope], amount: Decimal, tokens: int) -> bool:
        for scope in combo:
            usd, toks = (D(0), 0) if scope.kind == "call" else self.held(scope.key)
            spent = D(0) if scope.kind == "call" else self.spent[scope.key]
            spent_tokens = 0 if scope.kind == "call" else self.spent_tokens[scope.key]
            if scope.limit_usd is not None and spent + usd + amount > scope.limit_usd:
                return False
            if scope.limit_tokens is not None and spent_tokens + toks + tokens > scope.limit_tokens:
                return False
        return True

    @rule(
        combo=st.sampled_from(COMBOS),
        amount=st.decimals(min_value=0, max_value=D("0.35"), places=4),
        tokens=st.integers(0, 2500),
    )
    def reserve(self, combo: tuple[BudgetScope, ...], amount: Decimal, tokens: int) -> None:
        expected = self.fits(combo, amount, tokens)
        try:
            held = self.run(self.budgets.reserve(combo, amount, tokens))
        except BudgetExceeded as refused:
            assert not expected, f"refused although it fits: {refused}"
            assert refused.scope in combo
            assert refused.spent + refused.reserved + refused.requested > refused.limit
        else:
            assert expected, "reserved although it does not fit"
            self.live[held.id] = held

    @precondition(lambda self: self.live)
    @rule(data=st.data(), how=st.sampled_from(["settle", "release", "release_partial"]))
    def finish(self, data: st.DataObject, how: str) -> None:
        held = self.live.pop(data.draw(st.sampled_from(list(self.live))))
        actual, tokens = D(0), 0
        if how != "release":
            actual = data.draw(st.decimals(min_value=0, max_value=held.amount_usd, places=6))
            tokens = data.draw(st.integers(0, held.tokens))
        if how == "settle":
            self.run(self.budgets.settle(held, actual, tokens))
        else:
            self.run(self.budgets.release(held, actual_usd=actual, tokens=tokens))
        for key in held.tracked_keys:
            self.spent[key] += actual
            self.spent_tokens[key] += tokens
        self.finished.append(held)

    @precondition(lambda self: self.finished)
    @rule(data=st.data())
    def finish_again(self, data: st.DataObject) -> None:
        """A duplicate settle (a retried callback, say) must change nothing."""
        held = data.draw(st.sampled_from(self.finished))
        self.run(self.budgets.settle(held, held.amount_usd, held.tokens))

    @rule(seconds=st.integers(0, 300))
    def time_passes(self, seconds: int) -> None:
        # Live holders are still working, so time never moves past their expiry here.
        horizon = min((r.expires_at for r in self.live.values()), default=float("inf"))
        self.clock.now = min(self.clock.now + seconds, horizon - 1)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        """A holder dies; once its TTL passes, its hold (and any older dead one) is reclaimed."""
        dead = self.live.pop(data.draw(st.sampled_from(list(self.live))))
        self.clock.now = max(self.clock.now, dead.expires_at)
        also = [r for r in self.live.values() if r.expires_at <= self.clock.now]
        for held in also:
            del self.live[held.id]
        assert self.run(self.budgets.reclaim_expired()) == 1 + len(also)

    @invariant()
    def never_overshot_and_exact(self) -> None:
        statuses = {s.key: s for s in self.run(self.budgets.status())}
        for scope in TRACKED:
            reserved, reserved_tokens = self.held(scope.key)
            status = statuses.get(scope.key)
            if status is None:
                assert (self.spent[scope.key], reserved) == (0, 0)
                continue
            assert status.spent_usd == self.spent[scope.key]
            assert status.reserved_usd == reserved
            assert status.spent_tokens == self.spent_tokens[scope.key]
            assert status.reserved_tokens == reserved_tokens
            assert scope.limit_usd is not None
            assert status.spent_usd + status.reserved_usd <= scope.limit_usd
            if scope.limit_tokens is not None:
                assert status.spent_tokens + status.reserved_tokens <= scope.limit_tokens

    def teardown(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()
        if self.engine is not None:
            self.engine.dispose()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class InMemoryMachine(BudgetMachine):
    template = None


def test_in_memory_budgets_are_never_overshot() -> None:
    """In memory, random reserve/settle/release/crash sequences keep spent + reserved <= limit."""
    run_state_machine_as_test(
        InMemoryMachine,
        settings=settings(max_examples=100, stateful_step_count=40, deadline=None),
    )


def test_sqlite_budgets_are_never_overshot(tmp_path: Path) -> None:
    """On SQLite, the same random sequences keep spent + reserved <= limit, exactly."""
    template = tmp_path / "template.db"
    migrated_sqlite(template)

    class SqliteMachine(BudgetMachine):
        pass

    SqliteMachine.template = template
    run_state_machine_as_test(
        SqliteMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
