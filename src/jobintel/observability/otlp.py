"""Where traces go: an OTLP/HTTP span exporter built from the ``JOBINTEL_OTLP_*`` settings.

Any OTLP/HTTP receiver works (an OpenTelemetry Collector, Jaeger, Grafana Tempo...), and
so do Langfuse and LangSmith, which both ingest OTLP directly. ``langfuse_settings`` and
``langsmith_settings`` build the documented endpoint and headers for those two, and
``environment`` renders any of them as the ``JOBINTEL_*`` lines to put in a ``.env`` file.

Header values hold keys: they are kept as ``SecretStr`` until the exporter is built and
never appear in a log line or an error message. The exporter package is imported only when
an endpoint is configured, so tracing costs nothing when it is off.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from jobintel.errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from jobintel.settings import Settings

#: The OTLP/HTTP path for traces, appended to a base endpoint (the OTLP spec's rule).
TRACES_PATH = "/v1/traces"

#: Langfuse Cloud (EU region; US is https://us.cloud.langfuse.com).
LANGFUSE_CLOUD = "https://cloud.langfuse.com"
#: Langfuse's OTLP ingestion endpoint, under the Langfuse host.
LANGFUSE_OTEL_PATH = "/api/public/otel"
#: Langfuse asks direct OpenTelemetry exporters to send this header (its v4 ingestion).
LANGFUSE_INGESTION_VERSION = "4"

#: LangSmith's API (EU: https://eu.api.smith.langchain.com; self-hosted: <host>/api/v1).
LANGSMITH_API = "https://api.smith.langchain.com"
#: LangSmith's OTLP ingestion endpoint, under the API URL.
LANGSMITH_OTEL_PATH = "/otel"

# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII, no surrounding blanks: anything else would make the HTTP client raise an
# error that quotes the value (the key) into the exporter's log line.
_HEADER_VALUE = re.compile(r"[!-~]([ -~]*[!-~])?")


def otlp_exporter(settings: Settings) -> SpanExporter | None:
    """The span exporter for ``JOBINTEL_OTLP_ENDPOINT``, or None when no endpoint is set.

    Raises ``ConfigError`` naming the setting when the endpoint or a header is unusable.
    The exporter itself never raises into the caller: a failed export (receiver down,
    HTTP 500) is logged by OpenTelemetry's exporter, without the header values.
    """
    if not settings.otlp_endpoint:
        return None
    endpoint = traces_endpoint(settings.otlp_endpoint)
    headers = _header_values(settings.otlp_headers)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint, headers=headers, timeout=settings.otlp_timeout_s)


def otlp_problems(settings: Settings) -> list[tuple[str, str]]:
    """What is wrong with the OTLP settings (nothing when tracing is off), without
    importing the exporter."""
    if not settings.tracing_enabled or not settings.otlp_endpoint:
        return []
    problems: list[tuple[str, str]] = []
    for check in (
        lambda: traces_endpoint(str(settings.otlp_endpoint)),
        lambda: _header_values(settings.otlp_headers),
    ):
        try:
            check()
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def traces_endpoint(endpoint: str) -> str:
    """The full traces URL for ``endpoint``: a base URL gets ``/v1/traces`` appended, a URL
    already ending in ``/v1/traces`` is used as it is."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Quote only the scheme: a URL can carry credentials (user:password@, ?key=).
        got = f"a {parts.scheme}: URL" if parts.scheme else "no http(s):// scheme"
        raise ConfigError(
            [
                (
                    "JOBINTEL_OTLP_ENDPOINT",
                    f"must be an http:// or https:// URL of an OTLP/HTTP receiver (got {got}): "
                    "set it to e.g. http://127.0.0.1:4318 or "
                    "https://cloud.langfuse.com/api/public/otel, or unset it to export no traces",
                )
            ]
        )
    path = parts.path.rstrip("/")
    if not path.endswith(TRACES_PATH):
        path += TRACES_PATH
    return urlunsplit(parts._replace(path=path))


def _header_values(headers: Mapping[str, SecretStr]) -> dict[str, str]:
    """The headers with their secrets revealed, after checking that each can be sent."""
    problems: list[tuple[str, str]] = []
    values: dict[str, str] = {}
    for name, secret in headers.items():
        value = secret.get_secret_value()
        if not _HEADER_NAME.fullmatch(name):
            problems.append(
                (
                    "JOBINTEL_OTLP_HEADERS",
                    f"header name {name!r} is not a valid HTTP header name: use letters, "
                    "digits and '-', e.g. Authorization or x-api-key",
                )
            )
        elif not _HEADER_VALUE.fullmatch(value):
            # Name the header, never its value.
            problems.append(
                (
                    "JOBINTEL_OTLP_HEADERS",
                    f"the value of header {name!r} is empty or has spaces around it, line "
                    "breaks or non-ASCII characters: paste the key again as printed by the "
                    "provider",
                )
            )
        else:
            values[name] = value
    if problems:
        raise ConfigError(problems)
    return values


def langfuse_settings(
    public_key: str, secret_key: str, *, host: str = LANGFUSE_CLOUD
) -> dict[str, object]:
    """Settings that send traces to Langfuse (Cloud by default, or a self-hosted ``host``).

    Langfuse authenticates OTLP with HTTP Basic auth: the project's public key as user
    name and its secret key as password. Pass the result to ``load_settings(**...)`` or
    render it with ``environment``.
    """
    token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode("ascii")
    return {
        "tracing_enabled": True,
        "otlp_endpoint": host.rstrip("/") + LANGFUSE_OTEL_PATH,
        "otlp_headers": {
            "Authorization": SecretStr(f"Basic {token}"),
            "x-langfuse-ingestion-version": SecretStr(LANGFUSE_INGESTION_VERSION),
        },
    }


def langsmith_settings(
    api_key: str, project: str | None = None, *, api_url: str = LANGSMITH_API
) -> dict[str, object]:
    """Settings that send traces to LangSmith, into ``project`` (LangSmith's "default" when
    None); ``api_url`` is the EU or a self-hosted API URL."""
    headers = {"x-api-key": SecretStr(api_key)}
    if project:
        headers["Langsmith-Project"] = SecretStr(project)
    return {
        "tracing_enabled": True,
        "otlp_endpoint": api_url.rstrip("/") + LANGSMITH_OTEL_PATH,
        "otlp_headers": headers,
    }


def environment(values: Mapping[str, object]) -> dict[str, str]:
    """``values`` (setting name to value) as ``JOBINTEL_*`` environment variables; the
    headers become one JSON object, as ``JOBINTEL_OTLP_HEADERS`` is read.

    The result holds the keys in clear text: write it to a private ``.env`` file, not a log.
    """
    env: dict[str, str] = {}
    for name, value in values.items():
        key = f"JOBINTEL_{name.upper()}"
        if isinstance(value, Mapping):
            env[key] = json.dumps({k: _reveal(v) for k, v in value.items()})
        elif isinstance(value, bool):
            env[key] = "true" if value else "false"
        else:
            env[key] = _reveal(value)
    return env


def _reveal(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)
