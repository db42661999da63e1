"""The alert engine: events in, deduplicated notifications out, history in the store.

Feed it with ``gateway``'s event sink (``on_guard_event``), the pipeline ``EventBus``
(``on_progress``) and the gateway's call observer (``on_call``), and call ``tick()``
periodically (e.g. every 30 s) so time-based rules (sliding windows, long runs, budget
roll-over, repeats) advance without new events. Evaluation is cheap and synchronous;
claims in the store and delivery run on a worker thread (``dispatch.Dispatcher``), so
neither a slow database nor a slow channel stalls a call or a stage.

Processes sharing one database (the service and ``jobintel run``) each run an engine on
their own events. Every notification is first *claimed* in the store (``AlertHistory``):
only the process that opens a firing episode sends "firing", one repeat goes out per
interval, and exactly one process sends "resolved". Each episode has an owner (the
"host:pid" that opened or adopted it): resolutions that are facts about shared state
(a breaker closed, a budget's day or run is over, a run finished) are claimed by whichever
process sees them; a failure-rate window only resolves the episodes its process owns,
since another process's window may still see the failures.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from sqlalchemy import Engine

from jobintel import context
from jobintel.guard.call import CallRecord
from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts.channels import Channel, Notification, NotificationKind
from jobintel.observability.alerts.config import AlertConfig
from jobintel.observability.alerts.dispatch import CLOSE_TIMEOUT_S, Claim, Dispatcher, Job
from jobintel.observability.alerts.rules import (
    ANSWERED,
    BUDGET_RULES,
    DEFAULT_SEVERITY,
    NOT_SENT,
    ONE_SHOT,
    Condition,
    FailureRate,
    RunDurations,
    budget_period_over,
    budget_scope_ends_with,
    guard_conditions,
    run_bound_budget,
)
from jobintel.observability.alerts.store import AlertHistory, StoredAlert
from jobintel.processes import pid_alive, this_host, this_owner
from jobintel.store import EventRecord

log = logging.getLogger("jobintel.alerts")

#: Every stage outcome counts in the denominator, as in the Prometheus rule.
_STAGE_OUTCOMES = {
    "stage_succeeded",
    "stage_degraded",
    "stage_failed",
    "stage_skipped",
    "stage_restored",
}

#: Rules whose resolution is a fact any process may claim (not one process's window).
_WINDOW_RULES = frozenset({"stage_failure_rate", "external_failure_rate"})


@dataclass(kw_only=True)
class _Active:
    rule: str
    subject: str
    severity: str
    message: str
    first_at: datetime
    last_sent_at: datetime
    #: When its condition last held; a one-shot episode (pricing anomaly) resolves once a
    #: repeat interval passes without it happening again.
    last_seen_at: datetime
    #: False for an episode another live process owns ("firing elsewhere"): this engine
    #: neither fires, repeats nor window-resolves it, but claims shared-fact resolutions.
    owned: bool = True
    #: The run whose event raised a call or candidate budget alert (None: outside a run).
    raised_in: str | None = None


class _Episode(TypedDict):
    """What an episode, stored, local or notified, says about itself."""

    rule: str
    subject: str
    severity: str
    message: str
    first_at: datetime


def _episode(source: StoredAlert | _Active) -> _Episode:
    return _Episode(
        rule=source.rule,
        subject=source.subject,
        severity=source.severity,
        message=source.message,
        first_at=source.first_at,
    )


def _resolved(episode: StoredAlert | _Active, message: str) -> Condition:
    """The verdict that ends ``episode``."""
    return Condition(rule=episode.rule, subject=episode.subject, firing=False, message=message)


def _quiet_since(
    episode: _Active,
    cutoff: datetime,
    sightings: dict[tuple[str, str], datetime | None] | None,
) -> bool:
    """True when one-shot ``episode`` was last seen by ``cutoff``, here or (``sightings``,
    read from the guard events in the store) by any process sharing it: another process's
    sightings keep the episode this one owns firing. Unknown sightings keep it firing."""
    if episode.last_seen_at > cutoff:
        return False
    if sightings is None:
        return False
    seen = sightings.get((episode.rule, episode.subject))
    if seen is not None and seen > episode.last_seen_at:
        episode.last_seen_at = seen
    return episode.last_seen_at <= cutoff


def _quiet(episode: _Active) -> Condition:
    """The verdict that ends a one-shot ``episode`` after a repeat interval without it."""
    what = episode.rule.replace("_", " ")
    since = f"{episode.last_seen_at:%Y-%m-%d %H:%M} UTC"
    return _resolved(episode, f"no {what} for {episode.subject} since {since}")


class AlertEngine:
    def __init__(
        self,
        config: AlertConfig,
        *,
        engine: Engine | None = None,
        channels: list[Channel] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        owner: str | None = None,
    ) -> None:
        self._config = config
        self._history = AlertHistory(engine) if engine is not None else None
        #: "host:pid" recorded on the episodes this process opens or adopts.
        self.owner = owner or this_owner()
        self._clock = clock
        self._active: dict[str, _Active] = {}
        self._lock = threading.Lock()
        self._stages = FailureRate(
            "stage_failure_rate",
            window_s=config.failure_window_s,
            threshold=config.failure_rate_threshold,
            min_samples=config.failure_min_samples,
        )
        self._external = FailureRate(
            "external_failure_rate",
            window_s=config.failure_window_s,
            threshold=config.external_failure_rate_threshold,
            min_samples=config.failure_min_samples,
        )
        self._runs = RunDurations(max_run_s=config.max_run_s)
        #: Resolutions decided when adopting episodes, sent on the next tick.
        self._pending: list[Condition] = []
        self._dispatch = Dispatcher(
            config,
            history=self._history,
            channels=channels,
            owner=self.owner,
            sleep=sleep,
            on_lost=self._forget,
            on_sweep=self._sweep,
        )
        self._last_sweep = self._clock()
        self._restore()

    # --- episodes in the store ---------------------------------------------------------------

    def _restore(self) -> None:
        """Pick up episodes still firing in the store, so a restart neither re-fires them
        nor leaves them firing forever (see ``_take_over``)."""
        if self._history is None:
            return
        try:
            self._take_over(self._history.firing(), self._clock(), starting=True)
        except Exception:
            log.exception("could not load firing alerts; starting with none")

    def _adoptable(self, alert: StoredAlert, now: datetime, *, starting: bool) -> bool:
        """True when no live process looks after ``alert``: it is ours from before a
        restart, its owner is a dead process on this host, or (owner unknown or on another
        host) it has not been repeated for two repeat intervals."""
        if alert.owner == self.owner:
            # Once running, an episode of ours with no local entry is one being resolved.
            return starting
        host, _, pid = (alert.owner or "").rpartition(":")
        if alert.owner is not None and host == this_host() and pid.isdigit():
            return not pid_alive(int(pid))
        stale = timedelta(seconds=2 * self._config.repeat_interval_s)
        return now - alert.last_sent_at > stale

    def _take_over(self, firing: list[StoredAlert], now: datetime, *, starting: bool) -> None:
        """Adopt the firing episodes nobody looks after (each then resolves through its own
        rule); remember the others as firing elsewhere, so this process neither fires them
        again nor resolves them from its own (empty) windows. Runs off the event loop: in
        the constructor or on the worker thread. Holds the lock only between store calls."""
        assert self._history is not None
        fingerprints = {a.fingerprint for a in firing}
        with self._lock:
            for fingerprint, active in list(self._active.items()):
                if not active.owned and fingerprint not in fingerprints:
                    del self._active[fingerprint]  # resolved by its owner
        for alert in firing:
            with self._lock:
                known = self._active.get(alert.fingerprint)
            if known is not None and known.owned:
                continue
            if alert.owner == self.owner and not starting:
                continue
            adopted = self._adoptable(alert, now, starting=starting) and self._history.adopt(
                alert.id, previous=alert.owner, owner=self.owner
            )
            with self._lock:
                if self._active.get(alert.fingerprint) is not known:
                    continue  # this process fired or resolved it meanwhile
                self._active[alert.fingerprint] = _Active(
                    **_episode(alert),
                    last_sent_at=alert.last_sent_at,
                    last_seen_at=alert.last_sent_at,
                    owned=adopted,
                )
                if adopted:
                    self._adopted(alert)

    def _adopted(self, alert: StoredAlert) -> None:
        if alert.owner != self.owner:
            log.info("alert %s adopted from %s", alert.fingerprint, alert.owner or "unknown")
        if alert.rule == "stage_failure_rate":
            self._stages.track(alert.subject)
        elif alert.rule == "external_failure_rate":
            self._external.track(alert.subject)
        elif alert.rule == "run_too_long":
            self._runs.untracked(alert.subject)
        elif alert.rule in BUDGET_RULES and run_bound_budget(alert.subject):
            # Its run ended with the process that raised it: nobody can see it end now.
            self._pending.append(
                _resolved(alert, f"budget {alert.subject} is no longer tracked (process ended)")
            )

    # --- inputs ----------------------------------------------------------------------------

    def on_guard_event(self, event: GuardEvent) -> None:
        """An ``EventSink``: budget thresholds, breaker transitions, pricing anomalies."""

        def handle(now: datetime) -> None:
            raised_in = context.current().get("run_id")  # the run whose call raised it
            for condition in guard_conditions(event):
                # A breaker's state is shared by every process: its close is a fact.
                self._apply(condition, now, shared=True, raised_in=raised_in)

        self._guarded(handle)

    def on_progress(self, record: EventRecord) -> None:
        """An ``EventBus`` subscriber: stage outcomes and run starts/finishes."""

        def handle(now: datetime) -> None:
            if record.kind in _STAGE_OUTCOMES and record.stage:
                self._stages.add(record.stage, record.kind == "stage_failed", now)
                self._apply_all(self._stages.conditions(now), now)
            elif record.kind == "run_started":
                self._runs.started(record.run_id, now)
            elif record.kind == "job_finished" and record.job_id is not None:
                self._apply_all(self._budgets_ended(job_id=record.job_id), now, shared=True)
            elif record.kind == "run_finished":
                self._runs.finished(record.run_id)
                self._apply_all(self._runs.conditions(now), now, shared=True)
                self._apply_all(self._budgets_ended(run_id=record.run_id), now, shared=True)

        self._guarded(handle)

    def on_call(self, record: CallRecord) -> None:
        """A gateway observer: each external call attempt's outcome, per service."""

        if record.outcome in NOT_SENT:
            return  # a guard refusal, not the provider failing

        def handle(now: datetime) -> None:
            self._external.add(record.service, record.outcome not in ANSWERED, now)
            self._apply_all(self._external.conditions(now), now)

        self._guarded(handle)

    def tick(self) -> None:
        """Advance time-based rules and send repeats that are due. Reads the store (for
        one-shot episodes that went quiet here), so call it off the event loop."""
        sightings = self._stored_sightings()

        def handle(now: datetime) -> None:
            pending, self._pending = self._pending, []
            self._apply_all(pending, now, shared=True)
            self._apply_all(self._stages.conditions(now), now)
            self._apply_all(self._external.conditions(now), now)
            self._apply_all(self._runs.conditions(now), now, shared=True)
            over = [
                _resolved(a, f"budget period {a.subject} is over")
                for a in list(self._active.values())
                if a.rule in BUDGET_RULES
                and budget_period_over(a.subject, now, self._config.budget_timezone)
            ]
            self._apply_all(over, now, shared=True)
            interval = timedelta(seconds=self._config.repeat_interval_s)
            quiet = [
                _quiet(a)
                for a in self._active.values()
                if a.rule in ONE_SHOT and a.owned and _quiet_since(a, now - interval, sightings)
            ]
            self._apply_all(quiet, now)
            for fingerprint, active in self._active.items():
                if (
                    active.owned
                    and active.rule not in ONE_SHOT
                    and now - active.last_sent_at >= interval
                ):
                    self._repeat(fingerprint, active, now)
            if self._history is not None and now - self._last_sweep >= interval:
                self._last_sweep = now
                self._dispatch.sweep()

        self._guarded(handle)

    def _stored_sightings(self) -> dict[tuple[str, str], datetime | None] | None:
        """For each owned one-shot episode that went quiet here, when any process sharing
        the store last logged its guard event (None: unknown, the store failed). Read
        without holding the lock, so a slow database never stalls the engine's inputs."""
        with self._lock:
            cutoff = self._clock() - timedelta(seconds=self._config.repeat_interval_s)
            wanted = {
                (a.rule, a.subject)
                for a in self._active.values()
                if a.rule in ONE_SHOT and a.owned and a.last_seen_at <= cutoff
            }
        if not wanted or self._history is None:
            return {}
        try:
            return {key: self._history.last_guard_event_at(*key) for key in wanted}
        except Exception:
            log.exception("could not read guard events; one-shot alerts stay firing")
            return None

    def _budgets_ended(
        self, *, run_id: str | None = None, job_id: int | None = None
    ) -> list[Condition]:
        """Resolutions for the active budget alerts whose scope ended with this run or job."""
        ended = f"run {run_id}" if run_id is not None else f"job {job_id}"
        return [
            _resolved(a, f"budget {a.subject}: {ended} finished")
            for a in list(self._active.values())
            if a.rule in BUDGET_RULES
            and budget_scope_ends_with(
                a.subject, run_id=run_id, job_id=job_id, raised_in=a.raised_in
            )
        ]

    def active(self) -> list[str]:
        """Fingerprints of the alerts firing now (here or, as far as known, elsewhere)."""
        with self._lock:
            return sorted(self._active)

    # --- evaluation --------------------------------------------------------------------------

    def _guarded(self, handle: Callable[[datetime], None]) -> None:
        # Alerting must never break the run or the call that fed it.
        try:
            with self._lock:
                handle(self._clock())
        except Exception:
            log.exception("alert evaluation failed")

    def _apply_all(self, conditions: list[Condition], now: datetime, shared: bool = False) -> None:
        for condition in conditions:
            self._apply(condition, now, shared=shared)

    def _apply(
        self, condition: Condition, now: datetime, *, shared: bool, raised_in: str | None = None
    ) -> None:
        """Act on one verdict. ``shared``: a resolution that is a fact about state every
        process shares, claimed through the store even with no local episode."""
        fingerprint = condition.fingerprint
        active = self._active.get(fingerprint)
        if not condition.firing:
            # A one-shot episode ends only by its owner's quiet period (see ``tick``).
            shared = shared and condition.rule not in _WINDOW_RULES | ONE_SHOT
            if active is not None:
                del self._active[fingerprint]
                if not (active.owned or shared):
                    return  # another process's episode: its own windows decide
                active.message = condition.message
                self._enqueue(
                    "resolved", fingerprint, active, now, "resolve_any" if shared else "resolve_own"
                )
            elif shared and self._history is not None and condition.rule == "breaker_open":
                # Opened by another process (a CLI run's probe closing the service's breaker).
                self._enqueue(
                    "resolved", fingerprint, self._new(condition, now), now, "resolve_any"
                )
            return
        if (
            active is not None
            and not active.owned
            and condition.rule in ONE_SHOT
            and now - active.last_seen_at >= timedelta(seconds=self._config.repeat_interval_s)
        ):
            # Its owner may have resolved it after a quiet interval: claim a new episode
            # (the store refuses while the owner's still fires, and this one is retried at
            # most once per interval).
            active = None
        if active is None:
            active = self._new(condition, now)
            active.raised_in = raised_in
            self._active[fingerprint] = active
            self._enqueue("firing", fingerprint, active, now, "open")
            return
        if not active.owned:
            return
        active.message = condition.message
        active.last_seen_at = now
        if raised_in is not None:
            active.raised_in = raised_in  # the latest run to hit the limit ends it
        if now - active.last_sent_at >= timedelta(seconds=self._config.repeat_interval_s):
            self._repeat(fingerprint, active, now)

    def _new(self, condition: Condition, now: datetime) -> _Active:
        severity = self._config.severities.get(
            condition.rule, DEFAULT_SEVERITY.get(condition.rule, "warning")
        )
        return _Active(
            rule=condition.rule,
            subject=condition.subject,
            severity=severity,
            message=condition.message,
            first_at=now,
            last_sent_at=now,
            last_seen_at=now,
        )

    def _repeat(self, fingerprint: str, active: _Active, now: datetime) -> None:
        due = now - timedelta(seconds=self._config.repeat_interval_s)
        active.last_sent_at = now
        self._enqueue("repeat", fingerprint, active, now, "repeat", due=due)

    def _enqueue(
        self,
        kind: NotificationKind,
        fingerprint: str,
        active: _Active,
        now: datetime,
        claim: Claim,
        *,
        due: datetime | None = None,
    ) -> None:
        """Hand a notification to the worker (caller holds the lock)."""
        note = Notification(
            **_episode(active),
            kind=kind,
            fingerprint=fingerprint,
            sent_at=now,
            resolved_at=now if kind == "resolved" else None,
        )
        self._dispatch.submit(Job(note=note, claim=claim, episode=active, due=due))

    # --- delivery (see ``dispatch``) ----------------------------------------------------------

    def _forget(self, job: Job, still_firing: bool) -> None:
        """A claim failed: the episode is another process's (or already over)."""
        fingerprint = job.note.fingerprint
        with self._lock:
            active = self._active.get(fingerprint)
            if active is None or active is not job.episode:
                return
            if still_firing:
                active.owned = False
            else:
                del self._active[fingerprint]

    def _sweep(self) -> None:
        """Re-read the firing episodes: adopt stale ones, forget resolved ones."""
        if self._history is not None:
            self._take_over(self._history.firing(), self._clock(), starting=False)

    def flush(self) -> None:
        """Wait until every notification so far is delivered (or has failed) and stored."""
        self._dispatch.flush()

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Deliver what is queued (waiting at most ``timeout_s``: a channel that hangs must
        not hold the process), stop the worker and close the HTTP client. Notifications
        still queued then are recorded in the history as ``not_sent``."""
        self._dispatch.close(timeout_s)
