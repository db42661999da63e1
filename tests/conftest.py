"""Shared fixtures: sample paths and a fresh SQLite store per test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobintel.pipeline import EventBus, PipelineRunner, PlannedRun, RunSummary, plan_run
from jobintel.settings import Settings, load_settings
from jobintel.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
EXAMPLES = REPO / "examples"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", out_dir=tmp_path / "out")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings.effective_database_url)
    yield opened
    opened.close()


def plan_and_execute(
    store: Store, settings: Settings, posting_paths: list[Path], cv_path: Path
) -> tuple[PlannedRun, RunSummary]:
    """Plan a run over ``posting_paths`` with ``cv_path`` and execute it to the end."""
    bus = EventBus(store)
    planned = plan_run(
        store,
        settings,
        bus,
        posting_paths=posting_paths,
        cv_path=cv_path,
        out_dir=settings.out_dir,
    )
    summary = asyncio.run(PipelineRunner(store, settings, bus=bus).execute(planned.run_id))
    return planned, summary


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[object]:
    """One provider simulator on 127.0.0.1 (free port) shared by the session's tests."""
    from jobintel.simulator import start_simulator

    with start_simulator() as handle:
        yield handle


@pytest.fixture
def simulator(_simulator_server: object) -> object:
    """A ``SimulatorHandle`` with fresh state and default config (renewed for every test)."""
    from jobintel.simulator import SimulatorHandle

    assert isinstance(_simulator_server, SimulatorHandle)
    return _simulator_server.renew()
