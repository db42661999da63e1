"""Render the UI's Jinja2 templates into responses with the page's security headers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from jobintel.guard.budget_types import format_usd
from jobintel.service.auth import Principal

TEMPLATES_DIR = Path(__file__).parent / "templates"

#: Everything a page loads comes from this server: scripts, styles, the SSE stream, forms.
#: No inline script or style is needed (SVG charts use presentation attributes), so none is
#: allowed, and a page can never be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

#: The main navigation, in order: (path, label).
NAV = (
    ("/", "Dashboard"),
    ("/jobs", "Jobs"),
    ("/runs", "Runs"),
    ("/costs", "Costs"),
    ("/health", "Health"),
    ("/alerts", "Alerts"),
)


def usd(value: Decimal | float | int | None) -> str:
    """``$0.0123``-style money, or an en dash when there is nothing to show."""
    if value is None:
        return "–"
    return format_usd(Decimal(value))


def when(value: datetime | None) -> str:
    """A UTC timestamp to the second, e.g. ``2026-11-29 14:03:05``."""
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso(value: datetime | None) -> str:
    """The machine-readable form for ``<time datetime=...>``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def seconds(value_ms: float | None) -> str:
    """A duration in milliseconds as ``850 ms`` or ``2.4 s``."""
    if value_ms is None:
        return "–"
    return f"{value_ms:.0f} ms" if value_ms < 1000 else f"{value_ms / 1000:.1f} s"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(usd=usd, when=when, iso=iso, seconds=seconds)
    env.globals["nav"] = NAV
    return env


ENV = _environment()


def render(name: str, context: Mapping[str, Any]) -> str:
    return ENV.get_template(name).render(context)


def page(
    request: Request,
    name: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A full page: ``name`` rendered with the caller, the CSRF token and the current path."""
    values = {
        "principal": principal,
        "csrf_token": (principal.csrf_token or "") if principal else "",
        "path": request.url.path,
        **context,
    }
    return HTMLResponse(
        render(name, values),
        status_code=status_code,
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def fragment(
    name: str, *, headers: Mapping[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """A piece of a page for HTMX to swap in."""
    return HTMLResponse(render(name, context), headers={**SECURITY_HEADERS, **(headers or {})})


def not_found(request: Request, principal: Principal | None, message: str) -> HTMLResponse:
    """The 404 page, saying what was not found and where to look instead."""
    return page(
        request, "error.html", principal, status_code=404, title="Not found", message=message
    )
