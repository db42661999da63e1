"""In-process alerting: rules over guard and progress events, routed to Slack, webhooks, email."""

from jobintel.observability.alerts.channels import (
    Channel,
    ChannelError,
    JsonWebhook,
    Notification,
    SlackWebhook,
    SmtpEmail,
)
from jobintel.observability.alerts.config import (
    AlertConfig,
    SlackChannelConfig,
    SmtpChannelConfig,
    WebhookChannelConfig,
    mask_url,
)
from jobintel.observability.alerts.engine import AlertEngine
from jobintel.observability.alerts.store import AlertHistory, StoredAlert

__all__ = [
    "AlertConfig",
    "AlertEngine",
    "AlertHistory",
    "Channel",
    "ChannelError",
    "JsonWebhook",
    "Notification",
    "SlackChannelConfig",
    "SlackWebhook",
    "SmtpChannelConfig",
    "SmtpEmail",
    "StoredAlert",
    "WebhookChannelConfig",
    "mask_url",
]
