"""Alert engines in two "processes" sharing one real SQLite file: claims in the store make
each firing, repeat and resolution go out once, episodes have owners, and a stuck channel or
a failing database never loses or blocks a notification silently."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, func, select, text

from jobintel import context
from jobintel.guard.event_log import GuardEventLog
from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts import (
    AlertConfig,
    AlertEngine,
    AlertHistory,
    WebhookChannelConfig,
)
from jobintel.observability.alerts.channels import Notification
from jobintel.store import EventRecord, Store
from jobintel.store.alert_tables import AlertRow
from jobintel.store.database import alembic_config, create_db_engine
from tests.observability.alerts.conftest import FakeClock, FakeSleep
from tests.observability.alerts.receivers import webhook_receiver

HOST = socket.gethostname()
LIVE = f"{HOST}:{os.getpid()}"  # this test process: alive
LIVE_TOO = f"{HOST}:{os.getppid()}"  # the process that started pytest: alive too
EVERYWHERE = {"warning": ("*",), "critical": ("*",)}


def _dead_owner() -> str:
    """An owner id on this host whose process has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{HOST}:{proc.pid}"


def _breaker(to: str, key: str = "openai") -> GuardEvent:
    return GuardEvent(
        kind="breaker_transition",
        subject=key,
        message=f"circuit breaker for {key}: -> {to}",
        data={"from": "closed", "to": to},
    )


def _budget(pct: int, key: str) -> GuardEvent:
    return GuardEvent(
        kind="budget_threshold",
        subject=key,
        message=f"budget {key} has used {pct}% of its limit",
        data={"threshold_pct": pct},
    )


def _progress(kind: str, *, run_id: str = "r1", stage: str | None = None) -> EventRecord:
    return EventRecord(
        id=0, run_id=run_id, job_id=1, stage=stage, kind=kind, duration_ms=None, message="",
        created_at=datetime(2026, 11, 29, tzinfo=UTC),
    )  # fmt: skip


