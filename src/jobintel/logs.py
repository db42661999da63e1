"""Logging set-up: console or JSON lines on stderr, with run/job/stage ids when present."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from jobintel import context
from jobintel.settings import Settings

_CONTEXT_KEYS = ("run_id", "job_id", "stage", "trace_id", "span_id")


class ContextFilter(logging.Filter):
    """Adds the bound run/job/stage ids and the current trace/span ids to each record
    (ids passed explicitly with ``extra=`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context.current().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in _CONTEXT_KEYS:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in _CONTEXT_KEYS if hasattr(record, key)
        )
        base = f"{record.levelname.lower():7} {record.name}: {record.getMessage()}"
        text = f"{base} [{context}]" if context else base
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(settings: Settings) -> None:
    """Route jobintel's logs to stderr in the configured format and level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else ConsoleFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger("jobintel")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    root.propagate = False
