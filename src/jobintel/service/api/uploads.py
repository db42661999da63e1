"""Request bodies and uploaded files: bounded in size and type, parsed by ``jobintel.inputs``.

Uploads are written to a private temporary file and read back through the same loaders
the CLI uses, so a browser upload meets exactly the checks a file on disk does (size,
encoding, binary formats, JSON syntax); the temporary path is replaced by the upload's
name in everything a user sees.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from jobintel.errors import InputError
from jobintel.inputs import POSTING_SUFFIXES, LoadResult, load_cv, load_postings
from jobintel.models import MasterCV
from jobintel.service.api.deps import SettingsDep
from jobintel.service.problems import Problem, invalid
from jobintel.settings import Settings

CV_SUFFIXES = (".md", ".markdown", ".txt", ".json")
#: Multipart framing around the file itself (boundaries, part headers, small fields).
_MULTIPART_SLACK = 16_384
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Upload:
    filename: str
    data: bytes

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix.lower()


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def check_length(request: Request, settings: Settings) -> None:
    """Refuse a body over the upload limit before anything reads it (413), or of unknown
    size when it is a multipart upload (411), which would otherwise be spooled to disk."""
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is None:
        if media_type(request) == "multipart/form-data":
            raise Problem(411, "send uploads with a Content-Length header", type_="length-required")
        return
    try:
        size = int(declared)
    except ValueError:
        raise invalid("Content-Length", "not a number", status=400) from None
    if size > limit + _MULTIPART_SLACK:
        raise too_large("body", size, limit)


def upload_limit(request: Request, settings: SettingsDep) -> None:
    check_length(request, settings)


#: Declare before the caller's identity, so an oversized body is refused before anything
#: (even the CSRF check of a browser form) reads it.
UploadLimit = Annotated[None, Depends(upload_limit)]


def too_large(field: str, size: int, limit: int) -> Problem:
    return invalid(
        field,
        f"{size:,} bytes is over the {limit:,}-byte upload limit: split the file or raise "
        "JOBINTEL_MAX_UPLOAD_BYTES",
        status=413,
    )


async def read_body(request: Request, settings: Settings) -> bytes:
    """The raw body, at most ``max_upload_bytes`` of it (413 beyond)."""
    limit = settings.max_upload_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large("body", size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload(
    request: Request, settings: Settings, suffixes: tuple[str, ...], *, field: str = "file"
) -> Upload:
    """The single file of a multipart upload, checked for size and type."""
    form = await request.form(max_files=1, max_fields=20)
    try:
        item = form.get(field)
        if not isinstance(item, UploadFile):
            raise invalid(field, "expected a file in the multipart field 'file'")
        name = safe_filename(item.filename or "upload")
        suffix = Path(name).suffix.lower()
        if suffix not in suffixes:
            raise invalid(
                field,
                f"{name!r} is not one of the accepted types ({', '.join(suffixes)})",
                status=415,
            )
        data = await item.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise too_large(field, item.size or len(data), settings.max_upload_bytes)
        return Upload(filename=name, data=data)
    finally:
        await form.close()


def safe_filename(name: str) -> str:
    base = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip("._")
    return base[:100] or "upload"


def _through_file(upload: Upload, load: Callable[[Path], T]) -> tuple[T, str]:
    with tempfile.TemporaryDirectory(prefix="jobintel-upload-") as folder:
        path = Path(folder) / f"upload{upload.suffix}"
        path.write_bytes(upload.data)
        return load(path), str(path)


def _relabel(text: str, temp: str, label: str) -> str:
    return text.replace(temp, label) if temp else text


def load_posting_upload(upload: Upload, settings: Settings) -> LoadResult:
    """Every posting in the uploaded file (and every one that failed), named after it."""
    result, temp = _through_file(
        upload, lambda path: load_postings([path], max_bytes=settings.max_input_bytes)
    )
    label = f"upload:{upload.filename}"
    return LoadResult(
        postings=[
            p.model_copy(update={"source": _relabel(p.source, temp, label)})
            for p in result.postings
        ],
        errors=[
            InputError(_relabel(e.source, temp, label), e.problem, e.fix) for e in result.errors
        ],
    )


def load_cv_upload(upload: Upload, settings: Settings) -> MasterCV:
    """The uploaded master CV; ``InputError`` (named after the upload) when unusable."""
    label = f"upload:{upload.filename}"
    holder: list[str] = []

    def load(path: Path) -> MasterCV:
        holder.append(str(path))
        return load_cv(path, max_bytes=min(settings.max_input_bytes, settings.max_upload_bytes))

    try:
        cv, temp = _through_file(upload, load)
    except InputError as exc:
        temp = holder[0] if holder else ""
        raise InputError(_relabel(exc.source, temp, label), exc.problem, exc.fix) from None
    return cv.model_copy(update={"source": label})


__all__ = [
    "CV_SUFFIXES",
    "POSTING_SUFFIXES",
    "Upload",
    "UploadLimit",
    "check_length",
    "load_cv_upload",
    "load_posting_upload",
    "media_type",
    "read_body",
    "read_upload",
    "safe_filename",
]
