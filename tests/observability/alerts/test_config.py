"""Alert configuration helpers: routing by severity and URL masking."""

from __future__ import annotations

from jobintel.observability.alerts import (
    AlertConfig,
    SlackChannelConfig,
    SmtpChannelConfig,
    WebhookChannelConfig,
    mask_url,
)


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
