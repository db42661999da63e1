"""Structured logs: JSON lines carrying the run, job and stage ids, and secrets that never
reach a log line, an error, the store, the API or the alert history."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from jobintel import context
from jobintel.cli import app
from jobintel.logs import ConsoleFormatter, ContextFilter, JsonFormatter, Redactor, secret_values
from jobintel.pipeline import PIPELINE
from jobintel.settings import Settings, load_settings
from jobintel.simulator import SimulatorHandle
from tests.conftest import EXAMPLES
from tests.loopback import free_port, serve_http
from tests.observability.alerts.receivers import smtp_server, webhook_receiver
from tests.service.api.conftest import CV, POSTINGS, running_api, service_settings

POSTING = EXAMPLES / "postings" / "helio-data-engineer.txt"
MARK = "MARKER"


@pytest.fixture(autouse=True)
def _restore_logging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each CLI run calls ``configure_logging``: put the ``jobintel`` logger back afterwards."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    logger = logging.getLogger("jobintel")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def _record(message: str, *args: object, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("jobintel.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_lines_carry_the_bound_ids_and_explicit_ids_win() -> None:
    """Inside ``context.bind`` every record gets run_id, job_id and stage; ``extra=`` ids win."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("jobintel.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with context.bind(run_id="r1", job_id=7), context.bind(stage="fit"):
            logger.debug("scored %d", 86)
            logger.info("override", extra={"stage": "cv"})
            try:
                raise ValueError("bad output")
            except ValueError:
                logger.exception("failed")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["level"], x["event"], x.get("stage")) for x in lines] == [
        ("debug", "scored 86", "fit"),
        ("info", "override", "cv"),
        ("error", "failed", "fit"),
        ("warning", "outside", None),
    ]
    assert {(x["run_id"], x["job_id"]) for x in lines[:3]} == {("r1", 7)}
    assert "run_id" not in lines[3] and "job_id" not in lines[3]
    assert "ValueError: bad output" in lines[2]["exc"]
    assert lines[0]["time"].endswith("+00:00") and lines[0]["logger"] == "jobintel.test.json"


def test_redactor_masks_every_secret_setting_in_both_formats() -> None:
    """API keys, webhook URLs (whole or just their token path), the SMTP password, OTLP
    headers and the database password are masked in console and JSON lines, tracebacks too."""
    settings = load_settings(
        data_dir=Path("unused"),
        openai_api_key=f"oa-{MARK}-1",
        alert_slack_url=f"https://hooks.slack.com/services/T0/B0/{MARK}-2",
        alert_smtp_password=f"pw-{MARK}-3",
        otlp_headers={"Authorization": f"Bearer {MARK}-4"},
        database_url=f"postgresql+psycopg://app:db-{MARK}-5@db.internal/jobintel",
    )
    redact = Redactor(secret_values(settings))
    text = (
        f"key oa-{MARK}-1, posting to https://hooks.slack.com/services/T0/B0/{MARK}-2, "
        f"path /services/T0/B0/{MARK}-2, login pw-{MARK}-3, header Bearer {MARK}-4, "
        f"db db-{MARK}-5"
    )
    try:
        raise RuntimeError(text)
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = _record("%s", text)
    record.exc_info = exc_info
    console = ConsoleFormatter(redact).format(record)
    line = JsonFormatter(redact).format(record)
    assert MARK not in console and MARK not in line
    assert "https://hooks.slack.com/services/T0/B0/" not in console  # masked as a whole URL
    assert json.loads(line)["event"].startswith("key ***, posting to ***, path /services/T0/B0/***")


