"""``/metrics`` for a process without a web app: ``jobintel run --metrics-port``.

A small threaded HTTP server on loopback (by default) serves the process's ``Metrics``
while a batch runs. Each scrape first refreshes the store-backed gauges (budgets, runs,
breakers, limiter headroom), exactly as the service's ``GET /metrics`` does.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST

from jobintel.errors import ConfigError
from jobintel.observability.metrics import Metrics

if TYPE_CHECKING:
    from jobintel.settings import Settings
    from jobintel.store import Store

log = logging.getLogger("jobintel.observability")

LOOPBACK = "127.0.0.1"


class MetricsServer:
    """Serves ``metrics`` at ``http://HOST:PORT/metrics`` from a daemon thread."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        port: int,
        host: str = LOOPBACK,
        store: Store | None = None,
        settings: Settings | None = None,
        option: str = "metrics port",
    ) -> None:
        self.metrics = metrics
        self._store = store
        self._settings = settings
        self._refresh_lock = threading.Lock()
        try:
            self._server = ThreadingHTTPServer((host, port), _handler(self))
        except OSError as exc:
            raise ConfigError([(option, _bind_problem(host, port, exc))]) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="jobintel-metrics",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/metrics"

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port (waits for the serving thread)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def exposition(self) -> bytes:
        """The scrape body: refresh the store-backed gauges, then render every metric."""
        if self._store is not None and self._settings is not None:
            # One refresh at a time: concurrent scrapes would only race on the same gauges.
            with self._refresh_lock:
                try:
                    asyncio.run(self.metrics.refresh_from_store(self._store, self._settings))
                except Exception:
                    log.exception("store-backed gauges could not be read; serving the rest")
        return self.metrics.exposition()


@contextmanager
def serving_metrics(
    metrics: Metrics | None,
    port: int | None,
    *,
    store: Store | None = None,
    settings: Settings | None = None,
    host: str = LOOPBACK,
    option: str = "metrics port",
) -> Iterator[MetricsServer | None]:
    """Serve ``metrics`` on ``port`` for the block; nothing when either is None."""
    if metrics is None or port is None:
        yield None
        return
    server = MetricsServer(
        metrics, port=port, host=host, store=store, settings=settings, option=option
    ).start()
    log.info("serving metrics at %s", server.url)
    try:
        yield server
    finally:
        server.close()


def check_port_free(port: int, *, host: str = LOOPBACK, option: str = "metrics port") -> None:
    """Raise ``ConfigError`` naming ``option`` unless ``host:port`` can be bound now."""
    try:
        probe = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
    except OSError as exc:
        raise ConfigError([(option, _bind_problem(host, port, exc))]) from None
    probe.server_close()


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another run or exporter?): pick a free port"
        )
    return f"cannot listen on {host}:{port} ({exc.strerror or exc}): pick another port"


def _handler(owner: MetricsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in ("/metrics", "/metrics/"):
                self.send_error(404, "only /metrics is served here")
                return
            body = owner.exposition()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("metrics scrape: " + format, *args)

    return Handler
