"""Alerting configuration: channels, routes by severity, rule thresholds and timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from jobintel.errors import ConfigError

if TYPE_CHECKING:
    from jobintel.settings import Settings

Severity = Literal["info", "warning", "critical"]
#: Route every severity to every channel.
ALL_CHANNELS = "*"


@dataclass(frozen=True, kw_only=True)
class SlackChannelConfig:
    """A Slack-compatible incoming webhook: POST {"text": ...}. The URL holds a token."""

    url: str
    name: str = "slack"


@dataclass(frozen=True, kw_only=True)
class WebhookChannelConfig:
    """A generic webhook: POST the alert as JSON. The URL may hold a token."""

    url: str
    name: str = "webhook"


@dataclass(frozen=True, kw_only=True)
class SmtpChannelConfig:
    """Email through an SMTP server, STARTTLS by default, AUTH when a username is set."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout_s: float = 10.0
    name: str = "email"


ChannelConfig = SlackChannelConfig | WebhookChannelConfig | SmtpChannelConfig


def _default_routes() -> dict[str, tuple[str, ...]]:
    return {"critical": (ALL_CHANNELS,), "warning": ("slack",), "info": ()}


@dataclass(frozen=True, kw_only=True)
class AlertConfig:
    """Everything the engine needs; built by the lead from ``JOBINTEL_ALERT_*`` settings."""

    channels: tuple[ChannelConfig, ...] = ()
    #: Re-send an alert that is still firing at most this often.
    repeat_interval_s: float = 3600.0
    #: Severity -> channel names ("*" = every channel).
    routes: dict[str, tuple[str, ...]] = field(default_factory=_default_routes)
    #: Rule name -> severity, overriding the rule's default.
    severities: dict[str, Severity] = field(default_factory=dict)
    #: Stage failures / external call failures: alert above these fractions over the window
    #: (0.10 and 0.20, as in deploy/prometheus/rules/jobintel.rules.yml).
    failure_rate_threshold: float = 0.10
    external_failure_rate_threshold: float = 0.20
    failure_window_s: float = 300.0
    #: Fewer outcomes than this in the window never alert (one failure of two is noise).
    failure_min_samples: int = 5
    #: A run still going after this long alerts.
    max_run_s: float = 1800.0
    #: The budget calendar's timezone (JOBINTEL_BUDGET_TIMEZONE): day/month roll-over resolves.
    budget_timezone: str = "UTC"
    #: Attempts per channel per notification, and the first backoff (doubles each retry).
    send_attempts: int = 3
    retry_backoff_s: float = 1.0
    http_timeout_s: float = 10.0

    def channel_names(self, severity: str) -> tuple[str, ...]:
        """The channels an alert of ``severity`` goes to, in configuration order."""
        wanted = self.routes.get(severity, ())
        names = [c.name for c in self.channels]
        if ALL_CHANNELS in wanted:
            return tuple(names)
        return tuple(n for n in names if n in wanted)


def alert_config(settings: Settings) -> AlertConfig:
    """The alerting configuration of ``settings`` (``JOBINTEL_ALERT_*``).

    Raises ``ConfigError`` naming the setting when email is half configured.
    """
    channels: list[ChannelConfig] = []
    if settings.alert_slack_url is not None:
        channels.append(SlackChannelConfig(url=settings.alert_slack_url.get_secret_value()))
    if settings.alert_webhook_url is not None:
        channels.append(WebhookChannelConfig(url=settings.alert_webhook_url.get_secret_value()))
    if settings.alert_smtp_host:
        problems = []
        if not settings.alert_email_from:
            problems.append(
                ("alert_email_from", "set JOBINTEL_ALERT_EMAIL_FROM, e.g. jobintel@example.com")
            )
        if not settings.alert_email_to:
            problems.append(
                ("alert_email_to", 'set JOBINTEL_ALERT_EMAIL_TO, e.g. ["ops@example.com"]')
            )
        if problems:
            raise ConfigError(problems)
        password = settings.alert_smtp_password
        channels.append(
            SmtpChannelConfig(
                host=settings.alert_smtp_host,
                port=settings.alert_smtp_port,
                sender=str(settings.alert_email_from),
                recipients=tuple(settings.alert_email_to),
                username=settings.alert_smtp_username,
                password=password.get_secret_value() if password is not None else None,
                starttls=settings.alert_smtp_starttls,
            )
        )
    routes = _default_routes()
    routes.update({sev: tuple(names) for sev, names in settings.alert_routes.items()})
    return AlertConfig(
        channels=tuple(channels),
        repeat_interval_s=settings.alert_repeat_interval_s,
        routes=routes,
        severities=dict(settings.alert_severities),
        failure_rate_threshold=settings.alert_stage_failure_rate,
        external_failure_rate_threshold=settings.alert_external_failure_rate,
        failure_window_s=settings.alert_window_s,
        max_run_s=settings.alert_max_run_minutes * 60,
        budget_timezone=settings.budget_timezone,
    )
