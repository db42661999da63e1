"""Alert rules: which events start and end which alerts (mirrors the Prometheus rules).

Rules only decide *conditions*; the engine owns deduplication, repeats and delivery.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts.config import Severity

RuleName = Literal[
    "budget_80",
    "budget_100",
    "breaker_open",
    "stage_failure_rate",
    "external_failure_rate",
    "pricing_anomaly",
    "run_too_long",
]

DEFAULT_SEVERITY: dict[str, Severity] = {
    "budget_80": "warning",
    "budget_100": "critical",
    "breaker_open": "critical",
    "stage_failure_rate": "warning",
    "external_failure_rate": "warning",
    "pricing_anomaly": "warning",
    "run_too_long": "warning",
}

#: Rules about a one-off event: they fire, repeat while it recurs, and resolve once a repeat
#: interval passes without it in any process (the owner decides, from the guard events in
#: the store; see ``AlertEngine.tick``).
ONE_SHOT: frozenset[str] = frozenset({"pricing_anomaly"})


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A rule's verdict about one subject: firing (with a message) or resolved."""

    rule: str
    subject: str
    firing: bool
    message: str

    @property
    def fingerprint(self) -> str:
        return f"{self.rule}:{self.subject}"


def guard_conditions(event: GuardEvent) -> list[Condition]:
    """The conditions one guard event starts or ends."""
    if event.kind == "budget_threshold":
        pct = event.data.get("threshold_pct", 0)
        rule = "budget_100" if isinstance(pct, int | float) and pct >= 100 else "budget_80"
        return [Condition(rule=rule, subject=event.subject, firing=True, message=event.message)]
    if event.kind == "budget_exceeded":
        return [
            Condition(rule="budget_100", subject=event.subject, firing=True, message=event.message)
        ]
    if event.kind == "breaker_transition":
        after = event.data.get("to")
        if after == "open":
            return [
                Condition(
                    rule="breaker_open", subject=event.subject, firing=True, message=event.message
                )
            ]
        if after == "closed":
            return [
                Condition(
                    rule="breaker_open", subject=event.subject, firing=False, message=event.message
                )
            ]
        return []
    if event.kind == "pricing_anomaly":
        return [
            Condition(
                rule="pricing_anomaly", subject=event.subject, firing=True, message=event.message
            )
        ]
    return []


BUDGET_RULES: frozenset[str] = frozenset({"budget_80", "budget_100"})

#: Refusals by jobintel's own guards, made before anything was sent (or, for the web
#: fetcher's address and size guard, before the page was taken): the rate measures what
#: the provider answered. An open breaker is ``breaker_open``'s alert; counting its fast refusals too
#: would re-fire the rate while the half-open probe proves the provider is back.
#: Keep in step with ``JobintelExternalApiFailureRateHigh`` in deploy/prometheus/rules.
NOT_SENT: frozenset[str] = frozenset(
    {
        "BudgetExceeded",
        "CircuitOpen",
        "FetchRefused",
        "PriceUnknown",
        "RateLimitWaitExceeded",
        "ServiceNotConfigured",
    }
)

#: Outcomes of calls the provider answered: a model declining the task (``ModelRefused``)
#: is its choice about the content, not the API failing, so it is not a failure either.
#: Keep in step with the numerator of ``JobintelExternalApiFailureRateHigh``.
ANSWERED: frozenset[str] = frozenset({"ok", "ModelRefused"})


def budget_scope_ends_with(
    subject: str,
    *,
    run_id: str | None = None,
    job_id: int | None = None,
    raised_in: str | None = None,
) -> bool:
    """True when budget ``subject`` belongs to the run or job that just finished.

    ``run:<id>`` ends with its run, ``job:<id>`` and ``stage:<job>:<stage>`` with their job.
    The per-call scope (``call``) and candidate scopes (``candidate:<id>``) carry no run in
    their key: they end with the run that raised the alert (``raised_in``), or with any run
    when that is unknown (the event came from outside a run); a later run that hits the
    limit again fires a new episode. Day and month scopes outlive runs (they resolve when
    the period is over, see ``budget_period_over``).
    """
    kind, _, rest = subject.partition(":")
    if run_id is not None:
        if kind in ("call", "candidate"):
            return raised_in is None or raised_in == run_id
        return subject == f"run:{run_id}"
    if job_id is not None:
        return subject == f"job:{job_id}" or (
            kind == "stage" and rest.split(":", 1)[0] == str(job_id)
        )
    return False


