"""Live progress in the terminal: one bar per job, advancing stage by stage."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from jobintel.pipeline.events import STAGE_TERMINAL, EventKind
from jobintel.store import EventRecord, JobInfo

_STYLE = {
    EventKind.STAGE_FAILED: "red",
    EventKind.STAGE_DEGRADED: "yellow",
    EventKind.STAGE_SKIPPED: "dim",
}


class ProgressDisplay:
    """A progress subscriber: shows which stage each job is in and how many are done."""

    def __init__(self, console: Console, jobs: list[JobInfo], stages: tuple[str, ...]) -> None:
        self._stages = stages
        self._progress = Progress(
            TextColumn("{task.fields[label]}", justify="left"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stage]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[int, TaskID] = {}
        self._running: dict[int, set[str]] = {}
        for job in jobs:
            label = f"{job.company[:18]} · {job.title[:30]}"
            self._tasks[job.id] = self._progress.add_task(
                "", total=len(stages), label=f"{label:<51}", stage=""
            )
            self._running[job.id] = set()

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: EventRecord) -> None:
        if event.job_id is None or event.job_id not in self._tasks or event.stage is None:
            return
        task = self._tasks[event.job_id]
        running = self._running[event.job_id]
        kind = EventKind(event.kind)
        if kind == EventKind.STAGE_STARTED:
            running.add(event.stage)
        elif kind in STAGE_TERMINAL:
            running.discard(event.stage)
            self._progress.advance(task)
            style = _STYLE.get(kind)
            if style:
                self._progress.console.print(
                    f"[{style}]{kind.value.removeprefix('stage_')}[/{style}] "
                    + escape(f"job {event.job_id} {event.stage}: {event.message}"),
                    highlight=False,
                    markup=True,
                )
        finished = self._progress.tasks[task].completed >= len(self._stages)
        current = ", ".join(s for s in self._stages if s in running)
        self._progress.update(task, stage="done" if finished else current)
