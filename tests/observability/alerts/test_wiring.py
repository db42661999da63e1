"""Alerting wired end to end: real `jobintel run`s and a served run against the provider
simulator, alerts delivered to loopback webhook and SMTP receivers and read back from the
store, the CLI and the API."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from jobintel.cli import app
from jobintel.guard.event_log import GuardEventLog
from jobintel.observability.alerts import AlertHistory, StoredAlert
from jobintel.simulator import SimulatorHandle
from jobintel.store import Store
from tests.conftest import EXAMPLES
from tests.loopback import free_port
from tests.observability.alerts.receivers import smtp_server, webhook_receiver
from tests.service.api.conftest import CV, POSTINGS, running_api, service_settings

POSTING = EXAMPLES / "postings" / "helio-data-engineer.txt"


def _env(tmp_path: Path, simulator: SimulatorHandle, **alerting: str) -> dict[str, str]:
    """A `jobintel run` with every stage on a simulated OpenAI model, fast retries."""
    return {
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_OUT_DIR": str(tmp_path / "out"),
        "JOBINTEL_STRATEGY": "llm",
        "JOBINTEL_MODEL": "openai:gpt-4o-mini",
        "JOBINTEL_OPENAI_BASE_URL": simulator.openai_base_url,
        "JOBINTEL_OPENAI_API_KEY": "sim-key",
        "JOBINTEL_RESEARCH": "off",
        "JOBINTEL_RETRY_BACKOFF_S": "0.01",
        "JOBINTEL_RETRY_MAX_BACKOFF_S": "0.02",
        "COLUMNS": "300",
        **{f"JOBINTEL_ALERT_{k.upper()}": v for k, v in alerting.items()},
    }


def _run(env: dict[str, str], *extra: str) -> Result:
    return CliRunner().invoke(
        app, ["run", str(POSTING), "--cv", str(EXAMPLES / "master-cv.md"), "-q", *extra], env=env
    )


def _history(tmp_path: Path) -> list[StoredAlert]:
    store = Store.open(f"sqlite:///{(tmp_path / 'data' / 'jobintel.db').as_posix()}")
    try:
        return AlertHistory(store.engine).recent()
    finally:
        store.close()


def _breaker_openings(tmp_path: Path) -> int:
    store = Store.open(f"sqlite:///{(tmp_path / 'data' / 'jobintel.db').as_posix()}")
    try:
        events = GuardEventLog(store.engine).recent(limit=1000, kinds=["breaker_transition"])
    finally:
        store.close()
    return sum(1 for e in events if "-> open" in e.message)


def _kinds(bodies: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter((b["notification"], b["rule"]) for b in bodies)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_provider_down_alerts_once_across_runs_and_resolves_on_recovery(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A dead provider fires breaker_open (critical: every channel) and external_failure_rate
    (warning: Slack) once, however often the breaker re-opens after a failed probe; a second
    run restores them instead of re-firing and resolves them when the provider is back;
    `jobintel alerts` lists both episodes."""
    simulator.configure(error_5xx_rate=1.0, fault_retry_after_s=0)
    with webhook_receiver() as slack, webhook_receiver() as hook:
        env = _env(tmp_path, simulator, slack_url=slack.url, webhook_url=hook.url)
        env["JOBINTEL_BREAKER_COOLDOWN_S"] = "0"  # every call after opening is a probe
        down = _run(env)
        assert down.exit_code == 0, down.output
        assert sorted(b["text"].split(" ")[2] for b in slack.bodies) == [
            "breaker_open",
            "external_failure_rate",
        ]
        assert _kinds(hook.bodies) == {("firing", "breaker_open"): 1}
        assert _breaker_openings(tmp_path) >= 2  # failed probes re-opened it: still one alert
        (hooked,) = hook.bodies
        assert (hooked["subject"], hooked["severity"]) == ("openai:gpt-4o-mini", "critical")
        fired = {a.rule: a for a in _history(tmp_path)}
        assert set(fired) == {"breaker_open", "external_failure_rate"}
        assert all(a.state == "firing" and a.sends == 1 for a in fired.values())
        assert [(d.channel, d.outcome) for d in fired["breaker_open"].deliveries] == [
            ("slack", "ok"),
            ("webhook", "ok"),
        ]

        # The provider recovers; the breaker's next probe succeeds and closes it.
        simulator.configure(error_5xx_rate=0.0)
        up = _run(env)
        assert up.exit_code == 0, up.output
    assert _kinds(hook.bodies) == {("firing", "breaker_open"): 1, ("resolved", "breaker_open"): 1}
    assert [b["text"].split(" ")[0] for b in slack.bodies].count("[FIRING]") == 2
    assert [b["text"].split(" ")[0] for b in slack.bodies].count("[RESOLVED]") == 2
    assert {(a.rule, a.state, a.sends) for a in _history(tmp_path)} == {
        ("breaker_open", "resolved", 2),
        ("external_failure_rate", "resolved", 2),
    }
    listed = CliRunner().invoke(app, ["alerts"], env=env)
    assert listed.exit_code == 0
    rows = [line for line in listed.output.splitlines() if "openai" in line]
    assert len(rows) == 2 and all("resolved" in row for row in rows)
    assert "breaker_open" in listed.output and "external_failure_rate" in listed.output
    assert "SECRET-TOKEN" not in down.output + up.output + listed.output


def test_tiny_run_budget_alerts_by_email_and_webhook_and_resolves_with_the_run(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A run over its $0.001 budget sends budget_100 (critical) as an authenticated email and a
    webhook post, resolved when the run ends; refused calls are not counted as API failures."""
    with (
        webhook_receiver() as hook,
        smtp_server(username="alerts", password="smtp-pw") as inbox,
    ):
        env = _env(
            tmp_path,
            simulator,
            webhook_url=hook.url,
            smtp_host="127.0.0.1",
            smtp_port=str(inbox.port),
            smtp_username="alerts",
            smtp_password="smtp-pw",
            smtp_starttls="false",
            email_from="jobintel@example.test",
            email_to='["ops@example.test"]',
        )
        result = _run(env, "--budget", "run=0.001")
        assert result.exit_code == 0, result.output
    run_id = result.output.split("run ", 1)[1].split(":", 1)[0].strip()
    assert _kinds(hook.bodies) == {("firing", "budget_100"): 1, ("resolved", "budget_100"): 1}
    assert {b["subject"] for b in hook.bodies} == {f"run:{run_id}"}
    assert [m["Subject"] for m in inbox.messages] == [
        f"[jobintel] [FIRING] critical budget_100 run:{run_id}",
        f"[jobintel] [RESOLVED] critical budget_100 run:{run_id}",
    ]
    assert inbox.authenticated == [True, True]
    assert inbox.envelopes[0] == ("jobintel@example.test", ["ops@example.test"])
    ((rule, state),) = {(a.rule, a.state) for a in _history(tmp_path)}
    assert (rule, state) == ("budget_100", "resolved")


def test_failing_channels_never_break_the_run_and_are_logged(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """A webhook answering 500 and one on a closed port fail after their retries; the run
    finishes as it would without alerting, and each failure is logged and stored, masked."""
    simulator.configure(error_5xx_rate=1.0)
    closed = f"http://127.0.0.1:{free_port()}/hooks/T000/SECRET-TOKEN"
    with webhook_receiver(statuses=[500] * 10) as slack:
        env = _env(
            tmp_path,
            simulator,
            slack_url=slack.url,
            webhook_url=closed,
            routes='{"critical": ["*"], "warning": []}',
            retry_backoff_s="0.01",
        )
        result = _run(env)
    assert result.exit_code == 0, result.output
    assert "degraded" in result.output
    assert len(slack.bodies) == 3  # one alert, three attempts
    (alert,) = [a for a in _history(tmp_path) if a.rule == "breaker_open"]
    assert [(d.channel, d.outcome, d.attempts) for d in alert.deliveries] == [
        ("slack", "failed", 3),
        ("webhook", "failed", 3),
    ]
    assert "HTTP 500" in str(alert.deliveries[0].error)
    assert "ConnectError" in str(alert.deliveries[1].error)
    assert "not delivered to slack after 3 attempts" in result.stderr
    assert "not delivered to webhook after 3 attempts" in result.stderr
    stored = " ".join(str(d.error) for d in alert.deliveries)
    assert "SECRET-TOKEN" not in result.output + result.stderr + stored


async def test_a_served_run_fires_into_the_webhook_and_lists_in_the_api(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """The service wires the same engine: a run submitted over the API with the provider down
    posts breaker_open to the webhook, and GET /api/alerts lists it."""
    simulator.configure(error_5xx_rate=1.0)
    with webhook_receiver() as hook:
        settings = service_settings(
            tmp_path,
            strategy="llm",
            model="openai:gpt-4o-mini",
            openai_base_url=simulator.openai_base_url,
            openai_api_key="sim-key",
            research="off",
            retry_backoff_s=0.01,
            retry_max_backoff_s=0.02,
            alert_webhook_url=hook.url,
        )
        async with running_api(settings) as api:
            candidate = await api.upload_cv(CV)
            postings = await api.add_postings(POSTINGS / "helio-data-engineer.txt")
            run = await api.finish(await api.submit(postings[:1], candidate))
            assert run["status"] == "succeeded"
            api.app.state.telemetry.alerts.flush()
            listed = await api.client.get("/api/alerts", headers=api.auth("read"))
    assert _kinds(hook.bodies) == {("firing", "breaker_open"): 1}
    assert listed.status_code == 200, listed.text
    rules = {a["rule"]: a for a in listed.json()["alerts"]}
    assert set(rules) == {"breaker_open", "external_failure_rate"}
    assert rules["breaker_open"]["state"] == "firing"
    assert [d["channel"] for d in rules["breaker_open"]["deliveries"]] == ["webhook"]
    assert "SECRET-TOKEN" not in listed.text
