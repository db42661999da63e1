"""The alert engine against real loopback webhooks and a real store: rules, dedup, repeats,
recovery, routing, and channel failures that are retried, recorded and never raised."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from jobintel.guard.call import CallMeta, CallRecord
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts import (
    AlertConfig,
    AlertEngine,
    AlertHistory,
    SlackChannelConfig,
    WebhookChannelConfig,
)
from jobintel.providers.base import Usage
from jobintel.store import EventRecord, Store
from tests.loopback import free_port
from tests.observability.alerts.conftest import FakeClock, FakeSleep
from tests.observability.alerts.receivers import webhook_receiver


def _breaker(to: str, key: str = "openai") -> GuardEvent:
    return GuardEvent(
        kind="breaker_transition",
        subject=key,
        message=f"circuit breaker for {key}: -> {to}",
        severity="critical" if to == "open" else "info",
        data={"from": "closed" if to == "open" else "half_open", "to": to, "reason": "test"},
    )


def _budget(pct: int, key: str = "day:2026-11-29") -> GuardEvent:
    return GuardEvent(
        kind="budget_threshold",
        subject=key,
        message=f"budget {key} has used {pct}% of its $5.00 limit",
        data={"threshold_pct": pct},
    )


def _progress(
    kind: str, *, stage: str | None = None, run_id: str = "r1", at: datetime
) -> EventRecord:
    return EventRecord(
        id=0,
        run_id=run_id,
        job_id=1,
        stage=stage,
        kind=kind,
        duration_ms=None,
        message="",
        created_at=at,
    )


def _dead_owner() -> str:
    """An owner id ("host:pid") of a process on this host that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def _call(outcome: str, *, service: str = "openai") -> CallRecord:
    """One call attempt to ``service`` that ended with ``outcome``, as the gateway reports it."""
    return CallRecord(
        meta=CallMeta(), service=service, operation="chat", model="m", attempt=1,
        usage=Usage(), cost_usd=Decimal(0), latency_s=0.1, outcome=outcome,
    )  # fmt: skip


def _engine(config: AlertConfig, store: Store, clock: FakeClock, sleep: FakeSleep) -> AlertEngine:
    return AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep)


def test_same_fingerprint_fires_once(store: Store, clock: FakeClock, sleep: FakeSleep) -> None:
    """A breaker that reports open twice (and half-opens) is one alert, sent once."""
    with webhook_receiver() as hook:
        engine = _engine(
            AlertConfig(channels=(WebhookChannelConfig(url=hook.url),)), store, clock, sleep
        )
        try:
            engine.on_guard_event(_breaker("open"))
            clock.advance(seconds=30)
            engine.on_guard_event(_breaker("half_open"))
            engine.on_guard_event(_breaker("open"))
            engine.flush()
        finally:
            engine.close()
    assert [b["status"] for b in hook.bodies] == ["firing"]
    assert hook.bodies[0]["fingerprint"] == "breaker_open:openai"
    assert hook.bodies[0]["severity"] == "critical"
    (stored,) = AlertHistory(store.engine).recent()
    assert (stored.rule, stored.subject, stored.state, stored.sends) == (
        "breaker_open",
        "openai",
        "firing",
        1,
    )


def test_repeat_only_after_interval(store: Store, clock: FakeClock, sleep: FakeSleep) -> None:
    """A firing alert is re-sent by tick() only once repeat_interval_s has passed since the last send."""
    with webhook_receiver() as hook:
        config = AlertConfig(channels=(WebhookChannelConfig(url=hook.url),), repeat_interval_s=600)
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(_breaker("open"))
            clock.advance(seconds=599)
            engine.tick()
            engine.on_guard_event(_breaker("open"))
            engine.flush()
            assert len(hook.bodies) == 1
            clock.advance(seconds=1)
            engine.tick()
            engine.tick()
            engine.flush()
            assert [b["notification"] for b in hook.bodies] == ["firing", "repeat"]
            clock.advance(seconds=600)
            engine.on_guard_event(_breaker("open"))  # a renewed condition also repeats when due
            engine.flush()
        finally:
            engine.close()
    assert [b["notification"] for b in hook.bodies] == ["firing", "repeat", "repeat"]
    (stored,) = AlertHistory(store.engine).recent()
    assert stored.sends == 3


