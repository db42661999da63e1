"""Real loopback receivers for alert channels: an HTTP webhook and an SMTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.loopback import free_port, serve_http


@dataclass
class WebhookReceiver:
    """Records every POST; answers with ``statuses`` in turn (then 200)."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def webhook_receiver(statuses: list[int] | None = None) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(statuses=list(statuses or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with receiver.lock:
                receiver.bodies.append(body)
                receiver.paths.append(self.path)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    with serve_http(Handler) as url:
        receiver.url = f"{url}/hooks/T000/SECRET-TOKEN"
        yield receiver


@dataclass
class SmtpInbox:
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)


@contextmanager
def smtp_server(*, username: str, password: str) -> Iterator[SmtpInbox]:
    """A real SMTP server on loopback offering AUTH (plain, no TLS: no `cryptography`).

    AUTH is offered, checked and recorded per message rather than required: aiosmtpd warns
    (an error under filterwarnings=error) when AUTH is required without TLS.
    """
    inbox = SmtpInbox(port=free_port())

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            content = envelope.content
            assert isinstance(content, bytes)
            inbox.messages.append(message_from_bytes(content))
            inbox.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            inbox.authenticated.append(bool(session.authenticated))
            return "250 OK"

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == username.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=inbox.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
