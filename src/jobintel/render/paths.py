"""Safe, stable output folders: ``<out>/<company-slug>/<role-slug>/`` per posting."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

KEY_MARKER = ".jobintel-key"
"""File inside a job folder holding the dedupe key of the posting that owns it."""

_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Names Windows refuses as file or folder names, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
# Letters NFKD does not decompose into ASCII but that have an obvious spelling.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "Th",
        "&": " and ",
    }
)


def slugify(text: str, max_len: int = 60) -> str:
    """A folder-safe name for ``text``: lowercase ASCII letters, digits and single dashes.

    Never empty (``untitled``), never ``.``/``..``, never a Windows reserved name, and at
    most ``max_len`` characters (cut at a word boundary when one is near).
    """
    if max_len < 8:
        raise ValueError(f"slug max_len {max_len} is too small: use at least 8")
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        # Prefer ending at a whole word unless that throws most of the name away.
        boundary = cut.rfind("-")
        if slug[max_len] != "-" and boundary >= max_len // 2:
            cut = cut[:boundary]
        slug = cut.strip("-")
    if not slug:
        return "untitled"
    if slug in _WINDOWS_RESERVED:
        slug += "-x"
    return slug


def job_output_dir(
    out_root: Path,
    company: str,
    title: str,
    dedupe_key: str,
    taken: set[Path] | None = None,
    *,
    claim: bool = True,
) -> Path:
    """The folder for one posting's artifacts: ``<out_root>/<company-slug>/<role-slug>/``.

    The same posting (same ``dedupe_key``) gets the same folder on every run. When another
    posting already owns that folder — its ``.jobintel-key`` marker holds a different key,
    the caller's ``taken`` set for the current batch holds it, or it has files but no
    marker — the folder name gets ``-<first 8 chars of the key>`` (longer if needed).
    With ``claim`` (the default) the folder is created and the marker written, so later
    runs recognise the owner. The result always lies inside ``out_root``.
    """
    if not dedupe_key.strip():
        raise ValueError("dedupe_key is empty: every posting needs one to own an output folder")
    root = out_root.resolve()
    base = root / slugify(company) / slugify(title)
    key_slug = slugify(dedupe_key, max_len=64)
    candidates = [base]
    candidates += [base.with_name(f"{base.name}-{key_slug[:n]}") for n in (8, 16, 64)]
    for folder in candidates:
        if _available(folder, dedupe_key, taken or set()) and (
            not claim or _claim(folder, root, dedupe_key)
        ):
            break
    else:
        raise ValueError(
            f"no free output folder for {company!r} / {title!r} under {root}: "
            f"{candidates[-1]} is owned by another posting; remove it or pick another --out"
        )
    _check_inside(folder, root)
    return folder.resolve()


def _check_inside(folder: Path, root: Path) -> None:
    resolved = folder.resolve()
    # Slugs cannot hold separators, but a symlinked company folder could still point out.
    if not resolved.is_relative_to(root):
        raise ValueError(
            f"output folder {folder} resolves to {resolved}, outside {root}: "
            "remove the symlink or pick another --out"
        )


def _claim(folder: Path, root: Path, dedupe_key: str) -> bool:
    """Create ``folder`` and its marker; False when another posting won the race for it."""
    _check_inside(folder, root)  # before creating anything
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two runs claiming the same folder at once, exactly one creates the marker.
        fd = os.open(folder / KEY_MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return _owner(folder) == dedupe_key
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(dedupe_key + "\n")
    return True


def _owner(folder: Path) -> str | None:
    try:
        return (folder / KEY_MARKER).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _available(folder: Path, dedupe_key: str, taken: set[Path]) -> bool:
    owner = _owner(folder)
    if owner is not None:
        return owner == dedupe_key
    if folder in taken or folder.resolve() in taken:
        return False
    if folder.is_dir():
        # Files without a marker belong to someone else (an older tool, the user): keep off.
        return not any(folder.iterdir())
    return not folder.exists()
