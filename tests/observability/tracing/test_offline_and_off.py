"""Tracing of offline runs, re-runs and sampling, and that tracing off costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from opentelemetry import trace

from jobintel.models import ExtractedJD
from jobintel.observability.telemetry import Telemetry
from jobintel.pipeline import PIPELINE
from jobintel.pipeline.dag import StageGraph
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages import ingest
from jobintel.settings import load_settings
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.observability.tracing.conftest import (
    POSTING,
    JsonLogs,
    attrs,
    offline_settings,
    parent_of,
    span_id,
    traced_run,
)


async def test_a_deterministic_run_with_tracing_on_has_run_and_stage_spans(
    tmp_path: Path,
) -> None:
    """No gateway, no calls: still a run span with every stage span under it, and the
    process-wide tracer provider is left alone."""
    run = await traced_run(offline_settings(tmp_path))
    assert run.calls == []
    assert run.root.name == "jobintel run"
    stages = run.named("stage ")
    assert sorted(s.name for s in stages) == sorted(f"stage {n}" for n in PIPELINE.names)
    root_id = span_id(run.root)
    for span in stages:
        assert parent_of(span) == root_id
        assert attrs(span)["jobintel.strategy"] == "deterministic"
    assert run.options["trace_id"] == run.trace_id
    assert run.options["trace_ids"] == [run.trace_id]
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _no_sentences(ctx: StageContext) -> ExtractedJD:
    raise ValueError("no sentences")


async def test_a_failed_stage_is_logged_inside_its_own_span(
    tmp_path: Path, json_logs: JsonLogs
) -> None:
    """A stage whose every strategy raises: its span says failed with the error type, and
    the "stage failed" line (with its traceback) carries that span's id, not the run's."""
    broken = StageSpec(
        name="extract", needs=("ingest",), output=ExtractedJD, deterministic=_no_sentences
    )
    run = await traced_run(offline_settings(tmp_path), graph=StageGraph([ingest.STAGE, broken]))
    extract = run.stage("extract")
    assert attrs(extract)["jobintel.outcome"] == "failed"
    assert attrs(extract)["error.type"] == "ValueError"
    assert run.stages["extract"].status == "failed"
    (line,) = [line for line in json_logs.lines() if line["event"] == "stage failed"]
    assert line["span_id"] == span_id(extract) != span_id(run.root)
    assert line["trace_id"] == run.trace_id
    assert (line["run_id"], line["stage"]) == (run.run_id, "extract")
    assert "ValueError: no sentences" in line["exc"]


async def test_a_rerun_is_a_new_trace_of_the_stages_it_redid(tmp_path: Path) -> None:
    """Re-running fit traces a ``jobintel rerun`` root over fit and its dependents only;
    the run keeps both trace ids, the newest as ``trace_id``."""
    settings = offline_settings(tmp_path)
    first = await traced_run(settings)
    again = await traced_run(settings, run_id=first.run_id, rerun_stage="fit")
    assert again.trace_id != first.trace_id
    assert again.root.name == "jobintel rerun"
    assert attrs(again.root)["jobintel.rerun_stage"] == "fit"
    redone = {s.name.removeprefix("stage ") for s in again.named("stage ")}
    assert redone == set(PIPELINE.descendants(["fit"]))
    assert again.options["trace_id"] == again.trace_id
    assert again.options["trace_ids"] == [first.trace_id, again.trace_id]


async def test_an_unsampled_run_exports_nothing_and_records_no_trace_id(
    tmp_path: Path,
) -> None:
    """With ``tracing_sample_ratio=0`` no span is exported and the run stores no trace id."""
    run = await traced_run(offline_settings(tmp_path, tracing_sample_ratio=0.0))
    assert run.spans == ()
    assert "trace_id" not in run.options


def test_tracing_off_builds_no_tracer(tmp_path: Path) -> None:
    """By default ``Telemetry.from_settings`` sets up no tracing and hands out no tracer."""
    settings = load_settings(data_dir=tmp_path / "data", out_dir=tmp_path / "out")
    assert settings.tracing_enabled is False
    store = Store.open(settings.effective_database_url)
    try:
        telemetry = Telemetry.from_settings(settings, store)
        assert telemetry.tracing is None and telemetry.tracer is None
        telemetry.close()
    finally:
        store.close()


def test_a_run_with_tracing_off_never_loads_the_sdk(tmp_path: Path) -> None:
    """In a fresh process, a whole run with default settings imports no OpenTelemetry SDK,
    stores no trace id and logs no trace ids."""
    script = textwrap.dedent(
        """
        import asyncio, json, logging, sys
        from pathlib import Path
        from jobintel.guard.policies import budget_limits
        from jobintel.logs import configure_logging
        from jobintel.observability.telemetry import Telemetry
        from jobintel.pipeline import EventBus, PipelineRunner, plan_run
        from jobintel.settings import load_settings
        from jobintel.store import Store

        tmp, posting, cv = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
        settings = load_settings(
            data_dir=tmp / "data", out_dir=tmp / "out", log_format="json", log_level="INFO"
        )
        configure_logging(settings)
        store = Store.open(settings.effective_database_url)
        bus = EventBus(store)
        run_id = plan_run(
            store, settings, bus, posting_paths=[posting], cv_path=cv,
            out_dir=settings.out_dir,
        ).run_id

        async def main():
            telemetry = Telemetry.from_settings(settings, store)
            async with telemetry.running():
                async with telemetry.gateway(settings, store, budget_limits(settings)) as gw:
                    runner = PipelineRunner(
                        store, settings, bus=bus, gateway=gw, tracer=telemetry.tracer
                    )
                    await runner.execute(run_id)

        asyncio.run(main())
        logging.getLogger("jobintel.test").warning("after the run")
        print(json.dumps({
            "sdk": sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk")),
            "options": store.run(run_id).options,
        }))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(POSTING), str(EXAMPLES / "master-cv.md")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["sdk"] == []
    assert "trace_id" not in result["options"]
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert logged, "the run logged JSON lines"
    assert all("trace_id" not in line and "span_id" not in line for line in logged)
