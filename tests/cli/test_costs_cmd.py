"""`jobintel costs` on a real SQLite store: empty ledger, each grouping, filters, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.guard.ledger import CostLedger, LedgerEntry
from jobintel.pipeline import EventBus, plan_run
from jobintel.settings import load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    return tmp_path / "data"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _cells(output: str, key: str) -> list[str]:
    """The cells of the table row whose first cell is ``key``."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0] == key:
            return cells
    raise AssertionError(f"no row {key!r} in:\n{output}")


def _record_calls(data_dir: Path) -> str:
    """A planned run with three attempts in its ledger (one failed) and one older call; its id."""
    settings = load_settings(data_dir=data_dir, out_dir=data_dir.parent / "out")
    store = Store.open(settings.effective_database_url)
    planned = plan_run(
        store,
        settings,
        EventBus(store),
        posting_paths=[EXAMPLES / "postings" / "northwind-platform-lead.md"],
        cv_path=EXAMPLES / "master-cv.md",
        out_dir=settings.out_dir,
    )
    (job,) = store.jobs(planned.run_id)
    ledger = CostLedger(store.engine)
    today = datetime(2026, 11, 29, 9, tzinfo=UTC)
    for entry in (
        LedgerEntry(service="openai", operation="chat", model="gpt-4o-mini", at=today, run_id=planned.run_id, job_id=job.id, stage="extract", input_tokens=1_500, output_tokens=400, cost_usd=Decimal("0.000465")),
        LedgerEntry(service="openai", operation="chat", model="gpt-4o-mini", at=today, run_id=planned.run_id, job_id=job.id, stage="fit", outcome="ProviderTimeout"),
        LedgerEntry(service="firecrawl", operation="search", at=today, run_id=planned.run_id, job_id=job.id, stage="company", credits=7, cost_usd=Decimal("0.00581")),
        LedgerEntry(service="anthropic", operation="chat", model="claude-3-5-haiku-latest", at=datetime(2026, 11, 27, 9, tzinfo=UTC), input_tokens=2_000, output_tokens=500, cost_usd=Decimal("0.0036")),
    ):  # fmt: skip
        ledger.record(entry)
    store.close()
    return planned.run_id


def test_empty_store_says_nothing_was_recorded(data_dir: Path) -> None:
    """A fresh install prints a plain sentence instead of an empty table, and exits 0."""
    code, output = _run("costs")
    assert code == 0, output
    assert "no external calls recorded yet" in output


def test_costs_by_day_is_the_default_with_a_total(data_dir: Path) -> None:
    """Without options the report groups by day (UTC, the default budget time zone), oldest
    first, and ends with the total."""
    _record_calls(data_dir)
    code, output = _run("costs")
    assert code == 0, output
    assert "costs by day" in output
    assert output.index("2026-11-27") < output.index("2026-11-29")
    assert "0.003600" in output and "0.006275" in output  # the 27th, the 29th
    assert _cells(output, "total") == ["total", "4", "1", "3,500", "900", "7", "0.009875"]


def test_costs_by_model_for_one_run(data_dir: Path) -> None:
    """--by model --run ID lists that run's models dearest first, with the failed attempt counted."""
    run_id = _record_calls(data_dir)
    code, output = _run("costs", "--by", "model", "--run", run_id)
    assert code == 0, output
    assert output.index("firecrawl:search") < output.index("openai:gpt-4o-mini")
    assert "claude" not in output
    assert _cells(output, "openai:gpt-4o-mini") == [
        "openai:gpt-4o-mini",
        "2",
        "1",
        "1,500",
        "400",
        "0",
        "0.000465",
    ]


def test_since_keeps_later_days_and_names_an_empty_filter(data_dir: Path) -> None:
    """--since drops earlier days; a filter that matches nothing says so instead of 'yet'."""
    _record_calls(data_dir)
    code, output = _run("costs", "--by", "provider", "--since", "2026-11-28")
    assert code == 0, output
    assert "openai" in output and "anthropic" not in output
    code, output = _run("costs", "--since", "2026-12-01")
    assert code == 0 and "no external calls recorded since 2026-12-01" in output


def test_bad_since_and_unknown_run_exit_2_with_the_fix(data_dir: Path) -> None:
    """A malformed day or an unknown run id exits 2 and says what to write instead."""
    code, output = _run("costs", "--since", "29/11/2026")
    assert code == 2 and "YYYY-MM-DD" in output
    code, output = _run("costs", "--run", "nope")
    assert code == 2 and "jobintel runs" in output
