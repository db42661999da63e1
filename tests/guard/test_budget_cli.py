"""`jobintel budgets` on a real SQLite store."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.guard.budget import BudgetScope
from jobintel.guard.budget_sql import SqlBudgets
from jobintel.store import Store


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    return tmp_path / "data"


def _budgets(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["budgets", *args], terminal_width=160)
    return result.exit_code, result.output


def test_budgets_on_an_empty_store_shows_todays_limits(data_dir: Path) -> None:
    """Before any call, the day and month budgets show their limits with nothing spent."""
    code, output = _budgets()
    assert code == 0, output
    assert "day:" in output and "month:" in output
    assert "$5.00" in output and "$50.00" in output
    assert "no spend recorded yet" in output


def test_budgets_show_limit_spent_reserved_and_remaining(data_dir: Path) -> None:
    """Stored scopes list their limit, spend, open holds, what is left and % used."""
    store = Store.open(f"sqlite:///{data_dir / 'jobintel.db'}")
    budgets = SqlBudgets(store.engine)
    run = BudgetScope(kind="run", key="run:r1", limit_usd=Decimal("2.00"))
    job = BudgetScope(kind="job", key="job:7", limit_usd=Decimal("1.00"), limit_tokens=5000)

    async def spend() -> None:
        await budgets.settle(await budgets.reserve([run, job], Decimal("0.50")), Decimal("0.30"))
        await budgets.reserve([run, job], Decimal("0.20"), 1000)

    asyncio.run(spend())
    store.close()
    code, output = _budgets()
    assert code == 0, output
    run_line = next(line for line in output.splitlines() if "run:r1" in line)
    assert [cell.strip() for cell in run_line.split("│")[2:7]] == [
        "$2.00",
        "$0.30",
        "$0.20",
        "$1.50",
        "15%",
    ]
    job_line = next(line for line in output.splitlines() if "job:7" in line)
    assert "0/5,000" in job_line and "30%" in job_line
    code, output = _budgets("--kind", "job")
    assert "job:7" in output and "run:r1" not in output and "day:" not in output


def test_unknown_kind_is_named_with_the_choices(data_dir: Path) -> None:
    """A typo in --kind exits 2 and lists the kinds that exist."""
    code, output = _budgets("--kind", "week")
    assert code == 2
    assert "week" in output and "candidate" in output
