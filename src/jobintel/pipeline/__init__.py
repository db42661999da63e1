"""The stage DAG, its runner, progress events and run planning."""

from jobintel.pipeline.dag import StageGraph
from jobintel.pipeline.events import STAGE_TERMINAL, EventBus, EventKind
from jobintel.pipeline.planning import NothingToRun, PlannedRun, plan_run
from jobintel.pipeline.runner import JobOutcome, PipelineRunner, RunBusy, RunSummary
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages import PIPELINE

__all__ = [
    "PIPELINE",
    "STAGE_TERMINAL",
    "EventBus",
    "EventKind",
    "JobOutcome",
    "NothingToRun",
    "PipelineRunner",
    "PlannedRun",
    "RunBusy",
    "RunSummary",
    "StageContext",
    "StageGraph",
    "StageSpec",
    "plan_run",
]
