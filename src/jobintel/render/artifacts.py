"""Write output files atomically and describe them as ``ArtifactRef`` records."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from jobintel.models import ArtifactRef
from jobintel.models.stages import ArtifactKind

__all__ = ["ArtifactKind", "atomic_write", "write_artifact"]


def atomic_write(path: Path, data: bytes | str) -> bytes:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    Text is written as UTF-8. Returns the bytes written.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # os.open with mode 0o666 (not mkstemp's 0o600): the user's umask decides, as for any file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return payload


def write_artifact(
    directory: Path, name: str, data: bytes | str, kind: ArtifactKind
) -> ArtifactRef:
    """Write one artifact file named ``name`` into ``directory`` and return its reference.

    ``name`` must be a bare file name: a path separator or ``.``/``..`` is refused, so an
    artifact can never land outside the job's folder.
    """
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise ValueError(f"artifact name {name!r} is not a plain file name: use e.g. 'cv.pdf'")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    payload = atomic_write(path, data)
    return ArtifactRef(
        kind=kind,
        path=str(path),
        sha256=hashlib.sha256(payload).hexdigest(),
        bytes=len(payload),
    )
