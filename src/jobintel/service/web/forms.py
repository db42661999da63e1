"""What form handlers share: safe redirects and bounded uploads.

The CSRF check itself happens in authentication (``jobintel.service.auth.core``): a
session's unsafe request without its token never reaches a handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import UploadFile

from jobintel.service.api.uploads import Upload, safe_filename

#: Multipart framing around an uploaded file (boundary lines, part headers, small fields).
MULTIPART_SLACK = 16_384


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else ``/``: login never redirects elsewhere.

    Only relative paths starting with a single ``/`` pass: ``//host``, ``/\\host``, any
    scheme or host, and control characters (which browsers strip) are refused.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


class FormProblem(ValueError):
    """A submitted form cannot be used; the message says what to do, for the page to show."""


class UploadTooLarge(FormProblem):
    """An uploaded file is bigger than ``max_upload_bytes``."""

    def __init__(self, name: str, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"{name} is larger than {limit:,} bytes: upload a smaller file or raise "
            "JOBINTEL_MAX_UPLOAD_BYTES"
        )


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, reading at most ``limit`` + 1 of them."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(upload.filename or "the file", limit)
    return data


async def uploaded_file(request: Request, limit: int, suffixes: Sequence[str]) -> Upload:
    """The form's ``file`` field: present, of an accepted type and at most ``limit`` bytes.

    A body declared larger than the limit is refused before it is read.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
        raise UploadTooLarge("the upload", limit)
    form = await request.form(max_files=1, max_fields=20)
    try:
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            raise FormProblem("Choose a file to upload.")
        name = safe_filename(item.filename)
        if not name.lower().endswith(tuple(suffixes)):
            raise FormProblem(f"{name} is not one of the accepted types ({', '.join(suffixes)}).")
        return Upload(filename=name, data=await read_upload(item, limit))
    finally:
        await form.close()
