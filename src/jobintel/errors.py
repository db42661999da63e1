"""Errors a user can meet. Each names the input, what was wrong, and the fix."""

from __future__ import annotations


class JobintelError(Exception):
    """Base for every error jobintel raises on purpose."""


class InputError(JobintelError):
    """An input file (posting or CV) cannot be used."""

    def __init__(self, source: str, problem: str, fix: str) -> None:
        self.source = source
        self.problem = problem
        self.fix = fix
        super().__init__(f"{source}: {problem}: {fix}")


class ConfigError(JobintelError):
    """One or more settings are invalid; ``problems`` lists (setting, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {name}: {msg}" for name, msg in problems)
        super().__init__(f"invalid configuration:\n{lines}")


class RunNotFound(JobintelError):
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(
            f"run {run_id!r} not found: list runs with `jobintel runs` and pass one of their ids"
        )


class StageFailed(JobintelError):
    """A stage raised; the runner records it and its dependents are skipped."""


class StrategyUnavailable(JobintelError):
    """An LLM or research strategy cannot produce a trustworthy result right now.

    The runner catches it and runs the stage's deterministic strategy instead, recording
    the stage as degraded with this message as the reason. Provider errors, invalid model
    output after its repair attempt, faithfulness rejections (and, from the guard, budget,
    rate-limit and circuit-breaker refusals) are all of this kind.
    """
