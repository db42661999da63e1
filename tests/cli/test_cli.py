"""The `jobintel` command line on real files and a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.store import Store
from tests.conftest import EXAMPLES

POSTING = (EXAMPLES / "postings" / "northwind-platform-lead.md").read_text()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    values = {
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_OUT_DIR": str(tmp_path / "out"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_config_check_names_each_bad_setting_and_fix(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad settings exit 2 with the variable name and how to fix it, one line each."""
    monkeypatch.setenv("JOBINTEL_CONCURRENCY", "0")
    monkeypatch.setenv("JOBINTEL_LOG_FORMAT", "xml")
    code, output = _run("config", "check")
    assert code == 2
    assert "JOBINTEL_CONCURRENCY: must be between 1 and 256" in output
    assert "JOBINTEL_LOG_FORMAT" in output


def test_config_check_masks_database_password(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database password never appears in the printed configuration or the error."""
    monkeypatch.setenv("JOBINTEL_DATABASE_URL", "postgresql://bob:s3cretpw@127.0.0.1:1/nope")
    code, output = _run("config", "check")
    assert code == 2
    assert "s3cretpw" not in output
    assert "***" in output and "cannot connect" in output


def test_config_check_passes_on_defaults(env: dict[str, str]) -> None:
    """With defaults the database is created, migrated and reported OK."""
    code, output = _run("config", "check")
    assert code == 0, output
    assert "configuration OK" in output


def test_batch_goes_on_past_bad_inputs_and_reports_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Empty and binary postings are named at the end; the good posting is still processed."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text(POSTING)
    (folder / "empty.md").write_text("  \n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    code, output = _run("run", str(folder), "--cv", str(EXAMPLES / "master-cv.md"), "-q")
    assert code == 1
    assert "empty.md" in output and "binary.txt" in output
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'jobintel.db'}")
    (run,) = store.runs()
    assert [j.status for j in store.jobs(run.id)] == ["succeeded"]
    store.close()


def test_bad_cv_stops_before_any_run(env: dict[str, str], tmp_path: Path) -> None:
    """An empty CV is refused with exit 2 naming the file, and no run is created."""
    cv = tmp_path / "cv.md"
    cv.write_text("")
    code, output = _run("run", str(EXAMPLES / "postings"), "--cv", str(cv), "-q")
    assert code == 2
    assert "cv.md" in output and "empty" in output


def test_traversal_company_name_stays_inside_out_dir(env: dict[str, str], tmp_path: Path) -> None:
    """A company called ../../etc gets a sanitised folder under --out, nowhere else."""
    record = {"title": "../../../passwd", "company": "../../etc", "job_description": POSTING}
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(record))
    code, output = _run("run", str(path), "--cv", str(EXAMPLES / "master-cv.md"), "-q")
    assert code == 0, output
    out = (tmp_path / "out").resolve()
    written = [p for p in tmp_path.rglob("cv.pdf")]
    assert len(written) == 1
    assert written[0].resolve().is_relative_to(out)
    assert not (tmp_path.parent / "etc").exists()


def test_duplicate_postings_are_processed_once(env: dict[str, str], tmp_path: Path) -> None:
    """The same posting in two files becomes one job and a reported duplicate."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text(POSTING)
    (folder / "b.md").write_text(POSTING)
    code, output = _run("run", str(folder), "--cv", str(EXAMPLES / "master-cv.md"), "-q")
    assert code == 0, output
    assert "duplicate" in output and "b.md" in output
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'jobintel.db'}")
    (run,) = store.runs()
    assert len(store.jobs(run.id)) == 1
    store.close()


def test_runs_and_show_list_the_run(env: dict[str, str]) -> None:
    """`runs` lists a finished run and `show` prints its jobs and fit scores."""
    code, output = _run(
        "run", str(EXAMPLES / "postings"), "--cv", str(EXAMPLES / "master-cv.md"), "-q"
    )
    assert code == 0, output
    run_id = output.split("run ", 1)[1].split(":", 1)[0].strip()
    code, listing = _run("runs")
    assert code == 0 and run_id in listing and "succeeded" in listing
    code, shown = _run("show", run_id)
    assert code == 0 and "northwind-logistics" in shown.replace("\n", "")
    code, missing = _run("show", "nope")
    assert code == 2 and "jobintel runs" in missing


def test_posting_copy_without_its_id_is_still_a_duplicate(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A JSONL record with a source_id and the same posting pasted into .md run once."""
    folder = tmp_path / "in"
    folder.mkdir()
    description = POSTING.split("## About us", 1)[1]
    record = {
        "title": "Platform Engineering Lead",
        "company": "Northwind Logistics",
        "source_id": "nw-123",
        "job_description": description,
    }
    (folder / "a.jsonl").write_text(json.dumps(record) + "\n")
    (folder / "b.md").write_text(
        "# Platform Engineering Lead\n\n**Company:** Northwind Logistics\n\n" + description
    )
    code, output = _run("run", str(folder), "--cv", str(EXAMPLES / "master-cv.md"), "-q")
    assert code == 0, output
    assert "duplicate" in output
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'jobintel.db'}")
    (run,) = store.runs()
    assert len(store.jobs(run.id)) == 1
    store.close()
