"""Alerting configuration: channels, routes by severity, rule thresholds and timings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args
from urllib.parse import urlsplit

from jobintel.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from jobintel.settings import Settings

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
#: Route every severity to every channel.
ALL_CHANNELS = "*"
#: The channel names settings can configure (each at most once).
CHANNEL_NAMES = ("slack", "webhook", "email")


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/***``: webhook paths and queries carry tokens."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    return f"{parts.scheme}://{host}{port}/***"


@dataclass(frozen=True, kw_only=True)
class SlackChannelConfig:
    """A Slack-compatible incoming webhook: POST {"text": ...}. The URL holds a token."""

    url: str = field(repr=False)
    name: str = "slack"

    def __repr__(self) -> str:
        return f"SlackChannelConfig(name={self.name!r}, url={mask_url(self.url)!r})"


@dataclass(frozen=True, kw_only=True)
class WebhookChannelConfig:
    """A generic webhook: POST the alert as JSON. The URL may hold a token."""

    url: str = field(repr=False)
    name: str = "webhook"

    def __repr__(self) -> str:
        return f"WebhookChannelConfig(name={self.name!r}, url={mask_url(self.url)!r})"


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

    Raises ``ConfigError`` naming each setting that is wrong (a webhook URL that is not
    http(s), half-configured email, a route to an unknown channel, an unknown rule) and how
    to fix it. Messages never contain a URL or a password.
    """
    problems: list[tuple[str, str]] = []
    channels: list[ChannelConfig] = []
    if slack := _secret(settings.alert_slack_url):
        if problem := _url_problem(slack):
            problems.append(("JOBINTEL_ALERT_SLACK_URL", problem))
        channels.append(SlackChannelConfig(url=slack.strip()))
    if webhook := _secret(settings.alert_webhook_url):
        if problem := _url_problem(webhook):
            problems.append(("JOBINTEL_ALERT_WEBHOOK_URL", problem))
        channels.append(WebhookChannelConfig(url=webhook.strip()))
    smtp = _smtp_channel(settings, problems)
    if smtp is not None:
        channels.append(smtp)
    problems += _route_problems(settings.alert_routes)
    problems += _severity_problems(settings.alert_severities)
    if problems:
        raise ConfigError(problems)
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
        send_attempts=settings.alert_send_attempts,
        retry_backoff_s=settings.alert_retry_backoff_s,
    )


def _secret(value: SecretStr | None) -> str | None:
    """The secret's value; None when unset or blank (``JOBINTEL_ALERT_SLACK_URL=`` in a .env)."""
    text = value.get_secret_value() if value is not None else ""
    return text if text.strip() else None  # a password may start or end with a space


def _url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL, without repeating it (it holds a token)."""
    try:
        parts = urlsplit(url.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        ok = False
    if ok:
        return None
    return "is not an http(s) URL: paste the full webhook URL, e.g. https://hooks.slack.com/services/..."


def _smtp_channel(settings: Settings, problems: list[tuple[str, str]]) -> SmtpChannelConfig | None:
    """The email channel when ``JOBINTEL_ALERT_SMTP_HOST`` is set; problems appended."""
    if not settings.alert_smtp_host:
        if settings.alert_email_to or settings.alert_email_from:
            problems.append(
                (
                    "JOBINTEL_ALERT_SMTP_HOST",
                    "alert email has recipients or a sender but no SMTP server: set "
                    "JOBINTEL_ALERT_SMTP_HOST (and _PORT, _USERNAME, _PASSWORD), or unset "
                    "JOBINTEL_ALERT_EMAIL_TO",
                )
            )
        return None
    before = len(problems)
    if not settings.alert_email_from or "@" not in settings.alert_email_from:
        problems.append(
            ("JOBINTEL_ALERT_EMAIL_FROM", "set the sender address, e.g. jobintel@example.com")
        )
    if not settings.alert_email_to:
        problems.append(
            ("JOBINTEL_ALERT_EMAIL_TO", 'set the recipients as JSON, e.g. ["ops@example.com"]')
        )
    elif bad := [r for r in settings.alert_email_to if "@" not in r]:
        problems.append(
            (
                "JOBINTEL_ALERT_EMAIL_TO",
                f"{', '.join(map(repr, bad))} is not an email address: list addresses, "
                'e.g. ["ops@example.com"]',
            )
        )
    password = _secret(settings.alert_smtp_password)
    if settings.alert_smtp_username and password is None:
        problems.append(
            (
                "JOBINTEL_ALERT_SMTP_PASSWORD",
                "JOBINTEL_ALERT_SMTP_USERNAME is set but the password is not: set both or neither",
            )
        )
    if password is not None and not settings.alert_smtp_username:
        problems.append(
            (
                "JOBINTEL_ALERT_SMTP_USERNAME",
                "JOBINTEL_ALERT_SMTP_PASSWORD is set but the user is not: set both or neither",
            )
        )
    if len(problems) > before:
        return None
    return SmtpChannelConfig(
        host=settings.alert_smtp_host,
        port=settings.alert_smtp_port,
        sender=str(settings.alert_email_from),
        recipients=tuple(settings.alert_email_to),
        username=settings.alert_smtp_username,
        password=password,
        starttls=settings.alert_smtp_starttls,
    )


def _route_problems(routes: dict[str, list[str]]) -> list[tuple[str, str]]:
    problems = []
    for severity, names in routes.items():
        if severity not in SEVERITIES:
            problems.append(
                (
                    "JOBINTEL_ALERT_ROUTES",
                    f"unknown severity {severity!r}: use {', '.join(SEVERITIES)}, e.g. "
                    '{"critical": ["*"], "warning": ["slack"]}',
                )
            )
        unknown = [n for n in names if n not in (*CHANNEL_NAMES, ALL_CHANNELS)]
        if unknown:
            problems.append(
                (
                    "JOBINTEL_ALERT_ROUTES",
                    f"unknown channel {', '.join(map(repr, unknown))} for {severity!r}: use "
                    f'{", ".join(CHANNEL_NAMES)} or "*" (every configured channel)',
                )
            )
    return problems


def _severity_problems(severities: Mapping[str, str]) -> list[tuple[str, str]]:
    # rules.py imports this module (for Severity): import it when first needed.
    from jobintel.observability.alerts.rules import DEFAULT_SEVERITY

    unknown = [rule for rule in severities if rule not in DEFAULT_SEVERITY]
    if not unknown:
        return []
    return [
        (
            "JOBINTEL_ALERT_SEVERITIES",
            f"unknown rule {', '.join(map(repr, unknown))}: use one of "
            f'{", ".join(DEFAULT_SEVERITY)}, e.g. {{"breaker_open": "warning"}}',
        )
    ]
