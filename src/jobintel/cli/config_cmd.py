"""``jobintel config check``: the effective configuration, secrets masked, problems named."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import EXIT_USAGE, console, err_console, first_line, settings_or_exit
from jobintel.observability.alerts.config import (
    SEVERITIES,
    AlertConfig,
    SmtpChannelConfig,
    alert_config,
    mask_url,
)
from jobintel.observability.telemetry import settings_problems
from jobintel.providers.registry import check_routes, stage_route
from jobintel.settings import LLM_STAGES, Settings, check_writable_dir, redact_url_secrets
from jobintel.store import create_db_engine, schema_is_current, upgrade_to_head

app = typer.Typer(help="Inspect and check configuration.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Print the effective configuration and check that it works (exit 2 if not)."""
    settings = settings_or_exit()
    table = Table(title="effective configuration", title_justify="left")
    table.add_column("setting")
    table.add_column("environment variable")
    table.add_column("value", overflow="fold")
    for name, value in settings.masked().items():
        table.add_row(name, f"JOBINTEL_{name.upper()}", escape(value))
    console.print(table)
    routes = Table(title="stage strategies", title_justify="left")
    routes.add_column("stage")
    routes.add_column("strategy")
    for stage in LLM_STAGES:
        route = stage_route(settings, stage)
        routes.add_row(stage, f"llm {route}" if route else "deterministic")
    console.print(routes)

    problems: list[tuple[str, str]] = list(check_routes(settings))
    problems += _check_alerts(settings)
    if settings.database_url is None:
        problem = check_writable_dir(settings.data_dir)
        if problem:
            problems.append(("JOBINTEL_DATA_DIR", f"{problem}: choose a writable directory"))
    if all(name != "JOBINTEL_DATA_DIR" for name, _ in problems):
        try:
            engine = create_db_engine(settings.effective_database_url)
            upgrade_to_head(engine)
            if not schema_is_current(engine):
                problems.append(("JOBINTEL_DATABASE_URL", "schema is not at the newest migration"))
            engine.dispose()
        except Exception as exc:
            detail = redact_url_secrets(first_line(exc), settings.effective_database_url)
            problems.append(
                ("JOBINTEL_DATABASE_URL", f"cannot connect: {type(exc).__name__}: {detail}")
            )
    if problems:
        for name, message in problems:
            err_console.print(f"[red]error:[/red] {name}: {escape(message)}", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    console.print("[green]configuration OK[/green]: database reachable, schema current")


def _check_alerts(settings: Settings) -> list[tuple[str, str]]:
    """Print the alert channels (URLs masked, no password) and return alerting problems."""
    problems = settings_problems(settings)
    if any(name.startswith("JOBINTEL_ALERT_") for name, _ in problems):
        return problems
    console.print(_alert_channels(alert_config(settings)))
    return problems


def _alert_channels(config: AlertConfig) -> Table | str:
    if not config.channels:
        return (
            "alert channels: none (alerts are still recorded: `jobintel alerts`); set "
            "JOBINTEL_ALERT_SLACK_URL, JOBINTEL_ALERT_WEBHOOK_URL or JOBINTEL_ALERT_SMTP_HOST"
        )
    table = Table(title="alert channels", title_justify="left")
    table.add_column("channel")
    table.add_column("destination", overflow="fold")
    table.add_column("severities")
    for channel in config.channels:
        if isinstance(channel, SmtpChannelConfig):
            auth = f" as {channel.username}" if channel.username else ""
            tls = "STARTTLS" if channel.starttls else "no TLS"
            where = (
                f"smtp://{channel.host}:{channel.port} ({tls}{auth}) "
                f"{channel.sender} -> {', '.join(channel.recipients)}"
            )
        else:
            where = mask_url(channel.url)
        severities = [s for s in SEVERITIES if channel.name in config.channel_names(s)]
        table.add_row(channel.name, escape(where), ", ".join(severities) or "none routed")
    return table