def run_bound_budget(subject: str) -> bool:
    """A budget scope whose alert lives no longer than a run (call, stage, job, run, and
    candidate, which resolves with the run that raised it)."""
    return subject.partition(":")[0] in ("call", "stage", "job", "run", "candidate")


def budget_period_over(subject: str, now: datetime, timezone: str) -> bool:
    """True when ``subject`` ("day:2026-11-29", "month:2026-11") is a past day or month."""
    kind, _, period = subject.partition(":")
    local = now.astimezone(ZoneInfo(timezone))
    if kind == "day":
        return period != local.date().isoformat()
    if kind == "month":
        return period != local.strftime("%Y-%m")
    return False


class FailureRate:
    """Outcomes per subject over a sliding window; the rate decides firing or resolved."""

    def __init__(self, rule: str, *, window_s: float, threshold: float, min_samples: int) -> None:
        self.rule = rule
        self._window = timedelta(seconds=window_s)
        self._threshold = threshold
        self._min_samples = min_samples
        self._outcomes: dict[str, deque[tuple[datetime, bool]]] = {}

    def track(self, subject: str) -> None:
        """Evaluate ``subject`` from now on even with no outcomes (an alert restored at start)."""
        self._outcomes.setdefault(subject, deque())

    def add(self, subject: str, failed: bool, at: datetime) -> None:
        self._outcomes.setdefault(subject, deque()).append((at, failed))

    def conditions(self, now: datetime) -> list[Condition]:
        """Every tracked subject's verdict, after dropping outcomes older than the window.

        A subject left with no outcomes gets its (resolved) verdict once and is forgotten,
        so the per-subject state does not grow without bound."""
        verdicts = []
        for subject, outcomes in list(self._outcomes.items()):
            while outcomes and now - outcomes[0][0] > self._window:
                outcomes.popleft()
            total = len(outcomes)
            failed = sum(1 for _, f in outcomes if f)
            rate = failed / total if total else 0.0
            firing = total >= self._min_samples and rate > self._threshold
            if not outcomes:
                del self._outcomes[subject]
            minutes = self._window.total_seconds() / 60
            verdicts.append(
                Condition(
                    rule=self.rule,
                    subject=subject,
                    firing=firing,
                    message=f"{subject}: {failed} of {total} failed in the last {minutes:g} min "
                    f"({rate:.0%}, threshold {self._threshold:.0%})",
                )
            )
        return verdicts


#: Most unfinished runs ``RunDurations`` remembers (runs that crashed without a
#: ``run_finished``): the oldest are forgotten past this.
MAX_TRACKED_RUNS = 1000


class RunDurations:
    """Runs started and not finished; the ones older than the limit are conditions."""

    def __init__(self, *, max_run_s: float) -> None:
        self._max = timedelta(seconds=max_run_s)
        self._started: dict[str, datetime] = {}
        self._finished: list[tuple[str, str]] = []

    def started(self, run_id: str, at: datetime) -> None:
        self._started.setdefault(run_id, at)
        while len(self._started) > MAX_TRACKED_RUNS:
            oldest = min(self._started, key=self._started.__getitem__)
            self._started.pop(oldest)
            self._finished.append((oldest, f"run {oldest} is no longer tracked (too many runs)"))

    def finished(self, run_id: str) -> None:
        if self._started.pop(run_id, None) is not None:
            self._finished.append((run_id, f"run {run_id} finished"))

    def untracked(self, run_id: str) -> None:
        """Resolve an alert adopted from a process that ended: nobody can see that run now."""
        self._finished.append((run_id, f"run {run_id} is no longer tracked (process restarted)"))

    def conditions(self, now: datetime) -> list[Condition]:
        verdicts = [
            Condition(rule="run_too_long", subject=run_id, firing=False, message=message)
            for run_id, message in self._finished
        ]
        self._finished.clear()
        for run_id, at in self._started.items():
            age = now - at
            if age > self._max:
                verdicts.append(
                    Condition(
                        rule="run_too_long",
                        subject=run_id,
                        firing=True,
                        message=f"run {run_id} has been running for {age.total_seconds() / 60:.0f} "
                        f"min (limit {self._max.total_seconds() / 60:g} min)",
                    )
                )
        return verdicts