@pytest.fixture
def second_engine(store: Store) -> Iterator[Engine]:
    """A second connection pool on the same SQLite file, as another process would open."""
    engine = create_db_engine(store.engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _rows(store: Store, fingerprint: str) -> list[tuple[str, str | None]]:
    with store.engine.connect() as conn:
        return [
            (r.state, r.owner)
            for r in conn.execute(
                select(AlertRow).where(AlertRow.fingerprint == fingerprint).order_by(AlertRow.id)
            )
        ]


def test_simultaneous_firing_in_two_processes_sends_once(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Two engines seeing the same breaker open at the same moment, 30 times over: each
    fingerprint is sent "firing" once and has one firing row."""
    rounds = 30
    with webhook_receiver() as hook:
        config = AlertConfig(channels=(WebhookChannelConfig(url=hook.url),))
        engines = [
            AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=LIVE),
            AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE_TOO),
        ]
        try:
            for i in range(rounds):
                barrier = threading.Barrier(2)

                def fire(
                    engine: AlertEngine, barrier: threading.Barrier, key: str = f"svc{i}"
                ) -> None:
                    barrier.wait()
                    engine.on_guard_event(_breaker("open", key))
                    engine.flush()

                threads = [threading.Thread(target=fire, args=(e, barrier)) for e in engines]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
        finally:
            for e in engines:
                e.close()
    sent = sorted(b["fingerprint"] for b in hook.bodies)
    assert sent == sorted(f"breaker_open:svc{i}" for i in range(rounds))
    with store.engine.connect() as conn:
        per_fingerprint = conn.execute(
            select(AlertRow.fingerprint, func.count())
            .where(AlertRow.state == "firing")
            .group_by(AlertRow.fingerprint)
        ).all()
    assert len(per_fingerprint) == rounds
    assert {count for _, count in per_fingerprint} == {1}


def test_a_recovery_seen_by_the_other_process_is_sent_once_and_stops_repeats(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """The service opened a breaker alert and a CLI run's probe closes the breaker: the CLI
    sends the one "resolved" and the service, finding the episode over, stops repeating it."""
    with webhook_receiver() as hook:
        config = AlertConfig(channels=(WebhookChannelConfig(url=hook.url),), repeat_interval_s=600)
        service = AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=LIVE)
        cli = AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE_TOO)
        try:
            service.on_guard_event(_breaker("open"))
            service.flush()
            clock.advance(minutes=3)
            cli.on_guard_event(_breaker("closed"))
            cli.flush()
            for _ in range(3):
                clock.advance(minutes=10)
                service.tick()
                service.flush()
            assert service.active() == []
        finally:
            service.close()
            cli.close()
    assert [b["notification"] for b in hook.bodies] == ["firing", "resolved"]
    assert hook.bodies[1]["first_at"] == hook.bodies[0]["first_at"]
    assert _rows(store, "breaker_open:openai") == [("resolved", LIVE)]


def test_a_new_process_does_not_resolve_a_live_owners_failure_rate_alert(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A CLI run starting next to a service whose stage failure rate is firing leaves the alert
    alone (its own window is empty); the service resolves it when its window clears, once."""
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes=EVERYWHERE, repeat_interval_s=300
        )
        service = AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=LIVE)
        try:
            for kind in ("stage_failed", *["stage_succeeded"] * 4):
                service.on_progress(_progress(kind, stage="fit"))
            service.flush()
            clock.advance(minutes=1)
            cli = AlertEngine(
                config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE_TOO
            )
            try:
                assert cli.active() == ["stage_failure_rate:fit"]
                cli.tick()
                cli.on_progress(_progress("stage_succeeded", stage="fit"))  # 0 of 1 here
                cli.flush()
                assert _rows(store, "stage_failure_rate:fit") == [("firing", LIVE)]
                clock.advance(minutes=5)
                service.tick()  # the service's window is empty now
                service.flush()
                clock.advance(minutes=5)
                cli.tick()  # its periodic sweep notices the episode is over
                cli.flush()
                assert cli.active() == []
            finally:
                cli.close()
        finally:
            service.close()
    assert [b["notification"] for b in hook.bodies] == ["firing", "resolved"]
    assert _rows(store, "stage_failure_rate:fit") == [("resolved", LIVE)]


def test_a_dead_owners_episodes_are_adopted_and_resolved(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A process that died with alerts firing: the next engine adopts them, resolves the
    failure rate it has no failures for and keeps repeating the open breaker itself."""
    dead = _dead_owner()
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes=EVERYWHERE, repeat_interval_s=600
        )
        gone = AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=dead)
        try:
            gone.on_guard_event(_breaker("open"))
            for kind in ("stage_failed", *["stage_succeeded"] * 4):
                gone.on_progress(_progress(kind, stage="tailor"))
            gone.flush()
        finally:
            gone.close()
        clock.advance(minutes=1)
        heir = AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE)
        try:
            assert _rows(store, "breaker_open:openai") == [("firing", LIVE)]
            heir.tick()
            clock.advance(minutes=10)
            heir.tick()
            heir.flush()
        finally:
            heir.close()
    assert [(b["notification"], b["rule"]) for b in hook.bodies] == [
        ("firing", "breaker_open"),
        ("firing", "stage_failure_rate"),
        ("resolved", "stage_failure_rate"),
        ("repeat", "breaker_open"),
    ]


def test_an_episode_of_another_host_is_adopted_only_once_it_went_quiet(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """An episode owned on another host is left alone while it is repeated, and adopted once
    it has not been sent for two repeat intervals."""
    config = AlertConfig(repeat_interval_s=600)
    other = AlertEngine(
        config, engine=store.engine, clock=clock, sleep=sleep, owner="other-host.example:7"
    )
    try:
        other.on_guard_event(_breaker("open"))
        other.flush()
    finally:
        other.close()
    clock.advance(minutes=15)
    fresh = AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE)
    fresh.close()
    assert _rows(store, "breaker_open:openai") == [("firing", "other-host.example:7")]
    clock.advance(minutes=10)  # 25 min since the last send: more than 2 x 10 min
    late = AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE)
    late.close()
    assert _rows(store, "breaker_open:openai") == [("firing", LIVE)]


def test_repeats_from_two_processes_go_out_once_per_interval(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Both processes see the same day budget over 80%: one "firing", then one repeat per
    interval however often both tick."""
    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes=EVERYWHERE, repeat_interval_s=600
        )
        engines = [
            AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=LIVE),
            AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE_TOO),
        ]
        try:
            for e in engines:
                e.on_guard_event(_budget(80, "day:2026-11-29"))
                e.flush()
            for _ in range(3):
                clock.advance(minutes=5)
                for e in engines:
                    e.tick()
                    e.on_guard_event(_budget(80, "day:2026-11-29"))
                    e.flush()
                clock.advance(minutes=5)
                for e in reversed(engines):
                    e.tick()
                    e.flush()
        finally:
            for e in engines:
                e.close()
    assert [b["notification"] for b in hook.bodies] == ["firing", "repeat", "repeat", "repeat"]


