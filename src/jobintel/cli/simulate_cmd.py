"""``jobintel simulate``: serve the provider simulator on loopback for tests and demos."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from jobintel.cli.common import EXIT_USAGE, console, err_console


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def endpoint_lines(url: str) -> list[str]:
    """The environment that points jobintel at a simulator serving on ``url``."""
    return [
        f"JOBINTEL_OPENAI_BASE_URL={url}/v1",
        "JOBINTEL_OPENAI_API_KEY=sim",
        "JOBINTEL_MODEL=openai:gpt-4o-mini",
        f"JOBINTEL_FIRECRAWL_BASE_URL={url}/firecrawl",
        "JOBINTEL_FIRECRAWL_API_KEY=sim",
        "JOBINTEL_FETCH_ALLOW_PRIVATE=true",
    ]


def simulate(
    host: Annotated[str, typer.Option("--host", help="Loopback address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to bind")] = 8765,
    rpm: Annotated[
        int | None, typer.Option("--rpm", min=1, help="Requests per minute per model")
    ] = None,
    tpm: Annotated[
        int | None, typer.Option("--tpm", min=1, help="Tokens per minute per model")
    ] = None,
    error_rate: Annotated[
        float, typer.Option("--error-rate", min=0, max=1, help="Share of requests answered 5xx")
    ] = 0.0,
    timeout_rate: Annotated[
        float, typer.Option("--timeout-rate", min=0, max=1, help="Share of requests held")
    ] = 0.0,
    malformed_rate: Annotated[
        float, typer.Option("--malformed-rate", min=0, max=1, help="Share with broken JSON")
    ] = 0.0,
    truncate_rate: Annotated[
        float, typer.Option("--truncate-rate", min=0, max=1, help="Share of streams cut short")
    ] = 0.0,
    invalid_rate: Annotated[
        float,
        typer.Option("--invalid-rate", min=0, max=1, help="Share of answers failing the schema"),
    ] = 0.0,
    latency_ms: Annotated[
        float, typer.Option("--latency-ms", min=0, help="Base latency added to every answer")
    ] = 0.0,
    timeout_hold_s: Annotated[
        float, typer.Option("--timeout-hold-s", min=0, help="How long a timeout fault holds")
    ] = 30.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for latency and fault draws")] = 0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Scripted fault for the next request (repeatable): 500, 429, timeout, ...",
        ),
    ] = None,
) -> None:
    """Serve fake OpenAI, Anthropic and FireCrawl APIs on loopback (a test instrument)."""
    from jobintel.providers.netguard import is_loopback_host
    from jobintel.simulator import SimulatorConfig, serve

    if not is_loopback_host(host):
        err_console.print(
            f"[red]error:[/red] --host {escape(host)} is not a loopback address: the simulator "
            "only serves this machine; use --host 127.0.0.1",
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        config = SimulatorConfig(
            seed=seed,
            rpm=rpm,
            tpm=tpm,
            latency_base_ms=latency_ms,
            error_5xx_rate=error_rate,
            timeout_rate=timeout_rate,
            malformed_json_rate=malformed_rate,
            truncated_stream_rate=truncate_rate,
            invalid_output_rate=invalid_rate,
            timeout_hold_s=timeout_hold_s,
            fault_script=tuple(fault or ()),
        )
    except ValidationError as exc:
        problems = "; ".join(err["msg"] for err in exc.errors())
        err_console.print(f"[red]error:[/red] {escape(problems)}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    url = f"http://{host}:{port}"
    console.print(f"provider simulator on {url} (test instrument: answers are synthetic)")
    console.print(f"  OpenAI:    {url}/v1/chat/completions")
    console.print(f"  Anthropic: {url}/v1/messages")
    console.print(f"  FireCrawl: {url}/firecrawl/v1/search, /firecrawl/v1/scrape")
    console.print(f"  control:   {url}/_sim/config, /_sim/stats, /_sim/reset")
    console.print("point jobintel at it with:")
    for line in endpoint_lines(url):
        console.print(f"  export {line}", highlight=False)
    serve(config, host=host, port=port)
