"""Logging set-up: console or JSON lines on stderr, with run/job/stage ids when present.

Every line also goes through a ``Redactor`` holding the secret values of the settings (API
keys, webhook URLs, SMTP password, OTLP headers, the database password), so a secret that
reaches a log message by accident (an error echoing a URL, a provider quoting a key) is
printed as ``***``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from jobintel import context
from jobintel.settings import Settings

_CONTEXT_KEYS = ("run_id", "job_id", "stage", "trace_id", "span_id")
#: Shorter values are not redacted: replacing "a" or "1234" everywhere would garble logs.
_MIN_SECRET_CHARS = 6
MASK = "***"


class ContextFilter(logging.Filter):
    """Adds the bound run/job/stage ids and the current trace/span ids to each record
    (ids passed explicitly with ``extra=`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context.current().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class Redactor:
    """Replaces every known secret value in a text with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a URL is masked whole before its token part is.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_CHARS}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._secrets)


def secret_values(settings: Settings) -> list[str]:
    """The secret values in ``settings``: every ``SecretStr`` (also inside dicts), the token
    part of secret URLs, and the database password."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        values = value.values() if isinstance(value, dict) else [value]
        for item in values:
            if isinstance(item, SecretStr) and item.get_secret_value():
                secret = item.get_secret_value().strip()
                found.append(secret)
                found.extend(_url_secret_parts(secret))
    try:
        password = make_url(settings.effective_database_url).password
    except Exception:
        password = None
    if password:
        found.append(str(password))
    return found


def _url_secret_parts(value: str) -> list[str]:
    """The token-like parts of a secret URL: path segments that look like keys (``/services/
    T0/B0/<token>``), query values (``?token=...``) and a password, but not plain words like
    ``/webhook``, which masked everywhere would garble unrelated lines."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return []
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return []
    found = [segment for segment in parts.path.split("/") if _token_like(segment)]
    found += [v for _, v in parse_qsl(parts.query) if len(v) >= _MIN_SECRET_CHARS]
    if parts.password:
        found.append(parts.password)
    return found


def _token_like(segment: str) -> bool:
    """Long, or mixing letters and digits: how keys and webhook tokens look."""
    if len(segment) >= 16:
        return True
    has_digit = any(c.isdigit() for c in segment)
    has_alpha = any(c.isalpha() for c in segment)
    return len(segment) >= 8 and has_digit and has_alpha


Redact = Callable[[str], str]


def _keep(text: str) -> str:
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, event, ids, exc."""

    def __init__(self, redact: Redact | None = None) -> None:
        super().__init__()
        self._redact = redact or _keep

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self._redact(record.getMessage()),
        }
        for key in _CONTEXT_KEYS:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = self._redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class ConsoleFormatter(logging.Formatter):
    def __init__(self, redact: Redact | None = None) -> None:
        super().__init__()
        self._redact = redact or _keep

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in _CONTEXT_KEYS if hasattr(record, key)
        )
        base = f"{record.levelname.lower():7} {record.name}: {record.getMessage()}"
        text = f"{base} [{context}]" if context else base
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return self._redact(text)


def configure_logging(settings: Settings) -> None:
    """Route jobintel's logs to stderr in the configured format and level, secrets masked."""
    redact = Redactor(secret_values(settings))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(redact) if settings.log_format == "json" else ConsoleFormatter(redact)
    )
    handler.addFilter(ContextFilter())
    root = logging.getLogger("jobintel")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    root.propagate = False
