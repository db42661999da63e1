"""Alert delivery: claims in the store, then channels with retries, on a worker thread.

``AlertEngine`` decides what to notify and hands each notification to its ``Dispatcher``
as a ``Job``. The dispatcher's worker first *claims* the job in the store
(``AlertHistory``), so processes sharing one database send each firing, repeat and
resolution once; then it sends to the channels the severity routes to, with retries, and
records every channel's outcome. Neither a slow database nor a slow channel stalls the
call or stage that raised the alert.

The worker calls back into the engine through two callables given to the constructor:
``on_lost(job, still_firing)`` when a claim fails (another process has the episode, or it
is over), and ``on_sweep()`` for a queued ``sweep()`` (re-read the firing episodes).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from jobintel.observability.alerts.channels import (
    Channel,
    ChannelError,
    Notification,
    build_channels,
)
from jobintel.observability.alerts.config import AlertConfig
from jobintel.observability.alerts.store import AlertHistory, Delivery

log = logging.getLogger("jobintel.alerts")

#: Longest ``close()`` waits for queued notifications to go out.
CLOSE_TIMEOUT_S = 30.0

_EXITED = "alert delivery was still busy when the process exited"

#: How a job is claimed: open an episode, repeat it, or resolve this process's episode or
#: anyone's.
Claim = Literal["open", "repeat", "resolve_own", "resolve_any"]


@dataclass(frozen=True, kw_only=True)
class Job:
    note: Notification
    claim: Claim
    #: The engine's local episode it came from, handed back in ``on_lost`` (None for a
    #: resolution claimed with no local entry).
    episode: object | None
    #: For repeats: the latest ``last_sent_at`` that makes a repeat due.
    due: datetime | None = None


class _Sweep:
    """A worker job: call back ``on_sweep``."""


class Dispatcher:
    def __init__(
        self,
        config: AlertConfig,
        *,
        history: AlertHistory | None,
        channels: list[Channel] | None,
        owner: str,
        sleep: Callable[[float], None],
        on_lost: Callable[[Job, bool], None],
        on_sweep: Callable[[], None],
    ) -> None:
        self._config = config
        self._history = history
        self._owner = owner
        self._http: httpx.Client | None = None
        if channels is None:
            self._http = httpx.Client(timeout=config.http_timeout_s, follow_redirects=False)
            channels = build_channels(config.channels, self._http)
        self._channels = channels
        self._sleep = sleep
        self._on_lost = on_lost
        self._on_sweep = on_sweep
        self._queue: queue.Queue[Job | _Sweep | None] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False

    def submit(self, job: Job) -> None:
        """Queue a notification for the worker."""
        self._put(job)

    def sweep(self) -> None:
        """Queue a call of ``on_sweep`` on the worker (it reads the store)."""
        self._put(_Sweep())

    def _put(self, job: Job | _Sweep) -> None:
        with self._lock:
            if self._closed:
                if isinstance(job, Job):
                    log.warning(
                        "alert %s %s raised after the alert engine closed: not sent",
                        job.note.kind,
                        job.note.fingerprint,
                    )
                return
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="jobintel-alerts", daemon=True
                )
                self._worker.start()
            self._queue.put(job)  # under the lock: never after close()'s stop marker

    # --- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if isinstance(job, _Sweep):
                    self._on_sweep()
                else:
                    self._deliver(job, send=True)
            except Exception:
                log.exception(
                    "alert delivery failed for %s",
                    job.note.fingerprint if isinstance(job, Job) else "sweep",
                )
            finally:
                self._queue.task_done()

    def _claim(self, job: Job) -> tuple[Notification, int | None] | None:
        """Claim ``job`` in the history: the notification to send and its episode's id
        (None when the history failed), or None when another process has it."""
        assert self._history is not None
        note = job.note
        try:
            if job.claim == "open":
                alert_id = self._history.open(note, owner=self._owner)
                if alert_id is None:
                    self._on_lost(job, True)
            elif job.claim == "repeat":
                assert job.due is not None
                alert_id = self._history.repeat(note, owner=self._owner, due=job.due)
                if alert_id is None:
                    self._on_lost(job, self._history.is_firing(note.fingerprint))
            else:
                owner = self._owner if job.claim == "resolve_own" else None
                resolved = self._history.resolve(note, owner=owner)
                if resolved is None:
                    alert_id = None
                else:
                    alert_id, first_at = resolved
                    note = dataclasses.replace(note, first_at=first_at)
        except Exception:
            # The database is down or locked: an alert that goes unsent is worse than one
            # that might be sent twice.
            log.exception(
                "could not record alert %s %s in the history; sending it anyway",
                note.kind,
                note.fingerprint,
            )
            return note, None
        if alert_id is None:
            log.info(
                "alert %s %s is handled by another process: not sent here",
                note.kind,
                note.fingerprint,
            )
            return None
        return note, alert_id

    def _deliver(self, job: Job, *, send: bool) -> None:
        """Claim ``job``, then send it to its channels (``send``) or record it as not sent."""
        note, alert_id = job.note, None
        if self._history is not None:
            claimed = self._claim(job)
            if claimed is None:
                return
            note, alert_id = claimed
        elif not send:
            return  # nowhere to record it
        wanted = self._config.channel_names(note.severity)
        for channel in self._channels:
            if channel.name not in wanted:
                continue
            if send:
                attempts, error = self._send(channel, note)
                outcome = "ok" if error is None else "failed"
                _log_sent(note, channel.name, attempts, error)
            else:
                attempts, error, outcome = 0, _EXITED, "not_sent"
            delivery = Delivery(
                channel=channel.name,
                notification=note.kind,
                outcome=outcome,
                attempts=attempts,
                error=error,
                at=note.sent_at,
            )
            self._record(alert_id, note, delivery)

    def _record(self, alert_id: int | None, note: Notification, delivery: Delivery) -> None:
        if self._history is None or alert_id is None:
            return
        try:
            self._history.record_delivery(alert_id, delivery)
        except Exception:
            log.exception("could not record the delivery of alert %s", note.fingerprint)

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
        not hold the process), stop the worker and close the HTTP client. Notifications
        still queued then are recorded in the history as ``not_sent``."""
        with self._lock:
            worker, self._worker = self._worker, None
            self._closed = True
        if worker is not None:
            self._queue.put(None)
            worker.join(timeout_s)
            if worker.is_alive():
                left = self._drain()
                log.warning(
                    "alert delivery still busy after %.0f s at exit: %d queued notification(s) "
                    "not sent%s",
                    timeout_s,
                    len(left),
                    "; recorded as not_sent in the alert history (`jobintel alerts`)"
                    if self._history is not None and left
                    else "",
                )
                for job in left:
                    self._deliver(job, send=False)
        if self._http is not None:
            self._http.close()
            self._http = None

    def _drain(self) -> list[Job]:
        """Take the queued jobs away from a worker that is stuck in a channel."""
        left: list[Job] = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(job, Job):
                left.append(job)
            self._queue.task_done()
        self._queue.put(None)  # the stuck worker stops once its channel returns
        return left


def _log_sent(note: Notification, channel: str, attempts: int, error: str | None) -> None:
    if error is None:
        log.info("alert %s %s sent to %s", note.kind, note.fingerprint, channel)
    else:
        log.warning(
            "alert %s %s not delivered to %s after %d attempts: %s",
            note.kind,
            note.fingerprint,
            channel,
            attempts,
            error,
        )
