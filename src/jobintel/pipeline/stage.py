"""What a stage is: a name, the stages it needs, its output model and its strategies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from jobintel.models import MasterCV, Posting
from jobintel.settings import Settings

if TYPE_CHECKING:
    from jobintel.pipeline.llm import StageLLM, StageResearch
    from jobintel.store import Store

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, kw_only=True)
class StageContext:
    """Everything a strategy may read: the job's inputs and its ancestors' outputs."""

    run_id: str
    job_id: int
    posting: Posting
    cv: MasterCV
    output_dir: Path
    settings: Settings
    results: Mapping[str, BaseModel] = field(default_factory=dict)
    strategies: Mapping[str, str] = field(default_factory=dict)
    degraded: Mapping[str, str] = field(default_factory=dict)
    candidate_id: int | None = None
    #: The stage's model route through the gateway; set only when calling the LLM strategy.
    llm: StageLLM | None = None
    #: Research services through the gateway (FireCrawl, HTTP); None when research is off.
    research: StageResearch | None = None
    #: The store, for caches shared across jobs (company research).
    store: Store | None = None

    def require_llm(self) -> StageLLM:
        """The bound model; an LLM strategy called without one is a wiring bug."""
        if self.llm is None:
            raise LookupError("this LLM strategy was called without a model route")
        return self.llm

    def result(self, stage: str, model: type[T]) -> T:
        """The output of an ancestor stage, typed; a missing one is a wiring bug."""
        value = self.results.get(stage)
        if not isinstance(value, model):
            raise LookupError(
                f"stage output {stage!r} ({model.__name__}) is not available to this stage; "
                "add it to the stage's `needs`"
            )
        return value


Strategy = Callable[[StageContext], BaseModel]
LLMStrategy = Callable[[StageContext], Awaitable[BaseModel]]


@dataclass(frozen=True, kw_only=True)
class StageSpec:
    """One node of the pipeline DAG."""

    name: str
    needs: tuple[str, ...]
    output: type[BaseModel]
    deterministic: Strategy
    #: Async strategy using ``ctx.llm``; raises ``StrategyUnavailable`` to degrade.
    llm: LLMStrategy | None = None
    description: str = ""
