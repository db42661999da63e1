"""Where alerts go: a Slack-compatible webhook, a generic JSON webhook, email over SMTP.

Channels are synchronous (the engine calls them on its own thread) and raise on failure;
the engine retries and records. Nothing here ever puts a URL or password in a message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Literal, Protocol

import httpx

from jobintel.observability.alerts.config import (
    ChannelConfig,
    SlackChannelConfig,
    SmtpChannelConfig,
    WebhookChannelConfig,
    mask_url,
)

NotificationKind = Literal["firing", "repeat", "resolved"]


@dataclass(frozen=True, kw_only=True)
class Notification:
    """One message about one alert, as every channel receives it."""

    kind: NotificationKind
    fingerprint: str
    rule: str
    subject: str
    severity: str
    message: str
    first_at: datetime
    sent_at: datetime
    resolved_at: datetime | None = None

    @property
    def status(self) -> str:
        return "resolved" if self.kind == "resolved" else "firing"

    def headline(self) -> str:
        return f"[{self.status.upper()}] {self.severity} {self.rule} {self.subject}"

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "notification": self.kind,
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "subject": self.subject,
            "severity": self.severity,
            "message": self.message,
            "first_at": self.first_at.isoformat(),
            "sent_at": self.sent_at.isoformat(),
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
        }


class ChannelError(Exception):
    """A delivery failed; ``str()`` is safe to log (no URL, no password).

    ``permanent`` failures (a refused login, a 4xx answer other than 408/429) are not
    retried: the same request would fail the same way.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


#: SMTP refusals that retrying cannot fix (credentials, STARTTLS support, addresses).
_SMTP_PERMANENT = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
)


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> None: ...


class _MaskSecretUrls(logging.Filter):
    """httpx logs every request's full URL at INFO: mask the webhook URLs it would reveal."""

    def __init__(self) -> None:
        super().__init__()
        # Replaced, never mutated: a request logging on another thread iterates a snapshot.
        self.urls: frozenset[str] = frozenset()

    def add(self, url: str) -> None:
        self.urls = self.urls | {url}

    def filter(self, record: logging.LogRecord) -> bool:
        urls = self.urls
        if urls:
            text = record.getMessage()
            masked = text
            for url in urls:
                masked = masked.replace(url, mask_url(url))
            if masked != text:
                record.msg, record.args = masked, ()
        return True


_MASK = _MaskSecretUrls()
logging.getLogger("httpx").addFilter(_MASK)


class _HttpChannel:
    def __init__(self, name: str, url: str, client: httpx.Client) -> None:
        self.name = name
        self._url = url
        self._client = client
        _MASK.add(url)

    def _post(self, body: dict[str, Any]) -> None:
        try:
            response = self._client.post(self._url, json=body)
        except httpx.HTTPError as exc:
            # str(exc) can name the URL: keep the class and the masked address only.
            raise ChannelError(f"{type(exc).__name__} posting to {mask_url(self._url)}") from None
        status = response.status_code
        if status >= 300:
            raise ChannelError(
                f"{mask_url(self._url)} answered HTTP {status}",
                permanent=400 <= status < 500 and status not in (408, 429),
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {mask_url(self._url)})"


class SlackWebhook(_HttpChannel):
    def send(self, notification: Notification) -> None:
        self._post({"text": f"{notification.headline()}: {notification.message}"})


class JsonWebhook(_HttpChannel):
    def send(self, notification: Notification) -> None:
        self._post(notification.as_json())


class SmtpEmail:
    def __init__(self, config: SmtpChannelConfig) -> None:
        self.name = config.name
        self._config = config

    def send(self, notification: Notification) -> None:
        cfg = self._config
        mail = EmailMessage()
        mail["Subject"] = f"[jobintel] {notification.headline()}"
        mail["From"] = cfg.sender
        mail["To"] = ", ".join(cfg.recipients)
        mail.set_content(
            f"{notification.message}\n\nrule: {notification.rule}\nsubject: "
            f"{notification.subject}\nseverity: {notification.severity}\nfirst seen: "
            f"{notification.first_at.isoformat()}\n"
        )
        try:
            with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s) as smtp:
                if cfg.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            code = getattr(exc, "smtp_code", None)
            detail = f" (SMTP {code})" if code else ""
            # Server replies may echo what was sent; never include them or the password.
            raise ChannelError(
                f"{type(exc).__name__}{detail} sending to {cfg.host}:{cfg.port}",
                permanent=isinstance(exc, _SMTP_PERMANENT),
            ) from None


def build_channels(configs: tuple[ChannelConfig, ...], client: httpx.Client) -> list[Channel]:
    channels: list[Channel] = []
    for config in configs:
        if isinstance(config, SlackChannelConfig):
            channels.append(SlackWebhook(config.name, config.url, client))
        elif isinstance(config, WebhookChannelConfig):
            channels.append(JsonWebhook(config.name, config.url, client))
        else:
            channels.append(SmtpEmail(config))
    return channels
