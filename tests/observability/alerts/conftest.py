"""Shared state for alert tests: a fake clock, a no-wait sleep and a fresh store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobintel.settings import load_settings
from jobintel.store import Store


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeSleep:
    """Records the backoff the engine asked for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    settings = load_settings(data_dir=data_dir, out_dir=data_dir.parent / "out")
    store = Store.open(settings.effective_database_url)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def _restore_jobintel_logger() -> Iterator[None]:
    """CLI commands call ``configure_logging``: put the ``jobintel`` logger back afterwards."""
    logger = logging.getLogger("jobintel")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved
