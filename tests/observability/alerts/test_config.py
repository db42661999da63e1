"""Alert configuration: settings to channels and routes, validation, masking, `config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.errors import ConfigError
from jobintel.observability.alerts import (
    AlertConfig,
    SlackChannelConfig,
    SmtpChannelConfig,
    WebhookChannelConfig,
    mask_url,
)
from jobintel.observability.alerts.config import alert_config
from jobintel.settings import Settings, load_settings


def test_default_routes_send_critical_everywhere_and_warnings_to_slack() -> None:
    """Default routes: critical -> every channel, warning -> "slack" only, info -> none."""
    config = AlertConfig(
        channels=(
            SlackChannelConfig(url="https://hooks.example/T/B/x"),
            WebhookChannelConfig(url="https://ops.example/hook"),
            SmtpChannelConfig(host="smtp.example", sender="a@x", recipients=("b@x",)),
        )
    )
    assert config.channel_names("critical") == ("slack", "webhook", "email")
    assert config.channel_names("warning") == ("slack",)
    assert config.channel_names("info") == ()


def test_mask_url_keeps_only_scheme_host_and_port() -> None:
    """Webhook URLs carry tokens in the path and query: only scheme, host and port survive."""
    assert mask_url("https://hooks.slack.com/services/T0/B0/SECRET?x=1") == (
        "https://hooks.slack.com/***"
    )
    assert mask_url("http://127.0.0.1:8080/hook/SECRET") == "http://127.0.0.1:8080/***"


def _settings(**values: object) -> Settings:
    return load_settings(data_dir=Path("unused"), **values)


def test_settings_build_every_channel_with_routes_and_severities() -> None:
    """JOBINTEL_ALERT_* settings become Slack, webhook and SMTP channels with custom routes,
    rule severities and thresholds."""
    config = alert_config(
        _settings(
            alert_slack_url="https://hooks.slack.com/services/T0/B0/SLACK-TOKEN",
            alert_webhook_url="https://ops.example/hook?token=HOOK-TOKEN",
            alert_smtp_host="smtp.example",
            alert_smtp_port=2525,
            alert_smtp_username="alerts",
            alert_smtp_password="SMTP-PASSWORD",
            alert_email_from="jobintel@example.com",
            alert_email_to=["ops@example.com", "lead@example.com"],
            alert_routes={"warning": ["slack", "email"], "info": ["webhook"]},
            alert_severities={"breaker_open": "warning"},
            alert_max_run_minutes=45,
            alert_external_failure_rate=0.5,
            alert_send_attempts=5,
            alert_retry_backoff_s=0.25,
        )
    )
    assert (config.send_attempts, config.retry_backoff_s) == (5, 0.25)
    assert [c.name for c in config.channels] == ["slack", "webhook", "email"]
    assert config.channel_names("critical") == ("slack", "webhook", "email")  # default kept
    assert config.channel_names("warning") == ("slack", "email")
    assert config.channel_names("info") == ("webhook",)
    assert config.severities == {"breaker_open": "warning"}
    assert (config.max_run_s, config.external_failure_rate_threshold) == (2700, 0.5)
    email = config.channels[2]
    assert isinstance(email, SmtpChannelConfig)
    assert (email.port, email.recipients, email.password) == (
        2525,
        ("ops@example.com", "lead@example.com"),
        "SMTP-PASSWORD",
    )
    text = repr(config)
    for secret in ("SLACK-TOKEN", "HOOK-TOKEN", "SMTP-PASSWORD"):
        assert secret not in text
    assert "https://hooks.slack.com/***" in text


@pytest.mark.parametrize(
    ("values", "setting", "hint"),
    [
        (
            {"alert_smtp_host": "smtp.example", "alert_email_to": ["ops@example.com"]},
            "JOBINTEL_ALERT_EMAIL_FROM",
            "sender",
        ),
        (
            {"alert_smtp_host": "smtp.example", "alert_email_from": "j@example.com"},
            "JOBINTEL_ALERT_EMAIL_TO",
            '["ops@example.com"]',
        ),
        (
            {
                "alert_smtp_host": "smtp.example",
                "alert_email_from": "j@example.com",
                "alert_email_to": ["ops"],
            },
            "JOBINTEL_ALERT_EMAIL_TO",
            "not an email address",
        ),
        ({"alert_email_to": ["ops@example.com"]}, "JOBINTEL_ALERT_SMTP_HOST", "no SMTP server"),
        (
            {
                "alert_smtp_host": "smtp.example",
                "alert_email_from": "j@example.com",
                "alert_email_to": ["ops@example.com"],
                "alert_smtp_username": "alerts",
            },
            "JOBINTEL_ALERT_SMTP_PASSWORD",
            "set both or neither",
        ),
        ({"alert_slack_url": "hooks.slack.com/T0/SECRET"}, "JOBINTEL_ALERT_SLACK_URL", "http(s)"),
        ({"alert_webhook_url": "ftp://x/SECRET"}, "JOBINTEL_ALERT_WEBHOOK_URL", "http(s)"),
        ({"alert_routes": {"page": ["*"]}}, "JOBINTEL_ALERT_ROUTES", "unknown severity"),
        ({"alert_routes": {"critical": ["slak"]}}, "JOBINTEL_ALERT_ROUTES", "'slak'"),
        (
            {"alert_severities": {"breaker_opened": "info"}},
            "JOBINTEL_ALERT_SEVERITIES",
            "'breaker_opened'",
        ),
    ],
)
def test_config_errors_name_the_setting_and_the_fix(
    values: dict[str, object], setting: str, hint: str
) -> None:
    """Each misconfiguration is a ConfigError naming the JOBINTEL_ALERT_* variable, the fix,
    and never the webhook URL (it holds a token)."""
    with pytest.raises(ConfigError) as caught:
        alert_config(_settings(**values))
    ((name, message),) = caught.value.problems
    assert name == setting
    assert hint in message
    assert "SECRET" not in str(caught.value)


def test_config_check_lists_channels_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jobintel config check` lists each alert channel with its masked URL or SMTP server and
    the severities routed to it; no token or password is printed."""
    monkeypatch.chdir(tmp_path)
    env = {
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_ALERT_SLACK_URL": "https://hooks.slack.com/services/T0/B0/SLACK-TOKEN",
        "JOBINTEL_ALERT_WEBHOOK_URL": "https://ops.example:8443/hook?token=HOOK-TOKEN",
        "JOBINTEL_ALERT_SMTP_HOST": "smtp.example",
        "JOBINTEL_ALERT_SMTP_USERNAME": "alerts",
        "JOBINTEL_ALERT_SMTP_PASSWORD": "SMTP-PASSWORD",
        "JOBINTEL_ALERT_EMAIL_FROM": "jobintel@example.com",
        "JOBINTEL_ALERT_EMAIL_TO": '["ops@example.com"]',
        "COLUMNS": "250",
    }
    result = CliRunner().invoke(app, ["config", "check"], env=env)
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.output.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if "alert channels" in line) :]
    slack = next(line for line in table if "│ slack" in line)
    assert "https://hooks.slack.com/***" in slack and "warning, critical" in slack
    hook = next(line for line in table if "│ webhook" in line)
    assert "https://ops.example:8443/***" in hook and "critical" in hook
    email = next(line for line in table if "│ email" in line)
    assert "smtp://smtp.example:587 (STARTTLS as alerts)" in email
    for secret in ("SLACK-TOKEN", "HOOK-TOKEN", "SMTP-PASSWORD"):
        assert secret not in result.output + result.stderr


def test_config_check_fails_on_alert_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A half-configured alert channel makes `config check` exit 2 naming the setting."""
    monkeypatch.chdir(tmp_path)
    env = {
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_ALERT_SLACK_URL": "not-a-url/SLACK-TOKEN",
        "JOBINTEL_ALERT_SMTP_HOST": "smtp.example",
    }
    result = CliRunner().invoke(app, ["config", "check"], env=env)
    assert result.exit_code == 2
    for setting in (
        "JOBINTEL_ALERT_SLACK_URL",
        "JOBINTEL_ALERT_EMAIL_FROM",
        "JOBINTEL_ALERT_EMAIL_TO",
    ):
        assert setting in result.stderr
    assert "SLACK-TOKEN" not in result.output + result.stderr


def test_blank_secret_settings_mean_unset() -> None:
    """`JOBINTEL_ALERT_SLACK_URL=` (blank, as in a .env template) configures no channel."""
    config = alert_config(_settings(alert_slack_url="", alert_webhook_url="  "))
    assert config.channels == ()
