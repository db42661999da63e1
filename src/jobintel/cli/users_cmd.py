"""``jobintel users``: people who log in to the web UI (passwords hashed with argon2)."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from jobintel.cli.common import console, fail, open_store, settings_or_exit
from jobintel.service.auth import (
    CredentialError,
    add_user,
    list_users,
    remove_user,
    set_password,
)

app = typer.Typer(
    help="Web UI users: add (password prompted twice), list, passwd, remove.",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (scripts)"
    ),
]


class UserScope(StrEnum):
    read = "read"
    run = "run"
    admin = "admin"


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name (case-insensitive), e.g. alice")],
    scope: Annotated[
        UserScope,
        typer.Option("--scope", "-s", help="read < run (submit runs) < admin"),
    ] = UserScope.run,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user; the password is asked twice without echo (or read with --password-stdin)."""
    password = _password(password_stdin)
    settings = settings_or_exit()
    with open_store(settings) as store:
        try:
            info = add_user(store.engine, name, password, [scope.value])
        except CredentialError as exc:
            raise fail(exc) from None
    console.print(f"user {escape(info.name)} added (scope {scope.value})", highlight=False)


@app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="The user's login name")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password; it also logs them out everywhere."""
    password = _password(password_stdin)
    settings = settings_or_exit()
    with open_store(settings) as store:
        try:
            set_password(store.engine, name, password)
        except CredentialError as exc:
            raise fail(exc) from None
    console.print(f"password of {escape(name.strip().lower())} changed", highlight=False)


@app.command("list")
def list_() -> None:
    """List users: name, scopes, created, last login."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        users = list_users(store.engine)
    if not users:
        console.print("no users yet: add one with `jobintel users add NAME`")
        return
    table = Table(title="users", title_justify="left")
    for column in ("name", "scopes", "created", "last login"):
        table.add_column(column)
    for info in users:
        table.add_row(
            escape(info.name),
            " ".join(s for s in ("read", "run", "admin") if s in info.scopes),
            _when(info.created_at),
            _when(info.last_login_at) or "never",
        )
    console.print(table)


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The user's login name")]) -> None:
    """Remove a user and end their sessions."""
    settings = settings_or_exit()
    with open_store(settings) as store:
        try:
            remove_user(store.engine, name)
        except CredentialError as exc:
            raise fail(exc) from None
    console.print(f"user {escape(name.strip().lower())} removed", highlight=False)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""