def test_recovery_sends_resolved_and_a_new_episode_follows(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Breaker close resolves the alert (one "resolved" message); opening again starts a new episode."""
    with webhook_receiver() as hook:
        engine = _engine(
            AlertConfig(channels=(WebhookChannelConfig(url=hook.url),)), store, clock, sleep
        )
        try:
            engine.on_guard_event(_breaker("closed"))  # nothing active: no message
            engine.on_guard_event(_breaker("open"))
            clock.advance(minutes=5)
            engine.on_guard_event(_breaker("closed"))
            engine.on_guard_event(_breaker("closed"))
            assert engine.active() == []
            clock.advance(minutes=5)
            engine.on_guard_event(_breaker("open"))
            engine.flush()
        finally:
            engine.close()
    assert [b["status"] for b in hook.bodies] == ["firing", "resolved", "firing"]
    assert hook.bodies[1]["resolved_at"] is not None
    newest, oldest = AlertHistory(store.engine).recent()
    assert (oldest.state, newest.state) == ("resolved", "firing")
    assert oldest.resolved_at is not None


def test_routes_by_severity(store: Store, clock: FakeClock, sleep: FakeSleep) -> None:
    """With the default routes, warnings go to the slack channel only and criticals to every channel."""
    with webhook_receiver() as slack, webhook_receiver() as hook:
        config = AlertConfig(
            channels=(SlackChannelConfig(url=slack.url), WebhookChannelConfig(url=hook.url))
        )
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(_budget(80))
            engine.on_guard_event(_budget(100))
            engine.flush()
        finally:
            engine.close()
    assert [b["text"].split(":")[0] for b in slack.bodies] == [
        "[FIRING] warning budget_80 day",
        "[FIRING] critical budget_100 day",
    ]
    assert [b["rule"] for b in hook.bodies] == ["budget_100"]


def test_budget_alert_resolves_when_the_day_rolls_over(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A day-scope budget alert stays firing through its day and resolves on the first tick of the next."""
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes={"warning": ("*",)}
        )
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(_budget(80))
            clock.now = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
            engine.tick()
            assert engine.active() == ["budget_80:day:2026-11-29"]
            clock.advance(minutes=2)
            engine.tick()
            engine.flush()
        finally:
            engine.close()
    assert [(b["status"], b["rule"]) for b in hook.bodies] == [
        ("firing", "budget_80"),
        ("firing", "budget_80"),  # the repeat at 23:59 (default interval 1 h elapsed)
        ("resolved", "budget_80"),
    ]


def test_stage_failure_rate_over_sliding_window(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """More than 10% failed among >= 5 stage outcomes in 5 min fires; when they age out, tick() resolves."""
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes={"warning": ("*",)}
        )
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_progress(_progress("stage_failed", stage="fit", at=clock.now))
            for _ in range(3):
                engine.on_progress(_progress("stage_succeeded", stage="fit", at=clock.now))
            engine.on_progress(_progress("stage_started", stage="fit", at=clock.now))
            assert engine.active() == []  # 4 outcomes: below the minimum sample
            engine.on_progress(_progress("stage_degraded", stage="fit", at=clock.now))
            assert engine.active() == ["stage_failure_rate:fit"]  # 1 of 5 = 20%
            clock.advance(minutes=4)
            engine.tick()
            assert engine.active() == ["stage_failure_rate:fit"]
            clock.advance(minutes=2)
            engine.tick()
            assert engine.active() == []
            engine.flush()
        finally:
            engine.close()
    assert [b["status"] for b in hook.bodies] == ["firing", "resolved"]
    assert "1 of 5 failed" in hook.bodies[0]["message"]


def test_external_failure_rate_per_service(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Call attempts failing more than 20% (the Prometheus threshold) fire for that service only."""

    engine = _engine(AlertConfig(), store, clock, sleep)
    try:
        for outcome in ("ok", "ok", "ok", "ok", "ProviderTimeout"):  # 20%: not above
            engine.on_call(_call(outcome, service="anthropic"))
        for outcome in ("ok", "ok", "ok", "ProviderTimeout", "ProviderUnavailable"):
            engine.on_call(_call(outcome))
        assert engine.active() == ["external_failure_rate:openai"]
    finally:
        engine.close()


def test_run_over_limit_fires_and_resolves_when_it_finishes(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A run still going after 30 minutes alerts on tick(); its run_finished resolves it."""
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes={"warning": ("*",)}
        )
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_progress(_progress("run_started", run_id="r-long", at=clock.now))
            clock.advance(minutes=30)
            engine.tick()
            assert engine.active() == []
            clock.advance(minutes=1)
            engine.tick()
            assert engine.active() == ["run_too_long:r-long"]
            engine.on_progress(_progress("run_finished", run_id="r-long", at=clock.now))
            engine.flush()
        finally:
            engine.close()
    assert [(b["status"], b["subject"]) for b in hook.bodies] == [
        ("firing", "r-long"),
        ("resolved", "r-long"),
    ]


