"""What every command needs: settings, the store, and error reporting that names the fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from jobintel.errors import ConfigError, JobintelError
from jobintel.logs import configure_logging
from jobintel.settings import Settings, load_settings, mask_url, redact_url_secrets
from jobintel.store import Store

console = Console()
err_console = Console(stderr=True)

EXIT_FAILED_JOBS = 1
EXIT_USAGE = 2


def settings_or_exit(**overrides: object) -> Settings:
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    configure_logging(settings)
    return settings


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    try:
        store = Store.open(settings.effective_database_url)
    except Exception as exc:
        err_console.print(
            "[red]error:[/red] "
            + escape(
                f"cannot open the database {mask_url(settings.effective_database_url)}: "
                f"{type(exc).__name__}: {redact_url_secrets(first_line(exc), settings.effective_database_url)}. "
                "Check JOBINTEL_DATABASE_URL / JOBINTEL_DATA_DIR."
            ),
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE) from None
    try:
        yield store
    finally:
        store.close()


def fail(exc: JobintelError) -> typer.Exit:
    """Print a user-facing error and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
    return typer.Exit(EXIT_USAGE)


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""
