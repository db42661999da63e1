"""The alert engine: events in, deduplicated notifications out, history in the store.

Feed it with ``gateway``'s event sink (``on_guard_event``), the pipeline ``EventBus``
(``on_progress``) and the gateway's call observer (``on_call``), and call ``tick()``
periodically (e.g. every 30 s) so time-based rules (sliding windows, long runs, budget
roll-over, repeats) advance without new events. Evaluation is cheap and synchronous;
delivery runs on a worker thread, so a slow channel never stalls a call or a stage.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from jobintel.guard.call import CallRecord
from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts.channels import (
    Channel,
    ChannelError,
    Notification,
    NotificationKind,
    build_channels,
)
from jobintel.observability.alerts.config import AlertConfig
from jobintel.observability.alerts.rules import (
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
from jobintel.observability.alerts.store import AlertHistory
from jobintel.store import EventRecord

log = logging.getLogger("jobintel.alerts")

#: Longest ``close()`` waits for queued notifications to go out.
CLOSE_TIMEOUT_S = 30.0

#: Every stage outcome counts in the denominator, as in the Prometheus rule.
_STAGE_OUTCOMES = {
    "stage_succeeded",
    "stage_degraded",
    "stage_failed",
    "stage_skipped",
    "stage_restored",
}


@dataclass(kw_only=True)
class _Active:
    rule: str
    subject: str
    severity: str
    message: str
    first_at: datetime
    last_sent_at: datetime


class AlertEngine:
    def __init__(
        self,
        config: AlertConfig,
        *,
        engine: Engine | None = None,
        channels: list[Channel] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._history = AlertHistory(engine) if engine is not None else None
        self._http: httpx.Client | None = None
        if channels is None:
            self._http = httpx.Client(timeout=config.http_timeout_s, follow_redirects=False)
            channels = build_channels(config.channels, self._http)
        self._channels = channels
        self._clock = clock
        self._sleep = sleep
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
        #: Resolutions decided at start-up, sent on the first tick.
        self._pending: list[Condition] = []
        self._queue: queue.Queue[Notification | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._restore()

    def _restore(self) -> None:
        """Pick up episodes still firing in the store, so a restart neither re-fires them
        nor leaves them firing forever: each resolves through its own rule."""
        if self._history is None:
            return
        try:
            firing = self._history.firing()
        except Exception:
            log.exception("could not load firing alerts; starting with none")
            return
        for alert in firing:
            self._active[alert.fingerprint] = _Active(
                rule=alert.rule,
                subject=alert.subject,
                severity=alert.severity,
                message=alert.message,
                first_at=alert.first_at,
                last_sent_at=alert.last_sent_at,
            )
            if alert.rule == "stage_failure_rate":
                self._stages.track(alert.subject)
            elif alert.rule == "external_failure_rate":
                self._external.track(alert.subject)
            elif alert.rule == "run_too_long":
                self._runs.untracked(alert.subject)
            elif alert.rule in BUDGET_RULES and run_bound_budget(alert.subject):
                # Its run ended (or runs in another process): this one cannot see it end.
                self._pending.append(
                    Condition(
                        rule=alert.rule,
                        subject=alert.subject,
                        firing=False,
                        message=f"budget {alert.subject} is no longer tracked (process restarted)",
                    )
                )

    # --- inputs ----------------------------------------------------------------------------

    def on_guard_event(self, event: GuardEvent) -> None:
        """An ``EventSink``: budget thresholds, breaker transitions, pricing anomalies."""
        self._guarded(lambda now: self._apply_all(guard_conditions(event), now))

    def on_progress(self, record: EventRecord) -> None:
        """An ``EventBus`` subscriber: stage outcomes and run starts/finishes."""

        def handle(now: datetime) -> None:
            if record.kind in _STAGE_OUTCOMES and record.stage:
                self._stages.add(record.stage, record.kind == "stage_failed", now)
                self._apply_all(self._stages.conditions(now), now)
            elif record.kind == "run_started":
                self._runs.started(record.run_id, now)
            elif record.kind == "job_finished" and record.job_id is not None:
                self._apply_all(self._budgets_ended(job_id=record.job_id), now)
            elif record.kind == "run_finished":
                self._runs.finished(record.run_id)
                self._apply_all(self._runs.conditions(now), now)
                self._apply_all(self._budgets_ended(run_id=record.run_id), now)

        self._guarded(handle)

    def on_call(self, record: CallRecord) -> None:
        """A gateway observer: each external call attempt's outcome, per service."""

        if record.outcome in NOT_SENT:
            return  # a guard refusal, not the provider failing

        def handle(now: datetime) -> None:
            self._external.add(record.service, record.outcome != "ok", now)
            self._apply_all(self._external.conditions(now), now)

        self._guarded(handle)

    def tick(self) -> None:
        """Advance time-based rules and send repeats that are due."""

        def handle(now: datetime) -> None:
            pending, self._pending = self._pending, []
            self._apply_all(pending, now)
            self._apply_all(self._stages.conditions(now), now)
            self._apply_all(self._external.conditions(now), now)
            self._apply_all(self._runs.conditions(now), now)
            over = [
                Condition(
                    rule=a.rule,
                    subject=a.subject,
                    firing=False,
                    message=f"budget period {a.subject} is over",
                )
                for a in list(self._active.values())
                if a.rule in ("budget_80", "budget_100")
                and budget_period_over(a.subject, now, self._config.budget_timezone)
            ]
            self._apply_all(over, now)
            interval = timedelta(seconds=self._config.repeat_interval_s)
            for fingerprint, active in self._active.items():
                if active.rule not in ONE_SHOT and now - active.last_sent_at >= interval:
                    active.last_sent_at = now
                    self._enqueue("repeat", fingerprint, active, now)

        self._guarded(handle)

    def _budgets_ended(
        self, *, run_id: str | None = None, job_id: int | None = None
    ) -> list[Condition]:
        """Resolutions for the active budget alerts whose scope ended with this run or job."""
        ended = f"run {run_id}" if run_id is not None else f"job {job_id}"
        return [
            Condition(
                rule=a.rule,
                subject=a.subject,
                firing=False,
                message=f"budget {a.subject}: {ended} finished",
            )
            for a in list(self._active.values())
            if a.rule in BUDGET_RULES
            and budget_scope_ends_with(a.subject, run_id=run_id, job_id=job_id)
        ]

    def active(self) -> list[str]:
        """Fingerprints of the alerts firing now."""
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

    def _apply_all(self, conditions: list[Condition], now: datetime) -> None:
        for condition in conditions:
            self._apply(condition, now)

    def _apply(self, condition: Condition, now: datetime) -> None:
        fingerprint = condition.fingerprint
        active = self._active.get(fingerprint)
        if not condition.firing:
            if active is not None and condition.rule not in ONE_SHOT:
                del self._active[fingerprint]
                active.message = condition.message
                self._enqueue("resolved", fingerprint, active, now)
            return
        if active is None:
            severity = self._config.severities.get(
                condition.rule, DEFAULT_SEVERITY.get(condition.rule, "warning")
            )
            active = _Active(
                rule=condition.rule,
                subject=condition.subject,
                severity=severity,
                message=condition.message,
                first_at=now,
                last_sent_at=now,
            )
            self._active[fingerprint] = active
            self._enqueue("firing", fingerprint, active, now)
            return
        active.message = condition.message
        if now - active.last_sent_at >= timedelta(seconds=self._config.repeat_interval_s):
            active.last_sent_at = now
            self._enqueue("repeat", fingerprint, active, now)

    def _enqueue(
        self, kind: NotificationKind, fingerprint: str, active: _Active, now: datetime
    ) -> None:
        note = Notification(
            kind=kind,
            fingerprint=fingerprint,
            rule=active.rule,
            subject=active.subject,
            severity=active.severity,
            message=active.message,
            first_at=active.first_at,
            sent_at=now,
            resolved_at=now if kind == "resolved" else None,
        )
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._deliver_all, name="jobintel-alerts", daemon=True
            )
            self._worker.start()
        self._queue.put(note)

    # --- delivery ----------------------------------------------------------------------------

    def _deliver_all(self) -> None:
        while True:
            note = self._queue.get()
            try:
                if note is None:
                    return
                self._deliver(note)
            except Exception:
                log.exception("alert delivery failed for %s", note.fingerprint if note else "?")
            finally:
                self._queue.task_done()

    def _deliver(self, note: Notification) -> None:
        alert_id = None
        if self._history is not None:
            alert_id = self._history.record(note)
            if alert_id is None:
                log.info(
                    "alert %s %s already %s in another process: not sent again",
                    note.kind,
                    note.fingerprint,
                    note.status,
                )
                return
        wanted = self._config.channel_names(note.severity)
        for channel in self._channels:
            if channel.name not in wanted:
                continue
            attempts, error = self._send(channel, note)
            if error is None:
                log.info("alert %s %s sent to %s", note.kind, note.fingerprint, channel.name)
            else:
                log.warning(
                    "alert %s %s not delivered to %s after %d attempts: %s",
                    note.kind,
                    note.fingerprint,
                    channel.name,
                    attempts,
                    error,
                )
            if self._history is not None and alert_id is not None:
                self._history.record_delivery(
                    alert_id,
                    note,
                    channel=channel.name,
                    outcome="ok" if error is None else "failed",
                    attempts=attempts,
                    error=error,
                )

    def _send(self, channel: Channel, note: Notification) -> tuple[int, str | None]:
        """Send with retries; (attempts made, safe error text or None)."""
        attempts = 0

        def once() -> None:
            nonlocal attempts
            attempts += 1
            channel.send(note)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self._config.send_attempts)),
            wait=wait_exponential(multiplier=self._config.retry_backoff_s, max=60),
            retry=retry_if_exception(lambda e: isinstance(e, ChannelError) and not e.permanent),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            retrying(once)
        except ChannelError as exc:
            return attempts, str(exc)
        except Exception as exc:
            # A channel bug: report the class only, its text may hold a secret.
            return attempts, f"{type(exc).__name__} in channel {channel.name}"
        return attempts, None

    # --- lifecycle ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Wait until every notification so far is delivered (or has failed) and stored."""
        if self._worker is not None:
            self._queue.join()

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Deliver what is queued (waiting at most ``timeout_s``: a channel that hangs must
        not hold the process), stop the worker and close the HTTP client."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(None)
            worker.join(timeout_s)
            if worker.is_alive():
                log.warning(
                    "alert delivery still busy after %.0f s at exit: %d notification(s) not "
                    "sent; they stay in the alert history (`jobintel alerts`)",
                    timeout_s,
                    max(self._queue.qsize() - 1, 0),
                )
        if self._http is not None:
            self._http.close()
            self._http = None