def test_pricing_anomaly_resolves_after_a_quiet_repeat_interval(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A pricing anomaly alerts once; a recurrence inside the repeat interval sends nothing
    and restarts its quiet period; a whole interval without one sends "resolved", and the
    store no longer lists it as firing (a restart does not load it again)."""
    event = GuardEvent(kind="pricing_anomaly", subject="openai:gpt-x", message="reported $0")
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),),
            routes={"warning": ("*",)},
            repeat_interval_s=60,
        )
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(event)
            engine.on_guard_event(event)
            clock.advance(seconds=40)
            engine.on_guard_event(event)  # recurs: quiet from here
            clock.advance(seconds=40)
            engine.tick()  # 80 s after the first, 40 s after the last: still firing
            engine.flush()
            assert [b["status"] for b in hook.bodies] == ["firing"]
            assert [a.rule for a in AlertHistory(store.engine).firing()] == ["pricing_anomaly"]
            clock.advance(seconds=20)
            engine.tick()
            engine.tick()
            engine.flush()
        finally:
            engine.close()
    assert [(b["rule"], b["status"]) for b in hook.bodies] == [
        ("pricing_anomaly", "firing"),
        ("pricing_anomaly", "resolved"),
    ]
    assert "no pricing anomaly for openai:gpt-x since" in hook.bodies[1]["message"]
    assert AlertHistory(store.engine).firing() == []


@pytest.mark.parametrize("seen_minutes_ago", [5, 0.5])
def test_an_adopted_pricing_anomaly_resolves_once_quiet_everywhere(
    store: Store, clock: FakeClock, sleep: FakeSleep, seen_minutes_ago: float
) -> None:
    """An anomaly left firing by a process that ended is adopted at start. Its last sighting
    is read from the guard events in the store (sightings in between were never sent): 5
    minutes ago, the first tick resolves it; 30 s ago (interval 60 s), it stays firing."""
    event = GuardEvent(kind="pricing_anomaly", subject="openai:gpt-x", message="reported $0")
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),),
            routes={"warning": ("*",)},
            repeat_interval_s=60,
        )
        first = AlertEngine(
            config, engine=store.engine, clock=clock, sleep=sleep, owner=_dead_owner()
        )
        try:
            first.on_guard_event(event)
            first.flush()
        finally:
            first.close()
        clock.advance(minutes=5)
        events = GuardEventLog(store.engine)
        events(replace(event, at=clock.now - timedelta(minutes=seen_minutes_ago)))
        events.close()
        second = _engine(config, store, clock, sleep)
        try:
            second.tick()
            second.flush()
        finally:
            second.close()
    firing = [a.rule for a in AlertHistory(store.engine).firing()]
    statuses = [b["status"] for b in hook.bodies]
    if seen_minutes_ago >= 1:
        assert statuses == ["firing", "resolved"]
        assert firing == []
    else:
        assert statuses == ["firing"]
        assert firing == ["pricing_anomaly"]


def test_failing_webhook_is_retried_recorded_and_never_raises(
    store: Store, clock: FakeClock, sleep: FakeSleep, caplog: pytest.LogCaptureFixture
) -> None:
    """HTTP 500 on every attempt: 3 attempts with doubling backoff, a failed delivery, no exception,
    and the webhook token appears in no log line and no stored error."""
    caplog.set_level(logging.DEBUG)
    with webhook_receiver(statuses=[500, 500, 500]) as hook:
        config = AlertConfig(channels=(WebhookChannelConfig(url=hook.url),), retry_backoff_s=0.5)
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(_breaker("open"))
            engine.flush()
        finally:
            engine.close()
    assert len(hook.bodies) == 3
    assert sleep.waits == [0.5, 1.0]
    (stored,) = AlertHistory(store.engine).recent()
    (delivery,) = stored.deliveries
    assert (delivery.channel, delivery.outcome, delivery.attempts) == ("webhook", "failed", 3)
    assert delivery.error is not None and "HTTP 500" in delivery.error
    assert "SECRET-TOKEN" not in delivery.error
    assert "SECRET-TOKEN" not in caplog.text
    assert "not delivered to webhook after 3 attempts" in caplog.text


def test_retry_recovers_from_a_transient_failure(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """One 500 then 200: the delivery is recorded ok after 2 attempts."""
    with webhook_receiver(statuses=[500]) as hook:
        config = AlertConfig(channels=(SlackChannelConfig(url=hook.url),))
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(_breaker("open"))
            engine.flush()
        finally:
            engine.close()
    assert len(hook.bodies) == 2
    ((stored_delivery,),) = [a.deliveries for a in AlertHistory(store.engine).recent()]
    assert (stored_delivery.outcome, stored_delivery.attempts) == ("ok", 2)


def test_refused_connection_does_not_stop_other_channels(
    store: Store, clock: FakeClock, sleep: FakeSleep, caplog: pytest.LogCaptureFixture
) -> None:
    """A channel whose server refuses connections is recorded failed; the next channel still gets it."""
    dead = f"http://127.0.0.1:{free_port()}/hooks/SECRET-TOKEN"
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(SlackChannelConfig(url=dead), WebhookChannelConfig(url=hook.url)),
            send_attempts=2,
        )
        engine = _engine(config, store, clock, sleep)
        try:
            engine.on_guard_event(_breaker("open"))
            engine.flush()
        finally:
            engine.close()
    assert [b["status"] for b in hook.bodies] == ["firing"]
    (stored,) = AlertHistory(store.engine).recent()
    outcomes = [(d.channel, d.outcome, d.attempts) for d in stored.deliveries]
    assert outcomes == [("slack", "failed", 2), ("webhook", "ok", 1)]
    assert stored.deliveries[0].error is not None
    assert "ConnectError" in stored.deliveries[0].error
    assert "SECRET-TOKEN" not in stored.deliveries[0].error + caplog.text


def test_without_a_store_or_channels_the_engine_still_evaluates(clock: FakeClock) -> None:
    """No database and no channels: events are evaluated and nothing raises."""
    engine = AlertEngine(AlertConfig(), clock=clock)
    try:
        engine.on_guard_event(_breaker("open"))
        engine.flush()
        assert engine.active() == ["breaker_open:openai"]
    finally:
        engine.close()


def test_restart_keeps_dedup_and_resolves_restored_alerts(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A new engine on the same store, after the process that fired them ended, does not re-fire
    stored firing alerts and still resolves them: the breaker on close, a failure rate it has
    no samples for on the first tick."""
    # The first engine's owner is a process that has exited: a restart. (This test used to
    # give both engines one owner, which also passed while a new process resolved a live
    # process's failure-rate alert; that case is now test_cross_process.py's.)
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),),
            routes={"warning": ("*",), "critical": ("*",)},
        )
        first = AlertEngine(
            config, engine=store.engine, clock=clock, sleep=sleep, owner=_dead_owner()
        )
        try:
            first.on_guard_event(_breaker("open"))
            for kind in ("stage_failed", *["stage_succeeded"] * 4):
                first.on_progress(_progress(kind, stage="tailor", at=clock.now))
            first.flush()
        finally:
            first.close()
        clock.advance(minutes=1)
        second = _engine(config, store, clock, sleep)
        try:
            assert second.active() == ["breaker_open:openai", "stage_failure_rate:tailor"]
            second.on_guard_event(_breaker("open"))
            second.tick()
            second.on_guard_event(_breaker("closed"))
            second.flush()
        finally:
            second.close()
    assert [(b["status"], b["rule"]) for b in hook.bodies] == [
        ("firing", "breaker_open"),
        ("firing", "stage_failure_rate"),
        ("resolved", "stage_failure_rate"),
        ("resolved", "breaker_open"),
    ]
    assert [a.state for a in AlertHistory(store.engine).recent()] == ["resolved", "resolved"]


