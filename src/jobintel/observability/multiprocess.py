"""prometheus_client's multiprocess mode: several worker processes, one scrape.

The mode is on when ``PROMETHEUS_MULTIPROC_DIR`` is set *before* prometheus_client is first
imported (the library picks its value storage at import time). Each process then writes
its samples to files in that directory, and a scrape aggregates them all.

Gauges need a rule for combining processes (``multiprocess_mode``):

- ``livesum`` — ``jobintel_external_calls_in_flight``: each live process's calls, summed.
- ``mostrecent`` — the breaker state, budget, run and queue gauges: they mirror shared
  state (the database), so the latest write from any process is the truth.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The multiprocess directory, or None when the mode is off."""
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def prepare_multiprocess_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and remove the sample files (``*.db``) of earlier processes; call
    once at start, before any worker process starts, or dead workers' counters would be
    counted again. Nothing else in the directory is touched, in case it is shared."""
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise ValueError(
            f"{ENV}={directory} is a file: point it at a directory (its *.db sample files are removed at start)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.glob("*.db"):
        if entry.is_file() and not entry.is_symlink():
            entry.unlink()
    return directory


def collecting_registry(path: Path) -> CollectorRegistry:
    """A registry whose scrape aggregates every process's files in ``path``."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(path))  # type: ignore[no-untyped-call]
    return registry


def mark_worker_dead(pid: int, path: Path | None = None) -> None:
    """Drop a dead worker's ``live*`` gauge files (call from a process manager's child-exit
    hook, e.g. gunicorn's ``child_exit``); its counters stay, as they must."""
    from prometheus_client.multiprocess import mark_process_dead

    directory = path or multiprocess_dir()
    if directory is not None:
        mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
