"""Load job postings from Markdown/text files, JSON records and JSONL batches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobintel.errors import InputError
from jobintel.inputs.files import read_text_file
from jobintel.models import RawPosting

DEFAULT_MAX_INPUT_BYTES = 1_000_000
POSTING_SUFFIXES = (".md", ".markdown", ".txt", ".json", ".jsonl")
_TEXT_EXPECTED = "the posting text"

# Record field -> RawPosting field; the first alias holding a value wins.
_RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "job_title"),
    "company": ("company", "company_name"),
    "location": ("location",),
    "url": ("url", "job_url"),
    "criteria": ("job_criteria", "criteria"),
    "source_id": ("source_id",),
    "posted_at": ("createdAt", "posted_at", "postedAt"),
}
_DESCRIPTION_FIELDS = ("job_description", "description", "text")

# "Key: value" header lines of a text posting -> RawPosting field.
_HEADER_KEYS: dict[str, str] = {
    "title": "title",
    "job title": "title",
    "role": "title",
    "position": "title",
    "company": "company",
    "employer": "company",
    "organisation": "company",
    "organization": "company",
    "location": "location",
    "locations": "location",
    "url": "url",
    "link": "url",
    "job url": "url",
    "source": "url",
    "apply": "url",
    "posted": "posted_at",
    "posted at": "posted_at",
    "posted on": "posted_at",
    "date posted": "posted_at",
    "seniority": "criteria",
    "seniority level": "criteria",
    "employment type": "criteria",
    "job type": "criteria",
    "job function": "criteria",
    "industries": "criteria",
    "industry": "criteria",
}
_HEADER_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<key>[A-Za-z][A-Za-z ]{0,23}?)\s*"
    r"(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:|:)\s*(?P<value>.*?)\s*$"
)
_MD_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\([^)]*\)")
_URL = re.compile(r"https?://[^\s<>()\[\]]+")
_H1 = re.compile(r"^#\s+(?P<text>.+?)\s*#*\s*$")
_ANY_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
# How a heading joins title and company: "Engineer — Acme", "Engineer at Acme", "Engineer | Acme".
_HEADING_COMPANY_SEPARATORS = (" — ", " | ", " @ ", " at ")
_SHORT_TITLE_CHARS = 100


@dataclass(kw_only=True)
class LoadResult:
    """What a batch load produced: every posting that loaded and every input that did not."""

    postings: list[RawPosting] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def load_postings(paths: Sequence[Path], *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> LoadResult:
    """Load every posting under ``paths``; a bad file or record is reported, not fatal.

    Directories are walked recursively in sorted order, taking only posting files
    (``.md``, ``.markdown``, ``.txt``, ``.json``, ``.jsonl``) and skipping hidden ones.
    """
    result = LoadResult()
    for path in paths:
        if not path.exists():
            result.errors.append(
                InputError(str(path), "not found", "check the path and the working directory")
            )
            continue
        if path.is_dir():
            found = list(_posting_files(path))
            if not found:
                result.errors.append(
                    InputError(
                        str(path),
                        "directory holds no posting files",
                        f"add postings as {', '.join(POSTING_SUFFIXES)} files",
                    )
                )
            for file in found:
                _load_file(file, max_bytes=max_bytes, into=result)
        else:
            _load_file(path, max_bytes=max_bytes, into=result)
    return result


def _posting_files(root: Path) -> Iterator[Path]:
    candidates = (p for p in root.rglob("*") if p.suffix.lower() in POSTING_SUFFIXES)
    for path in sorted(candidates, key=lambda p: p.relative_to(root).parts):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") for part in relative) or not path.is_file():
            continue
        yield path


def _load_file(path: Path, *, max_bytes: int, into: LoadResult) -> None:
    try:
        text = read_text_file(path, max_bytes=max_bytes, expected=_TEXT_EXPECTED)
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            _load_jsonl(text, str(path), into=into)
        elif suffix == ".json":
            _load_json(text, str(path), into=into)
        else:
            into.postings.append(parse_posting_text(text, source=str(path)))
    except InputError as exc:
        into.errors.append(exc)


def _load_jsonl(text: str, path: str, *, into: LoadResult) -> None:
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        source = f"{path}:{lineno}"
        try:
            value = _parse_json(line, source)
            into.postings.append(posting_from_record(value, source=source))
        except InputError as exc:
            into.errors.append(exc)


def _load_json(text: str, path: str, *, into: LoadResult) -> None:
    value = _parse_json(text, path)
    if not isinstance(value, list):
        into.postings.append(posting_from_record(value, source=path))
        return
    if not value:
        raise InputError(path, "JSON list is empty", "put one posting object in it")
    for index, item in enumerate(value):
        try:
            into.postings.append(posting_from_record(item, source=f"{path}[{index}]"))
        except InputError as exc:
            into.errors.append(exc)


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            source,
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            "fix the JSON syntax; JSONL needs one complete object per line",
        ) from exc


def posting_from_record(record: Any, *, source: str) -> RawPosting:
    """A ``RawPosting`` from a JSON object shaped like a ``jobs.jsonl`` row."""
    if not isinstance(record, Mapping):
        raise InputError(
            source,
            f"expected a JSON object, got {_json_type(record)}",
            "write each posting as an object with title, company and job_description",
        )
    fields = {
        name: _first_string(record, aliases, source) for name, aliases in _RECORD_FIELDS.items()
    }
    description = _first_string(record, _DESCRIPTION_FIELDS, source)
    if not description.strip():
        raise InputError(
            source,
            "record has no job_description",
            "put the posting text in `job_description` (or `description` or `text`)",
        )
    return RawPosting(source=source, description=description, **fields)


def _first_string(record: Mapping[Any, Any], aliases: Sequence[str], source: str) -> str:
    for name in aliases:
        value = record.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(
                source,
                f"field `{name}` is {_json_type(value)}, not text",
                f"give `{name}` a string value",
            )
        text = str(value)
        if text.strip():
            return text
    return ""


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "null" if value is None else "a number"


def parse_posting_text(text: str, *, source: str) -> RawPosting:
    """A ``RawPosting`` from Markdown or plain text: header lines become fields, the rest the description."""
    lines = text.split("\n")
    found: dict[str, str] = {}
    criteria: list[str] = []
    heading = ""
    start = _skip_front_matter(lines, found, criteria)
    body_start = len(lines)
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        h1 = _H1.match(line)
        if h1 and not heading:
            heading = h1.group("text")
            continue
        if _take_header_line(line, found, criteria):
            continue
        body_start = index
        break
    body = lines[body_start:]

    if not heading:
        heading, body = _title_from_body(body)
        # Plain text often puts "Company: X" / "Location: Y" lines under a bare title line.
        while body and (not body[0].strip() or _take_header_line(body[0], found, criteria)):
            body = body[1:]
    title, company = found.get("title", ""), found.get("company", "")
    if heading:
        title, company = _split_heading(heading, title=title, company=company)
    description = "\n".join(body).strip()
    if not description:
        raise InputError(
            source,
            "no description text after the title and header lines",
            "add the posting text below the header",
        )
    return RawPosting(
        source=source,
        title=_strip_emphasis(title),
        company=_strip_emphasis(company),
        location=found.get("location", ""),
        url=found.get("url", ""),
        posted_at=found.get("posted_at", ""),
        criteria="; ".join(criteria),
        description=description,
    )


def _skip_front_matter(lines: list[str], found: dict[str, str], criteria: list[str]) -> int:
    """Read a YAML-style ``---`` block of ``key: value`` lines; return where the text resumes."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            for line in lines[1:index]:
                _take_header_line(line.replace('"', ""), found, criteria)
            return index + 1
    return 0