def test_the_redactor_masks_url_tokens_but_not_plain_words() -> None:
    """Only a webhook URL's token-like parts are secrets: its path words and host still read
    normally elsewhere in a log line."""
    settings = load_settings(
        data_dir=Path("unused"),
        alert_webhook_url="https://ops.example/webhook/alerts?token=s3cr3t-tok3n",
        alert_slack_url="https://hooks.slack.com/services/T0123/B0456/abcdEFGH1234ijklMNOP",
    )
    redact = Redactor(secret_values(settings))
    text = "POST /webhook/alerts failed; see /var/log/webhook; token s3cr3t-tok3n; abcdEFGH1234ijklMNOP"
    assert redact(text) == "POST /webhook/alerts failed; see /var/log/webhook; token ***; ***"


def test_a_real_run_writes_json_lines_with_run_job_and_stage(
    tmp_path: Path, simulator: SimulatorHandle
) -> None:
    """`jobintel run` with JOBINTEL_LOG_FORMAT=json at DEBUG writes only JSON lines on stderr;
    the degraded stages' lines carry this run's id, the job id and their stage."""
    simulator.configure(error_5xx_rate=1.0, fault_retry_after_s=0)
    env = {
        "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
        "JOBINTEL_OUT_DIR": str(tmp_path / "out"),
        "JOBINTEL_STRATEGY": "llm",
        "JOBINTEL_MODEL": "openai:gpt-4o-mini",
        "JOBINTEL_OPENAI_BASE_URL": simulator.openai_base_url,
        "JOBINTEL_OPENAI_API_KEY": "sim-key",
        "JOBINTEL_RESEARCH": "off",
        "JOBINTEL_RETRY_BACKOFF_S": "0.01",
        "JOBINTEL_RETRY_MAX_BACKOFF_S": "0.02",
        "JOBINTEL_LOG_FORMAT": "json",
        "JOBINTEL_LOG_LEVEL": "DEBUG",
    }
    result = CliRunner().invoke(
        app, ["run", str(POSTING), "--cv", str(EXAMPLES / "master-cv.md"), "-q"], env=env
    )
    assert result.exit_code == 0, result.output + result.stderr
    run_id = result.output.split("run ", 1)[1].split(":", 1)[0].strip()
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    degraded = [x for x in lines if x["event"].startswith("stage degraded")]
    assert degraded, result.stderr
    assert {(x["run_id"], x["job_id"]) for x in degraded} == {(run_id, 1)}
    assert {x["stage"] for x in degraded} <= set(PIPELINE.names)
    assert len({x["stage"] for x in degraded}) >= 5
    assert {x["level"] for x in degraded} == {"warning"}
    breaker = [x for x in lines if x["logger"] == "jobintel.guard"]
    assert breaker and all(x["run_id"] == run_id for x in breaker)


# --- secrets never logged ----------------------------------------------------------------


@dataclass
class EchoProvider:
    """A provider answering 500 to the OpenAI key and 401 to every other key, quoting the
    credentials it got (as some servers do): a client passing error text on would leak them."""

    url: str = ""
    requests: int = 0
    seen: list[str] = field(default_factory=list)


