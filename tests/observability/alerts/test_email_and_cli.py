"""Email alerts through a real SMTP server on loopback (AUTH; plain, since the `cryptography`
package is not installed there is no STARTTLS test), and the `jobintel alerts` history table."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.guard.events import GuardEvent
from jobintel.observability.alerts import (
    AlertConfig,
    AlertEngine,
    AlertHistory,
    SmtpChannelConfig,
    WebhookChannelConfig,
)
from jobintel.store import Store
from tests.observability.alerts.conftest import FakeClock, FakeSleep
from tests.observability.alerts.receivers import smtp_server, webhook_receiver

OPEN = GuardEvent(
    kind="breaker_transition",
    subject="firecrawl",
    message="circuit breaker for firecrawl: closed -> open (5 failures)",
    severity="critical",
    data={"from": "closed", "to": "open"},
)
CLOSED = GuardEvent(
    kind="breaker_transition",
    subject="firecrawl",
    message="circuit breaker for firecrawl: half_open -> closed (probe ok)",
    severity="info",
    data={"from": "half_open", "to": "closed"},
)


def _smtp(port: int, password: str) -> SmtpChannelConfig:
    return SmtpChannelConfig(
        host="127.0.0.1",
        port=port,
        sender="jobintel@example.test",
        recipients=("ops@example.test", "lead@example.test"),
        username="alerts",
        password=password,
        starttls=False,
        timeout_s=5,
    )


def test_email_firing_and_resolved_through_smtp_with_auth(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """A critical alert and its recovery arrive as two authenticated emails to every recipient."""
    with smtp_server(username="alerts", password="s3cret-pw") as inbox:
        engine = AlertEngine(
            AlertConfig(channels=(_smtp(inbox.port, "s3cret-pw"),)),
            engine=store.engine,
            clock=clock,
            sleep=sleep,
        )
        try:
            engine.on_guard_event(OPEN)
            clock.advance(minutes=3)
            engine.on_guard_event(CLOSED)
            engine.flush()
        finally:
            engine.close()
    assert inbox.authenticated == [True, True]
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects == [
        "[jobintel] [FIRING] critical breaker_open firecrawl",
        "[jobintel] [RESOLVED] critical breaker_open firecrawl",
    ]
    assert inbox.envelopes[0] == (
        "jobintel@example.test",
        ["ops@example.test", "lead@example.test"],
    )
    body = inbox.messages[0].get_payload()
    assert isinstance(body, str) and "5 failures" in body
    (stored,) = AlertHistory(store.engine).recent()
    assert [(d.notification, d.outcome) for d in stored.deliveries] == [
        ("firing", "ok"),
        ("resolved", "ok"),
    ]


def test_rejected_smtp_login_is_recorded_without_the_password(
    store: Store, clock: FakeClock, sleep: FakeSleep, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password fails the email channel at once (a refused login is not retried),
    recorded; the password is never logged."""
    caplog.set_level(logging.DEBUG)
    with smtp_server(username="alerts", password="right-pw") as inbox:
        engine = AlertEngine(
            AlertConfig(channels=(_smtp(inbox.port, "WRONG-pw-xyz"),), send_attempts=2),
            engine=store.engine,
            clock=clock,
            sleep=sleep,
        )
        try:
            engine.on_guard_event(OPEN)
            engine.flush()
        finally:
            engine.close()
    assert inbox.messages == []
    (stored,) = AlertHistory(store.engine).recent()
    (delivery,) = stored.deliveries
    assert (delivery.channel, delivery.outcome, delivery.attempts) == ("email", "failed", 1)
    assert sleep.waits == []
    assert delivery.error is not None and "SMTPAuthenticationError" in delivery.error
    assert "WRONG-pw-xyz" not in delivery.error + caplog.text
    assert "WRONG-pw-xyz" not in repr(_smtp(0, "WRONG-pw-xyz"))


def test_alerts_command_shows_history(
    store: Store, clock: FakeClock, sleep: FakeSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jobintel alerts` lists stored episodes with state, sends and each channel's outcome; --state filters."""
    with webhook_receiver(statuses=[500]) as hook:
        engine = AlertEngine(
            AlertConfig(channels=(WebhookChannelConfig(url=hook.url),), send_attempts=1),
            engine=store.engine,
            clock=clock,
            sleep=sleep,
        )
        try:
            engine.on_guard_event(OPEN)
            clock.advance(minutes=1)
            engine.on_guard_event(CLOSED)
            engine.on_guard_event(
                GuardEvent(kind="budget_exceeded", subject="month:2026-11", message="refused")
            )
            engine.flush()
        finally:
            engine.close()
    monkeypatch.setenv("COLUMNS", "300")  # one table row per line
    runner = CliRunner()
    result = runner.invoke(app, ["alerts"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    breaker = next(line for line in lines if "breaker_open" in line)
    assert "resolved" in breaker and "webhook ok" in breaker
    budget = next(line for line in lines if "budget_100" in line)
    assert "firing" in budget and "critical" in budget
    filtered = runner.invoke(app, ["alerts", "--state", "firing"])
    assert filtered.exit_code == 0
    assert "budget_100" in filtered.output and "breaker_open" not in filtered.output
    bad = runner.invoke(app, ["alerts", "--state", "open"])
    assert bad.exit_code == 2


def test_alerts_command_with_no_history(store: Store) -> None:
    """An empty history says how alerts get there instead of printing an empty table."""
    result = CliRunner().invoke(app, ["alerts"])
    assert result.exit_code == 0
    assert "no alerts yet" in result.output


def test_starttls_is_never_skipped_when_the_server_lacks_it(
    store: Store, clock: FakeClock, sleep: FakeSleep
) -> None:
    """With starttls on (the default) a server that does not offer STARTTLS gets no mail and no password."""
    with smtp_server(username="alerts", password="pw") as inbox:
        config = SmtpChannelConfig(
            host="127.0.0.1",
            port=inbox.port,
            sender="jobintel@example.test",
            recipients=("ops@example.test",),
            username="alerts",
            password="pw",
            timeout_s=5,
        )
        engine = AlertEngine(
            AlertConfig(channels=(config,), send_attempts=1),
            engine=store.engine,
            clock=clock,
            sleep=sleep,
        )
        try:
            engine.on_guard_event(OPEN)
            engine.flush()
        finally:
            engine.close()
    assert inbox.messages == []
    ((delivery,),) = [a.deliveries for a in AlertHistory(store.engine).recent()]
    assert delivery.outcome == "failed"
    assert delivery.error is not None and "SMTPNotSupportedError" in delivery.error