def _take_header_line(line: str, found: dict[str, str], criteria: list[str]) -> bool:
    stripped = line.strip()
    if _URL.fullmatch(stripped) or _URL.fullmatch(stripped.strip("<>")):
        found.setdefault("url", stripped.strip("<>"))
        return True
    match = _HEADER_LINE.match(line)
    if not match:
        return False
    key = " ".join(match.group("key").split()).casefold()
    target = _HEADER_KEYS.get(key)
    value = _strip_emphasis(match.group("value"))
    if target is None or not value:
        return False
    if target == "criteria":
        criteria.append(f"{match.group('key').strip()}: {value}")
    elif target == "url":
        url = _URL.search(value)
        if url is None and (" " in value or "." not in value):
            return False  # "Source: LinkedIn" is prose, not a link
        found.setdefault("url", url.group(0) if url else value)
    else:
        found.setdefault(target, _MD_LINK.sub(r"\g<text>", value))
    return True


def _title_from_body(body: list[str]) -> tuple[str, list[str]]:
    """Take a short first line (or a heading anywhere) as the title when no ``# `` header had one."""
    for index, line in enumerate(body):
        h1 = _H1.match(line)
        if h1:
            return h1.group("text"), body[:index] + body[index + 1 :]
    for index, line in enumerate(body):
        if not line.strip():
            continue
        candidate = line.strip()
        heading = _ANY_HEADING.match(candidate)
        if heading:
            candidate = heading.group("text")
        if len(candidate) <= _SHORT_TITLE_CHARS and not candidate.endswith((".", ":", ";")):
            return candidate, body[index + 1 :]
        break
    return "", body


def _split_heading(heading: str, *, title: str, company: str) -> tuple[str, str]:
    """Title and company from a heading, preferring explicit ``Title:``/``Company:`` lines."""
    heading = _strip_emphasis(heading)
    if company:
        for separator in _HEADING_COMPANY_SEPARATORS:
            suffix = f"{separator}{company}"
            if heading.casefold().endswith(suffix.casefold()):
                heading = heading[: -len(suffix)].strip()
                break
        return title or heading, company
    for separator in _HEADING_COMPANY_SEPARATORS:
        head, sep, tail = heading.rpartition(separator)
        if sep and head.strip() and tail.strip():
            return title or head.strip(), tail.strip()
    return title or heading, company


def _strip_emphasis(value: str) -> str:
    return value.strip().strip("*_").strip()
