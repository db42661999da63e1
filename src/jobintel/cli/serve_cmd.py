"""``jobintel serve``: the runner service and web UI on one address."""

from __future__ import annotations

from typing import Annotated

import typer

from jobintel.cli.common import EXIT_USAGE, err_console, fail, open_store, settings_or_exit
from jobintel.errors import ConfigError
from jobintel.observability.telemetry import settings_problems
from jobintel.providers.netguard import is_loopback_host


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default JOBINTEL_SERVICE_HOST)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port (default JOBINTEL_SERVICE_PORT)"),
    ] = None,
) -> None:
    """Serve the API and the web UI (refuses a public address until a credential exists)."""
    import uvicorn

    from jobintel.service import create_app
    from jobintel.service.auth.tokens import has_credentials

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["service_host"] = host
    if port is not None:
        overrides["service_port"] = port
    settings = settings_or_exit(**overrides)
    problems = settings_problems(settings)
    if problems:
        raise fail(ConfigError(problems))
    bind = settings.service_host
    with open_store(settings) as store:
        protected = has_credentials(store.engine)
    if not is_loopback_host(bind) and not protected:
        err_console.print(
            f"error: refusing to serve on {bind}, which other machines can reach, while no "
            "credential exists: create an API token with `jobintel tokens create NAME --scope "
            "admin` or a login with `jobintel users add NAME`, or serve on 127.0.0.1",
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE)
    if not protected:
        err_console.print(
            "note: no API token or user exists yet, so every data route answers 401: create one "
            "with `jobintel tokens create NAME --scope admin`",
            highlight=False,
        )
    _prepare_metrics_dir()  # before the app (and its metrics) exist
    uvicorn.run(
        create_app(settings),
        host=bind,
        port=settings.service_port,
        log_level=settings.log_level.lower(),
        server_header=False,
    )


def _prepare_metrics_dir() -> None:
    """Empty ``PROMETHEUS_MULTIPROC_DIR`` when set, so no earlier process's samples count."""
    from jobintel.observability.multiprocess import (
        ENV,
        multiprocess_dir,
        prepare_multiprocess_dir,
    )

    directory = multiprocess_dir()
    if directory is None:
        return
    try:
        prepare_multiprocess_dir(directory)
    except ValueError as exc:
        err_console.print(f"error: {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as exc:
        err_console.print(
            f"error: cannot empty {ENV}={directory} ({exc.strerror or exc}): point it at a "
            "directory this user can write, or unset it to keep metrics in memory",
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE) from None
