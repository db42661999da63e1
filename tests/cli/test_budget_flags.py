"""Per-run budget overrides on the command line: validated, stored with the run, kept on resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.store import Store
from tests.conftest import EXAMPLES


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _only_run(data: Path) -> dict[str, object]:
    store = Store.open(f"sqlite:///{(data / 'jobintel.db').as_posix()}")
    try:
        (run,) = store.runs()
        return dict(run.options)
    finally:
        store.close()


def test_run_budget_overrides_are_stored_with_the_run_and_kept_on_resume(env: Path) -> None:
    """--budget run=0.40 lands in the run's options; a resume adds to them, never drops them."""
    posting = str(EXAMPLES / "postings" / "northwind-platform-lead.md")
    cv = str(EXAMPLES / "master-cv.md")
    code, output = _run("run", posting, "--cv", cv, "--budget", "run=0.40", "-q")
    assert code == 0, output
    options = _only_run(env / "data")
    assert options["budget_overrides"] == {"per_run_usd": "0.40"}
    run_id = output.split("run ", 1)[1].split(":", 1)[0].strip()
    code, output = _run("run", "--resume", run_id, "--budget", "job=0.10", "-q")
    assert code == 0, output
    assert _only_run(env / "data")["budget_overrides"] == {
        "per_run_usd": "0.40",
        "per_job_usd": "0.10",
    }


@pytest.mark.parametrize("flag", ["day=1.00", "month=5", "candidate=3", "run", "run=lots"])
def test_shared_or_malformed_budget_overrides_are_refused(env: Path, flag: str) -> None:
    """Day, month and candidate budgets are shared, so only settings change them; junk is named."""
    posting = str(EXAMPLES / "postings" / "northwind-platform-lead.md")
    code, output = _run("run", posting, "--cv", str(EXAMPLES / "master-cv.md"), "--budget", flag)
    assert code == 2
    assert "--budget" in output


def test_a_daily_quota_on_a_model_key_is_a_named_configuration_error(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quotas count per service: setting one on service:model fails at start, naming the setting."""
    monkeypatch.setenv("JOBINTEL_RATE_LIMITS", '{"openai:gpt-4o-mini": {"daily_requests": 10}}')
    code, output = _run("config", "check")
    assert code == 2
    assert "JOBINTEL_RATE_LIMITS" in output and "per service" in output
