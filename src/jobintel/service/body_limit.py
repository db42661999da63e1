"""Refuse request bodies larger than the upload limit before anything reads them.

Runs in front of every route (and of the CSRF check, which may parse a form), counting
bytes as they arrive, so a chunked body without Content-Length cannot get around it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Room for multipart framing and form fields around the largest file.
OVERHEAD_BYTES = 64 * 1024


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 problem details when a request body exceeds ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, Any] = {
            "type": "tag:jobintel,2026:problem:too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the request body is over {self.limit} bytes: upload a smaller file "
            "or raise JOBINTEL_MAX_UPLOAD_BYTES",
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
