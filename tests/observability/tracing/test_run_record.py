"""The trace id reaches the run record, the API's run JSON, the run page and `jobintel show`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app as cli
from jobintel.observability.telemetry import Telemetry
from jobintel.service.executor import InProcessExecutor
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.service.api.conftest import POSTINGS, Api, running_api, service_settings
from tests.service.web.conftest import logged_in, make_user

TRACE_ID = re.compile(r"[0-9a-f]{32}")


async def _finished_run(api: Api) -> str:
    cv_id = await api.upload_cv()
    postings = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    run_id = await api.submit(postings, cv_id)
    await api.finish(run_id)
    return run_id


async def _run_page(api: Api, run_id: str) -> str:
    async with await logged_in(api.app, api.store, make_user(api.store)) as browser:
        page = await browser.get(f"/runs/{run_id}")
    assert page.status_code == 200
    return page.text


async def test_a_served_run_shows_its_trace_id_in_the_api_and_on_its_page(
    tmp_path: Path,
) -> None:
    """With tracing on, a run executed by the service stores its trace id, and both the
    run JSON and the run page show that id."""
    async with running_api(service_settings(tmp_path, tracing_enabled=True)) as api:
        telemetry: Telemetry = api.app.state.telemetry
        assert telemetry.tracer is not None
        # The executor as the app builds it, with the app's tracer.
        api.app.state.executor = InProcessExecutor(
            api.store, api.settings, gateway_factory=telemetry.gateway, tracer=telemetry.tracer
        )
        run_id = await _finished_run(api)
        stored = api.store.run(run_id).options["trace_id"]
        assert TRACE_ID.fullmatch(stored) and stored != "0" * 32
        body = await api.run(run_id)
        assert body["status"] == "succeeded"
        assert body["trace_id"] == stored
        page = await _run_page(api, run_id)
    assert f"<code>{stored}</code>" in page
    assert "No trace was recorded" not in page


async def test_an_untraced_run_says_so_in_the_api_and_on_its_page(tmp_path: Path) -> None:
    """With tracing off (the default) the run JSON's trace_id is null and the page says no
    trace was recorded and how to turn tracing on."""
    async with running_api(service_settings(tmp_path)) as api:
        run_id = await _finished_run(api)
        assert (await api.run(run_id))["trace_id"] is None
        page = await _run_page(api, run_id)
    assert "No trace was recorded for this run" in page
    assert "JOBINTEL_TRACING_ENABLED" in page


def test_jobintel_show_prints_the_trace_id_of_a_traced_cli_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jobintel run` with tracing on stores a trace id, and `jobintel show` prints it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("JOBINTEL_TRACING_ENABLED", "true")
    posting = str(EXAMPLES / "postings" / "northwind-platform-lead.md")
    ran = CliRunner().invoke(cli, ["run", posting, "--cv", str(EXAMPLES / "master-cv.md"), "-q"])
    assert ran.exit_code == 0, ran.output
    store = Store.open(f"sqlite:///{(tmp_path / 'data' / 'jobintel.db').as_posix()}")
    try:
        (run,) = store.runs()
    finally:
        store.close()
    trace_id = run.options["trace_id"]
    assert TRACE_ID.fullmatch(trace_id)
    shown = CliRunner().invoke(cli, ["show", run.id])
    assert shown.exit_code == 0, shown.output
    assert f"trace {trace_id}" in shown.output
