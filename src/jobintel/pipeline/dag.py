"""The fixed stage graph of DESIGN.md, validated once at import of the registry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from jobintel.pipeline.stage import StageSpec


class StageGraph:
    """Stages in a valid topological order, with dependency queries."""

    def __init__(self, stages: Sequence[StageSpec]) -> None:
        by_name = {stage.name: stage for stage in stages}
        if len(by_name) != len(stages):
            raise ValueError("duplicate stage names in the pipeline")
        for stage in stages:
            for need in stage.needs:
                if need not in by_name:
                    raise ValueError(f"stage {stage.name!r} needs unknown stage {need!r}")
        self._by_name = by_name
        self.order: tuple[StageSpec, ...] = tuple(_toposort(stages))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.order)

    def __getitem__(self, name: str) -> StageSpec:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self.names)
            raise KeyError(f"unknown stage {name!r}: expected one of {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def ancestors(self, name: str) -> set[str]:
        """Every stage ``name`` depends on, directly or not."""
        seen: set[str] = set()
        stack = list(self[name].needs)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self[current].needs)
        return seen

    def descendants(self, names: Iterable[str]) -> list[str]:
        """The given stages and everything that depends on them, in run order."""
        targets = set(names)
        for stage in self.order:
            if any(need in targets for need in stage.needs):
                targets.add(stage.name)
        return [name for name in self.names if name in targets]

    def layers(self) -> list[list[str]]:
        """Stages grouped by depth: every stage in a layer can run concurrently."""
        depth: dict[str, int] = {}
        for stage in self.order:
            depth[stage.name] = 1 + max((depth[n] for n in stage.needs), default=-1)
        out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name in self.names:
            out[depth[name]].append(name)
        return out

    def critical_path_ms(self, durations_ms: dict[str, float]) -> float:
        """Longest chain of stage durations: the least wall time a job can take."""
        finish: dict[str, float] = {}
        for stage in self.order:
            start = max((finish[n] for n in stage.needs), default=0.0)
            finish[stage.name] = start + durations_ms.get(stage.name, 0.0)
        return max(finish.values(), default=0.0)


def _toposort(stages: Sequence[StageSpec]) -> list[StageSpec]:
    placed: dict[str, StageSpec] = {}
    pending = list(stages)
    while pending:
        ready = [s for s in pending if all(n in placed for n in s.needs)]
        if not ready:
            cycle = ", ".join(s.name for s in pending)
            raise ValueError(f"the stage graph has a cycle among: {cycle}")
        for stage in ready:
            placed[stage.name] = stage
            pending.remove(stage)
    return list(placed.values())