@contextmanager
def echo_provider() -> Iterator[EchoProvider]:
    provider = EchoProvider()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Authorization", "") + self.headers.get("x-api-key", "")
            with lock:
                provider.requests += 1
                provider.seen.append(key)
                status = 500 if "openai" in key else 401
            message = f"Incorrect API key provided: {key}; headers {dict(self.headers)}"
            body = json.dumps(
                {"type": "error", "error": {"type": "error", "message": message}}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    with serve_http(Handler) as provider.url:
        yield provider


def _secrets(provider: str, slack: str, smtp_port: int) -> dict[str, Any]:
    """Every secret setting set to a value containing MARKER, every provider on ``provider``."""
    closed = free_port()
    return {
        "strategy": "llm",
        "model": "openai:gpt-4o-mini",
        "stage_models": {"pain_points": "anthropic:claude-haiku-4-5", "company": "compatible:m"},
        "prices": {"compatible:*": {}},
        "openai_base_url": f"{provider}/v1",
        "anthropic_base_url": provider,
        "compatible_base_url": f"{provider}/v1",
        "openai_api_key": f"sk-openai-{MARK}-0001",
        "anthropic_api_key": f"anthropic-{MARK}-0002",
        "openrouter_api_key": f"openrouter-{MARK}-0003",
        "compatible_api_key": f"compatible-{MARK}-0004",
        "research": "firecrawl",
        "firecrawl_base_url": provider,
        "firecrawl_api_key": f"fc-{MARK}-0005",
        "retry_backoff_s": 0.01,
        "retry_max_backoff_s": 0.02,
        "alert_slack_url": slack,
        "alert_webhook_url": f"http://127.0.0.1:{closed}/hook?token=webhook-{MARK}-0007",
        "alert_smtp_host": "127.0.0.1",
        "alert_smtp_port": smtp_port,
        "alert_smtp_username": "alerts",
        "alert_smtp_password": f"smtp-{MARK}-0008",
        "alert_smtp_starttls": False,
        "alert_email_from": "jobintel@example.test",
        "alert_email_to": ["ops@example.test"],
        "alert_routes": {"critical": ["*"], "warning": ["*"]},
        "alert_retry_backoff_s": 0.01,
        "tracing_enabled": True,
        "otlp_endpoint": f"http://127.0.0.1:{closed}",
        "otlp_headers": {"Authorization": f"Bearer otlp-{MARK}-0009"},
        "otlp_timeout_s": 0.5,
        "log_level": "DEBUG",
        "log_format": "json",
    }


def _env(values: dict[str, Any]) -> dict[str, str]:
    return {
        f"JOBINTEL_{k.upper()}": v if isinstance(v, str) else json.dumps(v)
        for k, v in values.items()
    }


@contextmanager
def _every_log_record(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG (the test's own SMTP server's excepted), also
    after a command's ``configure_logging`` replaced the ``jobintel`` logger's handlers."""
    import jobintel.cli.common as common

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if not record.name.startswith("mail."):
                records.append(record)

    keep = Keep(logging.DEBUG)
    real = common.configure_logging

    def configure_and_keep(settings: Settings) -> None:
        real(settings)
        logging.getLogger("jobintel").addHandler(keep)

    monkeypatch.setattr(common, "configure_logging", configure_and_keep)
    root = logging.getLogger()
    saved = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(keep)
        logging.getLogger("jobintel").removeHandler(keep)
        root.setLevel(saved)


def _log_text(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter()
    parts = []
    for record in records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


def _database_text(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def _files_text(root: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*") if p.is_file()
    )


def test_secrets_never_reach_logs_store_outputs_or_alert_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DEBUG run with every secret set, through 500 and 401 answers that quote the key,
    breaker and failure-rate alerts to a Slack URL answering 403, a closed webhook port and an
    SMTP server refusing the password, with tracing exporting to a closed port: no secret in
    stdout, stderr, any log record, the database (events, ledger, alerts) or the dossiers."""
    with (
        echo_provider() as provider,
        webhook_receiver(statuses=[403] * 50) as slack,
        smtp_server(username="alerts", password="the-right-one") as inbox,
    ):
        slack_url = slack.url.replace("SECRET-TOKEN", f"slack-{MARK}-0006")
        values = _secrets(provider.url, slack_url, inbox.port)
        env = {
            **_env(values),
            "JOBINTEL_DATA_DIR": str(tmp_path / "data"),
            "JOBINTEL_OUT_DIR": str(tmp_path / "out"),
        }
        with _every_log_record(monkeypatch) as records:
            result = CliRunner().invoke(
                app, ["run", str(POSTING), "--cv", str(EXAMPLES / "master-cv.md"), "-q"], env=env
            )
            alerts = CliRunner().invoke(app, ["alerts"], env={**env, "COLUMNS": "300"})
            check = CliRunner().invoke(app, ["config", "check"], env={**env, "COLUMNS": "300"})
    assert result.exit_code == 0, result.output + result.stderr
    # The failure paths were really taken.
    assert any(MARK in seen for seen in provider.seen)  # the keys were sent...
    assert "HTTP 401" in result.stderr and "HTTP 500" in result.stderr
    assert len(slack.bodies) >= 1 and inbox.messages == []
    assert "breaker_open" in alerts.output and "failed" in alerts.output
    assert check.exit_code == 0, check.output + check.stderr
    # ...and came back nowhere.
    assert MARK not in result.output + result.stderr
    assert MARK not in alerts.output + alerts.stderr + check.output + check.stderr
    names = {r.name for r in records}
    assert {"jobintel.pipeline.runner", "jobintel.alerts", "httpx"} <= names  # really captured
    assert MARK not in _log_text(records)
    assert MARK not in _database_text(tmp_path / "data" / "jobintel.db")
    assert MARK not in _files_text(tmp_path / "out")


def test_secrets_never_appear_in_configuration_errors(tmp_path: Path) -> None:
    """Invalid secret-bearing settings stop the command with exit 2, naming the variable
    without echoing its value."""
    base = {"JOBINTEL_DATA_DIR": str(tmp_path / "data"), "JOBINTEL_OUT_DIR": str(tmp_path)}
    cases = {
        "JOBINTEL_ALERT_SLACK_URL": f"hooks.slack.com/services/{MARK}",
        "JOBINTEL_ALERT_WEBHOOK_URL": f"ftp://{MARK}@ops.example/hook",
        "JOBINTEL_OTLP_HEADERS": f"not json {MARK}",
        "JOBINTEL_DATABASE_URL": f"mysql://app:{MARK}@db/jobintel",
    }
    for name, value in cases.items():
        for command in (["config", "check"], ["run", str(POSTING), "--cv", str(CV)]):
            result: Result = CliRunner().invoke(app, command, env={**base, name: value})
            shown = result.output + result.stderr
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                shown += "".join(traceback.format_exception(result.exception))
            # A configuration error: exit 2 naming the variable, never a traceback.
            assert result.exit_code == 2, (name, command, shown)
            assert name.removeprefix("JOBINTEL_").lower() in shown.lower(), (name, shown)
            assert MARK not in shown, (name, command)


async def test_secrets_never_appear_in_api_responses_or_pages(tmp_path: Path) -> None:
    """A served run through the same failure paths: no secret in any API answer or page that
    shows runs, costs, health, alerts or metrics."""
    with (
        echo_provider() as provider,
        webhook_receiver(statuses=[403] * 50) as slack,
        smtp_server(username="alerts", password="the-right-one") as inbox,
    ):
        values = _secrets(
            provider.url, slack.url.replace("SECRET-TOKEN", f"slack-{MARK}-0006"), inbox.port
        )
        values.pop("log_format")
        values.pop("log_level")
        values["alert_routes"] = {"critical": ["slack", "email"], "warning": ["slack"]}
        settings = service_settings(tmp_path, **values)
        async with running_api(settings) as api:
            candidate = await api.upload_cv(CV)
            postings = await api.add_postings(POSTINGS / "helio-data-engineer.txt")
            run_id = await api.submit(postings[:1], candidate)
            answers = [json.dumps(await api.finish(run_id))]
            api.app.state.telemetry.alerts.flush()
            for path in (
                f"/api/runs/{run_id}/events",
                "/api/runs",
                "/api/costs",
                "/api/budgets",
                "/api/health",
                "/api/alerts",
                "/api/guard-events",
                "/metrics",
            ):
                answer = await api.client.get(path, headers=api.auth("read"))
                answers.append(answer.text)
            html = {**api.auth("read"), "Accept": "text/html"}
            for path in ("/", f"/runs/{run_id}", "/costs", "/health", "/alerts"):
                answers.append((await api.client.get(path, headers=html)).text)
            alert_rows = (await api.client.get("/api/alerts", headers=api.auth("read"))).json()
    assert any(a["rule"] == "breaker_open" for a in alert_rows["alerts"])
    assert MARK not in "\n".join(answers)
    assert MARK not in _database_text(tmp_path / "data" / "jobintel.db")
