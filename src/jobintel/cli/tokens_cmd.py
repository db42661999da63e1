"""``jobintel tokens``: API tokens for the runner service (shown once, stored hashed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import console, fail, open_store, settings_or_exit
from jobintel.service.auth import CredentialError, create_token, list_tokens, revoke_token

app = typer.Typer(
    help="API tokens for `jobintel serve`: create (shown once), list, revoke.",
    no_args_is_help=True,
)


class ScopeChoice(StrEnum):
    read = "read"
    run = "run"
    admin = "admin"


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name to recognise the token by, e.g. ci-runner")],
    scope: Annotated[
        ScopeChoice,
        typer.Option(
            "--scope", "-s", help="read < run (submit runs) < admin; each implies the ones before"
        ),
    ] = ScopeChoice.read,
) -> None:
    """Create a token and print it: the only time it is shown (only its hash is stored)."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        try:
            token = create_token(store.engine, name, [scope.value])
        except CredentialError as exc:
            raise fail(exc) from None
    console.print(
        f"token [bold]{escape(name)}[/bold] (scope {scope.value}) created. Copy it now: "
        "it is not shown again.",
        highlight=False,
    )
    # Plain echo on a line of its own: no wrapping or markup, easy to copy or capture.
    typer.echo(token)
    console.print("use it as: Authorization: Bearer <token>", highlight=False)


@app.command("list")
def list_() -> None:
    """List tokens: name, prefix, scopes, created, last used, revoked (never the tokens)."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        tokens = list_tokens(store.engine)
    if not tokens:
        console.print("no tokens yet: create one with `jobintel tokens create NAME --scope run`")
        return
    table = Table(title="API tokens", title_justify="left")
    for column in ("name", "prefix", "scopes", "created", "last used", "revoked"):
        table.add_column(column)
    for info in tokens:
        table.add_row(
            escape(info.name),
            info.prefix,
            " ".join(s for s in ("read", "run", "admin") if s in info.scopes),
            _when(info.created_at),
            _when(info.last_used_at, "never"),
            _when(info.revoked_at, ""),
        )
    console.print(table)


@app.command("revoke")
def revoke(
    name_or_prefix: Annotated[
        str, typer.Argument(metavar="NAME|PREFIX", help="The token's name or its prefix (jit_…)")
    ],
) -> None:
    """Revoke a token: requests using it are refused from now on."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        try:
            info = revoke_token(store.engine, name_or_prefix)
        except CredentialError as exc:
            raise fail(exc) from None
    console.print(
        f"token {escape(info.name)} ({info.prefix}) revoked at {_when(info.revoked_at)}",
        highlight=False,
    )


def _when(moment: datetime | None, missing: str = "") -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else missing
