"""Fixtures for research tests: a real HTTP server on loopback and fake DNS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from tests.loopback import serve_http

PAGE = (
    b"<html><head><title>Acme Rockets</title></head><body><nav>Home | Jobs</nav>"
    b"<main><h1>About Acme</h1><p>Acme builds rockets for coyotes and has done so since 1949."
    b"</p><p>Acme raised a Series B in 2024 to expand into Europe.</p></main></body></html>"
)


@dataclass
class LoopbackServer:
    """A real HTTP server on 127.0.0.1; ``hits`` lists the paths it served."""

    url: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path == "/big":
                body, kind = b"<p>" + b"x" * 50_000 + b"</p>", "text/html"
            elif self.path == "/pdf":
                body, kind = b"%PDF-1.7", "application/pdf"
            else:
                body, kind = PAGE, "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    with serve_http(Handler) as url:
        yield LoopbackServer(url=url, hits=hits)


def fake_dns(table: dict[str, list[str]]) -> Callable[[str], Awaitable[list[str]]]:
    """A resolver answering from ``table``; unknown names do not resolve."""

    async def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve
