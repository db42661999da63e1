"""Read a user's text file safely: bounded size, no binaries, a clear error for bad bytes."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from jobintel.errors import InputError

MAX_INPUT_BYTES_SETTING = "JOBINTEL_MAX_INPUT_BYTES"

# A share of control characters above this means the file is not prose.
_CONTROL_SHARE_LIMIT = 0.05
# Unicode category Cc minus the whitespace controls prose legitimately holds.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")

# Leading bytes of formats people save postings and CVs in by mistake.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "a PDF", "save the text as .txt/.md"),
    (b"PK\x03\x04", "a ZIP archive (e.g. a .docx)", "save the text as .txt/.md"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a legacy Office document (.doc)",
        "save the text as .txt/.md",
    ),
    (b"{\\rtf", "an RTF document", "save the text as plain .txt/.md"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "copy the text out of it into a .txt/.md file"),
    (b"\xff\xd8\xff", "a JPEG image", "copy the text out of it into a .txt/.md file"),
    (b"GIF8", "a GIF image", "copy the text out of it into a .txt/.md file"),
    (b"\x1f\x8b", "a gzip archive", "decompress it first"),
)

# Longest BOM first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_text_file(path: Path, *, max_bytes: int, expected: str = "the text") -> str:
    """The file's text with newlines normalised to ``\\n``, or an ``InputError`` saying why not.

    At most ``max_bytes + 1`` bytes are read, so a huge file costs nothing. ``expected``
    completes the empty-file message ("expected the posting text").
    """
    return read_text_and_bytes(path, max_bytes=max_bytes, expected=expected)[0]


def read_text_and_bytes(
    path: Path, *, max_bytes: int, expected: str = "the text"
) -> tuple[str, bytes]:
    """Like ``read_text_file``, also returning the raw bytes (for hashing what was read)."""
    source = str(path)
    data = _read_bounded(path, max_bytes=max_bytes)
    if not data:
        raise InputError(source, "file is empty", f"expected {expected}")
    _refuse_known_binary(source, data)
    text = _decode(source, data)
    _refuse_control_heavy(source, text)
    if not text.strip():
        raise InputError(source, "file holds only whitespace", f"expected {expected}")
    return text.replace("\r\n", "\n").replace("\r", "\n"), data


def _read_bounded(path: Path, *, max_bytes: int) -> bytes:
    source = str(path)
    if not path.exists():
        raise InputError(source, "file not found", "check the path and the working directory")
    if path.is_dir():
        raise InputError(source, "is a directory, not a file", "pass a file inside it")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(
            source, f"cannot be read ({exc.strerror or exc})", "check its permissions"
        ) from exc
    if len(data) > max_bytes:
        size = path.stat().st_size
        raise InputError(
            source,
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit",
            f"trim or split it, or raise the limit with {MAX_INPUT_BYTES_SETTING}",
        )
    return data


def _refuse_known_binary(source: str, data: bytes) -> None:
    for magic, kind, fix in _MAGIC:
        if data.startswith(magic):
            raise InputError(source, f"this looks like {kind}, not text", fix)


def _decode(source: str, data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _undecodable(source, encoding, exc.start + len(bom)) from exc
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise InputError(
            source,
            f"this looks like a binary file (NUL byte at offset {offset})",
            "pass a UTF-8 text file (.txt/.md/.json/.jsonl)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _undecodable(source, "utf-8", exc.start) from exc


def _undecodable(source: str, encoding: str, offset: int) -> InputError:
    label = encoding.upper().replace("-LE", "").replace("-BE", "")
    return InputError(
        source,
        f"not valid {label} text (undecodable byte at offset {offset})",
        "re-save the file as UTF-8",
    )


def _refuse_control_heavy(source: str, text: str) -> None:
    if not text:
        return
    controls = len(_CONTROL.findall(text))
    if controls / len(text) > _CONTROL_SHARE_LIMIT:
        raise InputError(
            source,
            f"this looks like a binary file ({controls} control characters in {len(text)})",
            "pass a UTF-8 text file (.txt/.md/.json/.jsonl)",
        )
