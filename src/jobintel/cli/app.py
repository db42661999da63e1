"""Root of the command line: global options and the command groups."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from jobintel import __version__
from jobintel.cli import (
    alerts_cmd,
    budgets_cmd,
    config_cmd,
    costs_cmd,
    run_cmd,
    runs_cmd,
    serve_cmd,
    simulate_cmd,
    tokens_cmd,
    users_cmd,
)

app = typer.Typer(
    name="jobintel",
    help="Self-hosted job-application pipeline: dossiers, fit evidence, tailored CVs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jobintel {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML settings file (same as JOBINTEL_CONFIG)"),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version")
    ] = False,
) -> None:
    if config is not None:
        os.environ["JOBINTEL_CONFIG"] = str(config)


run_cmd.register(app)
runs_cmd.register(app)
budgets_cmd.register(app)
costs_cmd.register(app)
alerts_cmd.register(app)
app.add_typer(config_cmd.app, name="config")
simulate_cmd.register(app)
serve_cmd.register(app)
app.add_typer(tokens_cmd.app, name="tokens")
app.add_typer(users_cmd.app, name="users")


def main() -> None:
    app()