def test_call_and_candidate_budget_alerts_resolve_with_the_run_that_raised_them(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """Candidate and per-call budget alerts raised in run r1 outlive other runs ending and
    resolve when r1 finishes; the next run hitting the limit fires them again."""
    engine = AlertEngine(AlertConfig(), engine=store.engine, clock=clock, sleep=sleep, owner=LIVE)
    try:
        with context.bind(run_id="r1"):
            engine.on_guard_event(_budget(100, "candidate:7"))
            engine.on_guard_event(_budget(100, "call"))
        engine.on_progress(_progress("run_finished", run_id="r0"))
        assert engine.active() == ["budget_100:call", "budget_100:candidate:7"]
        engine.on_progress(_progress("run_finished", run_id="r1"))
        assert engine.active() == []
        with context.bind(run_id="r2"):
            engine.on_guard_event(_budget(100, "candidate:7"))
        assert engine.active() == ["budget_100:candidate:7"]
        engine.flush()
    finally:
        engine.close()
    assert [state for state, _ in _rows(store, "budget_100:candidate:7")] == [
        "resolved",
        "firing",
    ]


class _StuckChannel:
    """A channel whose first send hangs until the test releases it."""

    name = "webhook"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.sent: list[str] = []

    def send(self, notification: Notification) -> None:
        self.entered.set()
        self.release.wait(10)
        self.sent.append(notification.fingerprint)


def test_a_pricing_anomaly_stays_firing_while_another_process_sees_it(
    store: Store, second_engine: Engine, clock: FakeClock, sleep: FakeSleep
) -> None:
    """The service owns a pricing-anomaly alert; a CLI run keeps seeing the anomaly (its
    guard events reach the store, its own claims are refused). The owner resolves only a
    whole interval after the last sighting anywhere, and a sighting after that opens a new
    episode from the CLI instead of being lost."""
    anomaly = GuardEvent(kind="pricing_anomaly", subject="openai:gpt-x", message="reported $0")
    events = GuardEventLog(second_engine)  # the CLI run's guard event log

    def cli_sees(cli: AlertEngine) -> None:
        event = replace(anomaly, at=clock.now)
        events(event)
        events.flush()
        cli.on_guard_event(event)
        cli.flush()

    with webhook_receiver() as hook:
        config = AlertConfig(
            channels=(WebhookChannelConfig(url=hook.url),), routes=EVERYWHERE, repeat_interval_s=60
        )
        service = AlertEngine(config, engine=store.engine, clock=clock, sleep=sleep, owner=LIVE)
        cli = AlertEngine(config, engine=second_engine, clock=clock, sleep=sleep, owner=LIVE_TOO)
        try:
            service.on_guard_event(replace(anomaly, at=clock.now))
            service.flush()
            cli_sees(cli)  # refused: the service owns it
            for _ in range(3):  # seen by the CLI every 40 s
                clock.advance(seconds=40)
                cli_sees(cli)
                service.tick()
                service.flush()
            assert [b["status"] for b in hook.bodies] == ["firing"]
            clock.advance(seconds=61)  # quiet for an interval everywhere
            service.tick()
            service.flush()
            assert [b["status"] for b in hook.bodies] == ["firing", "resolved"]
            clock.advance(seconds=5)
            cli_sees(cli)  # a new episode, claimed by the CLI
            cli.tick()
            cli.flush()
        finally:
            service.close()
            cli.close()
            events.close()
    assert [b["status"] for b in hook.bodies] == ["firing", "resolved", "firing"]
    assert _rows(store, "pricing_anomaly:openai:gpt-x") == [
        ("resolved", LIVE),
        ("firing", LIVE_TOO),
    ]


def test_close_on_timeout_records_queued_notifications_as_not_sent(
    store: Store, clock: FakeClock, sleep: FakeSleep, caplog: pytest.LogCaptureFixture
) -> None:
    """A channel hangs at exit: close() gives up, and the notification still queued is in the
    history with outcome not_sent, as the log line says."""
    caplog.set_level(logging.WARNING, logger="jobintel.alerts")
    channel = _StuckChannel()
    config = AlertConfig(channels=(WebhookChannelConfig(url="http://127.0.0.1:9/x"),))
    engine = AlertEngine(
        config, engine=store.engine, channels=[channel], clock=clock, sleep=sleep, owner=LIVE
    )
    try:
        engine.on_guard_event(_breaker("open", "openai"))
        assert channel.entered.wait(10)
        engine.on_guard_event(_breaker("open", "anthropic"))
        engine.close(timeout_s=0.1)
        engine.on_guard_event(_breaker("open", "firecrawl"))  # after close: no new worker
    finally:
        channel.release.set()
        for thread in threading.enumerate():
            if thread.name == "jobintel-alerts":
                thread.join(10)  # the stuck worker finishes its send and stops
    assert channel.sent == ["breaker_open:openai"]
    deliveries = {a.subject: [(d.outcome, d.attempts) for d in a.deliveries] for a in
                  AlertHistory(store.engine).recent()}  # fmt: skip
    assert deliveries["anthropic"] == [("not_sent", 0)]
    assert "firecrawl" not in deliveries
    assert "recorded as not_sent in the alert history" in caplog.text


def test_a_failing_history_does_not_stop_delivery(
    tmp_path: os.PathLike[str], clock: FakeClock, sleep: FakeSleep
) -> None:
    """With a database that has no alert tables (every history call fails), alerts are
    still sent to the channels."""
    broken = create_engine(f"sqlite:///{os.fspath(tmp_path)}/empty.db")
    try:
        with webhook_receiver() as hook:
            config = AlertConfig(channels=(WebhookChannelConfig(url=hook.url),))
            engine = AlertEngine(config, engine=broken, clock=clock, sleep=sleep, owner=LIVE)
            try:
                engine.on_guard_event(_breaker("open"))
                engine.on_guard_event(_breaker("closed"))
                engine.flush()
            finally:
                engine.close()
    finally:
        broken.dispose()
    assert [b["notification"] for b in hook.bodies] == ["firing", "resolved"]


def test_migration_resolves_duplicate_firing_rows(tmp_path: os.PathLike[str]) -> None:
    """Upgrading a store with two firing rows for one fingerprint keeps the newest firing and
    resolves the older at its last send, so the unique index can be built."""
    engine = create_db_engine(f"sqlite:///{os.fspath(tmp_path)}/old.db")
    try:
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
        with engine.begin() as conn:
            for first in ("2026-11-29 08:00:00", "2026-11-29 09:00:00"):
                conn.execute(
                    text(
                        "INSERT INTO alerts (fingerprint, rule, subject, severity, state, "
                        "first_at, last_sent_at, sends, message) VALUES ('breaker_open:x', "
                        "'breaker_open', 'x', 'critical', 'firing', :at, :at, 1, 'm')"
                    ),
                    {"at": first},
                )
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT state, resolved_at, owner FROM alerts ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("resolved", "2026-11-29 08:00:00", None),
        ("firing", None, None),
    ]