def test_a_4xx_answer_is_not_retried_but_429_is(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A webhook answering 403 (a revoked token) fails after one attempt; 429 is retried."""
    with webhook_receiver(statuses=[403, 429]) as hook:
        engine = AlertEngine(
            AlertConfig(channels=(WebhookChannelConfig(url=hook.url),)),
            engine=store.engine,
            clock=clock,
            sleep=sleep,
        )
        try:
            engine.on_guard_event(_breaker("open", "openai"))
            engine.on_guard_event(_breaker("open", "anthropic"))
            engine.flush()
        finally:
            engine.close()
    outcomes = {
        a.subject: [(d.outcome, d.attempts) for d in a.deliveries]
        for a in AlertHistory(store.engine).recent()
    }
    assert outcomes == {"openai": [("failed", 1)], "anthropic": [("ok", 2)]}
    assert len(hook.bodies) == 3


def test_run_bound_budget_alerts_resolve_with_their_job_and_run(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Stage and job budget alerts resolve when their job finishes, run and per-call ones when
    the run does; a day budget alert outlives both."""
    engine = _engine(AlertConfig(), store, clock, sleep)
    try:
        for key in ("stage:1:fit", "job:1", "job:2", "run:r1", "call", "day:2026-11-29"):
            engine.on_guard_event(_budget(100, key))
        engine.on_progress(_progress("job_finished", at=clock.now))  # job 1 of run r1
        assert engine.active() == [
            "budget_100:call",
            "budget_100:day:2026-11-29",
            "budget_100:job:2",
            "budget_100:run:r1",
        ]
        engine.on_progress(_progress("run_finished", at=clock.now))
        assert engine.active() == ["budget_100:day:2026-11-29", "budget_100:job:2"]
    finally:
        engine.close()
    resolved = {a.subject: a.message for a in AlertHistory(store.engine).recent(state="resolved")}
    assert resolved["job:1"] == "budget job:1: job 1 finished"
    assert resolved["run:r1"] == "budget run:r1: run r1 finished"


def test_restored_run_bound_budget_alerts_resolve_on_the_first_tick(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A run budget alert left firing by an ended process is resolved by the next engine
    instead of repeating forever; a month budget alert stays firing."""
    first = AlertEngine(
        AlertConfig(), engine=store.engine, clock=clock, sleep=sleep, owner=_dead_owner()
    )
    try:
        first.on_guard_event(_budget(80, "run:gone"))
        first.on_guard_event(_budget(80, "month:2026-11"))
        first.flush()
    finally:
        first.close()
    second = _engine(AlertConfig(), store, clock, sleep)
    try:
        second.tick()
        assert second.active() == ["budget_80:month:2026-11"]
        second.flush()
    finally:
        second.close()
    states = {a.subject: a.state for a in AlertHistory(store.engine).recent()}
    assert states == {"run:gone": "resolved", "month:2026-11": "firing"}


def test_guard_refusals_are_not_external_failures(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Refusals by jobintel's own guards (budget, price, an open breaker, the fetcher's
    address guard) are not the provider failing, so they do not count towards the external
    failure rate; provider errors do."""

    engine = _engine(AlertConfig(), store, clock, sleep)
    try:
        refusals = ["BudgetExceeded", "PriceUnknown", "CircuitOpen", "FetchRefused"]
        for outcome in ["ok"] * 5 + refusals * 5:
            engine.on_call(_call(outcome))
        assert engine.active() == []
        for _ in range(2):
            engine.on_call(_call("ProviderUnavailable"))
        assert engine.active() == ["external_failure_rate:openai"]
    finally:
        engine.close()


def test_a_declined_task_is_an_answered_call_not_a_failure(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A model refusing the task (ModelRefused) was answered: it counts among the calls, as
    in the Prometheus rule's denominator, but not among the failures."""

    engine = _engine(AlertConfig(), store, clock, sleep)
    try:
        # 2 failures in 10 answered calls is 20%, not above the threshold. Counting the
        # refusals as failures (6 of 10) or leaving them out (2 of 6) would both fire.
        for outcome in ["ok"] * 4 + ["ModelRefused"] * 4 + ["ProviderUnavailable"] * 2:
            engine.on_call(_call(outcome))
        assert engine.active() == []
        engine.on_call(_call("ProviderUnavailable"))  # 3 of 11
        assert engine.active() == ["external_failure_rate:openai"]
    finally:
        engine.close()


def test_two_processes_sharing_a_store_notify_once(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Two engines started together on one store (the service and a CLI run): the second to
    see a breaker open or close sends nothing, so each state change is notified once."""
    with webhook_receiver() as hook:
        config = AlertConfig(channels=(WebhookChannelConfig(url=hook.url),))
        service, cli = (
            AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=f"h:{n}")
            for n in (1, 2)
        )
        try:
            service.on_guard_event(_breaker("open"))
            service.flush()
            cli.on_guard_event(_breaker("open"))
            cli.flush()
            cli.on_guard_event(_breaker("closed"))
            cli.flush()
            service.on_guard_event(_breaker("closed"))
            service.flush()
        finally:
            service.close()
            cli.close()
    assert [b["notification"] for b in hook.bodies] == ["firing", "resolved"]
    ((state, sends),) = [(a.state, a.sends) for a in AlertHistory(store.engine).recent()]
    assert (state, sends) == ("resolved", 2)
