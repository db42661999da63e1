"""The documented Langfuse and LangSmith settings, exported to a loopback stand-in."""

from __future__ import annotations

import base64

import pytest

from jobintel.observability.otlp import (
    environment,
    langfuse_settings,
    langsmith_settings,
    otlp_exporter,
)
from tests.observability.otlp.conftest import SettingsFactory, write_spans
from tests.observability.otlp.receiver import OtlpReceiver

PUBLIC_KEY = "pk-lf-1234567890"
SECRET_KEY = "sk-lf-abcdef-secret"
LANGSMITH_KEY = "lsv2_pt_0123456789abcdef_secret"


def test_langfuse_cloud_endpoint_is_the_documented_one() -> None:
    """By default the Langfuse settings point at Langfuse Cloud's OTLP endpoint."""
    values = langfuse_settings(PUBLIC_KEY, SECRET_KEY)
    assert values["otlp_endpoint"] == "https://cloud.langfuse.com/api/public/otel"
    assert values["tracing_enabled"] is True


def test_langfuse_export_uses_its_path_and_basic_auth(
    receiver: OtlpReceiver, make_settings: SettingsFactory
) -> None:
    """Langfuse settings export to <host>/api/public/otel/v1/traces with Basic auth made of
    the public key (user) and secret key (password), plus its ingestion-version header."""
    settings = make_settings(**langfuse_settings(PUBLIC_KEY, SECRET_KEY, host=receiver.url + "/"))
    exporter = otlp_exporter(settings)
    assert exporter is not None
    write_spans(exporter)

    assert len(receiver.wait_for_spans(2)) == 2
    export = receiver.exports[0]
    assert export.path == "/api/public/otel/v1/traces"
    scheme, token = export.headers["authorization"].split(" ", 1)
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"{PUBLIC_KEY}:{SECRET_KEY}"
    assert export.headers["x-langfuse-ingestion-version"] == "4"


def test_langsmith_endpoint_is_the_documented_one() -> None:
    """By default the LangSmith settings point at LangSmith's OTLP endpoint."""
    values = langsmith_settings(LANGSMITH_KEY)
    assert values["otlp_endpoint"] == "https://api.smith.langchain.com/otel"
    assert values["tracing_enabled"] is True


def test_langsmith_export_uses_its_path_key_and_project(
    receiver: OtlpReceiver, make_settings: SettingsFactory
) -> None:
    """LangSmith settings export to <api>/otel/v1/traces with x-api-key and the project in
    Langsmith-Project."""
    settings = make_settings(
        **langsmith_settings(LANGSMITH_KEY, "jobintel-prod", api_url=receiver.url)
    )
    exporter = otlp_exporter(settings)
    assert exporter is not None
    write_spans(exporter)

    assert len(receiver.wait_for_spans(2)) == 2
    export = receiver.exports[0]
    assert export.path == "/otel/v1/traces"
    assert export.headers["x-api-key"] == LANGSMITH_KEY
    assert export.headers["langsmith-project"] == "jobintel-prod"


def test_langsmith_without_project_sends_no_project_header() -> None:
    """Without a project LangSmith files traces in its default project: no header is sent."""
    headers = langsmith_settings(LANGSMITH_KEY)["otlp_headers"]
    assert isinstance(headers, dict)
    assert set(headers) == {"x-api-key"}


@pytest.mark.parametrize(
    "values",
    [
        langfuse_settings(PUBLIC_KEY, SECRET_KEY),
        langsmith_settings(LANGSMITH_KEY, "jobintel-prod"),
    ],
    ids=["langfuse", "langsmith"],
)
def test_keys_are_hidden_in_the_settings_repr(values: dict[str, object]) -> None:
    """The built settings keep keys as secrets, so printing them shows no key."""
    for secret in (
        SECRET_KEY,
        LANGSMITH_KEY,
        base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode(),
    ):
        assert secret not in repr(values)
        assert secret not in str(values)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            langfuse_settings(PUBLIC_KEY, SECRET_KEY, host="https://langfuse.internal"),
            {
                "JOBINTEL_TRACING_ENABLED": "true",
                "JOBINTEL_OTLP_ENDPOINT": "https://langfuse.internal/api/public/otel",
                "JOBINTEL_OTLP_HEADERS": '{"Authorization": "Basic '
                + base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
                + '", "x-langfuse-ingestion-version": "4"}',
            },
        ),
        (
            langsmith_settings(LANGSMITH_KEY, "jobintel-prod"),
            {
                "JOBINTEL_TRACING_ENABLED": "true",
                "JOBINTEL_OTLP_ENDPOINT": "https://api.smith.langchain.com/otel",
                "JOBINTEL_OTLP_HEADERS": f'{{"x-api-key": "{LANGSMITH_KEY}", '
                '"Langsmith-Project": "jobintel-prod"}',
            },
        ),
    ],
    ids=["langfuse", "langsmith"],
)
def test_environment_lines_load_back_into_the_same_settings(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    values: dict[str, object],
    expected: dict[str, str],
) -> None:
    """The JOBINTEL_* lines (as the README documents them) load into the same endpoint
    and headers as the settings they were rendered from."""
    env = environment(values)
    assert env == expected
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from_env = make_settings()  # endpoint and headers come from the environment
    direct = make_settings(**values)
    assert from_env.tracing_enabled is True
    assert from_env.otlp_endpoint == direct.otlp_endpoint
    assert {k: v.get_secret_value() for k, v in from_env.otlp_headers.items()} == {
        k: v.get_secret_value() for k, v in direct.otlp_headers.items()
    }
