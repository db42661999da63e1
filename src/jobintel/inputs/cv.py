"""Load the candidate's master CV from Markdown or JSON Resume."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from jobintel.errors import InputError
from jobintel.inputs.files import read_text_and_bytes
from jobintel.inputs.json_resume import parse_json_resume
from jobintel.models import Bullet, MasterCV, Role, SkillGroup

DEFAULT_MAX_INPUT_BYTES = 1_000_000
UNGROUPED_SKILLS = "Skills"

# Section headings we understand (casefolded, without '#', '*' and ':'); others are skipped.
_SECTIONS: dict[str, str] = {
    "summary": "summary",
    "profile": "summary",
    "about": "summary",
    "about me": "summary",
    "professional summary": "summary",
    "experience": "experience",
    "work experience": "experience",
    "professional experience": "experience",
    "employment": "experience",
    "employment history": "experience",
    "work history": "experience",
    "skills": "skills",
    "technical skills": "skills",
    "skills & tools": "skills",
    "education": "education",
    "certifications": "certifications",
    "certificates": "certifications",
    "licenses & certifications": "certifications",
    "projects": "projects",
    "selected projects": "projects",
    "side projects": "projects",
    "open source": "projects",
}
_H1 = re.compile(r"^#\s+(?P<text>.+?)\s*#*\s*$")
_H2 = re.compile(r"^##\s+(?P<text>.+?)\s*#*\s*$")
_ROLE_HEADING = re.compile(r"^#{3,4}\s+(?P<text>.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+•]\s+(?P<text>.*\S)\s*$")
_SKILL_LINE = re.compile(
    r"^(?:\*\*|__)?(?P<name>[^:*_]+?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:|:)\s*(?P<items>.+)$"
)
_DATE = r"(?:[A-Za-z]{3,9}\.?\s+)?\d{4}(?:[-/.]\d{1,2})?"
_END_DATE = rf"(?:{_DATE}|present|current|now|today)"
_DATES_AT_END = re.compile(
    rf"\s*(?:[·•|,]\s*|\(\s*|[—–-]\s+)?(?P<start>{_DATE})\s*(?:–|—|-|to)\s*"
    rf"(?P<end>{_END_DATE})\s*\)?\s*$",
    re.IGNORECASE,
)
# Title first, then employer; the comma is last because titles hold commas ("Engineer, Data").
_ROLE_SEPARATORS = (" — ", " – ", " | ", " at ", " @ ", " - ", ", ")
_TRAILING_PARENS = re.compile(r"^(?P<main>.*?)\s*\((?P<inner>[^()]*)\)$")


def load_cv(path: Path, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> MasterCV:
    """The master CV at ``path`` (``.json`` = JSON Resume, anything else = Markdown)."""
    text, data = read_text_and_bytes(path, max_bytes=max_bytes, expected="the CV text")
    content_hash = hashlib.sha256(data).hexdigest()
    source = str(path)
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                source,
                f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                "fix the JSON syntax, or save the CV as Markdown (.md)",
            ) from exc
        cv = parse_json_resume(document, source=source, content_hash=content_hash)
    else:
        cv = parse_markdown_cv(text, source=source, content_hash=content_hash)
    if not any(role.bullets for role in cv.roles):
        raise InputError(
            source,
            "no experience bullets found",
            "expected `### Title — Employer` headings followed by `- ` bullets"
            if path.suffix.lower() != ".json"
            else "expected `work` entries with `highlights`",
        )
    return cv


@dataclass
class _Sections:
    head: list[str] = field(default_factory=list)
    body: dict[str, list[str]] = field(default_factory=dict)


def parse_markdown_cv(text: str, *, source: str, content_hash: str = "") -> MasterCV:
    """A ``MasterCV`` from Markdown shaped like ``samples/master-cv.md``."""
    sections = _split_sections(text.split("\n"))
    name = ""
    contact: list[str] = []
    for line in sections.head:
        h1 = _H1.match(line)
        if h1 and not name:
            name = _unemphasise(h1.group("text"))
        elif name and line.strip():
            contact.append(line.strip())
    if not name:
        raise InputError(source, "no `# Name` heading found", "start the CV with `# Your Name`")
    body = sections.body
    return MasterCV(
        source=source,
        name=name,
        contact=" · ".join(contact),
        summary=_paragraphs(body.get("summary", [])),
        roles=tuple(_roles(body.get("experience", []))),
        skills=tuple(_skill_groups(body.get("skills", []))),
        education=tuple(_list_items(body.get("education", []))),
        certifications=tuple(_list_items(body.get("certifications", []))),
        projects=tuple(
            Bullet(id=f"p{i}", text=item)
            for i, item in enumerate(_list_items(body.get("projects", [])))
        ),
        content_hash=content_hash,
    )


def _split_sections(lines: list[str]) -> _Sections:
    sections = _Sections()
    current: list[str] | None = sections.head
    for line in lines:
        h2 = _H2.match(line)
        if h2:
            key = " ".join(h2.group("text").strip("*_: ").split()).casefold().rstrip(":")
            kind = _SECTIONS.get(key)
            # An unknown section is dropped; a repeated one continues the first.
            current = sections.body.setdefault(kind, []) if kind else None
            continue
        if current is not None:
            current.append(line)
    return sections


def _roles(lines: list[str]) -> list[Role]:
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        heading = _ROLE_HEADING.match(line)
        if heading:
            blocks.append((heading.group("text"), []))
        elif blocks:
            blocks[-1][1].append(line)
    roles: list[Role] = []
    for index, (heading_text, block) in enumerate(blocks):
        title, employer, location, start, end = parse_role_heading(heading_text)
        summary_lines = _leading_paragraph(block)
        bullets = _list_items(block[len(summary_lines) :], bullets_only=True)
        roles.append(
            Role(
                title=title,
                employer=employer,
                location=location,
                start=start,
                end=end,
                summary=" ".join(line.strip() for line in summary_lines if line.strip()),
                bullets=tuple(
                    Bullet(id=f"r{index}.b{i}", text=text) for i, text in enumerate(bullets)
                ),
            )
        )
    return roles


def _leading_paragraph(block: list[str]) -> list[str]:
    """The lines before a role's first bullet: the employer blurb, if any."""
    for index, line in enumerate(block):
        if _BULLET.match(line):
            return block[:index]
    return block


def parse_role_heading(text: str) -> tuple[str, str, str, str, str]:
    """(title, employer, location, start, end) from ``Title — Employer (Location) · 2022-03 – present``."""
    text = _unemphasise(text)
    start = end = ""
    dates = _DATES_AT_END.search(text)
    if dates and dates.start() > 0:
        start, end = dates.group("start"), dates.group("end")
        text = text[: dates.start()].strip()
    parts = [part.strip() for part in text.split(" · ") if part.strip()]
    main = parts[0] if parts else text
    location = ", ".join(parts[1:])
    title, employer = main, ""
    for separator in _ROLE_SEPARATORS:
        head, sep, tail = (
            main.rpartition(separator) if separator == ", " else main.partition(separator)
        )
        if sep and head.strip() and tail.strip():
            title, employer = head.strip(), tail.strip()
            break
    place = _TRAILING_PARENS.match(employer)
    if place and place.group("main"):
        employer = place.group("main").strip()
        location = ", ".join(p for p in (place.group("inner").strip(), location) if p)
    return title, employer, location, start, end


def _skill_groups(lines: list[str]) -> list[SkillGroup]:
    groups: list[SkillGroup] = []
    ungrouped: list[str] = []
    for item in _list_items(lines):
        match = _SKILL_LINE.match(item)
        if match:
            items = split_skill_items(match.group("items"))
            if items:
                groups.append(SkillGroup(name=match.group("name").strip(), items=tuple(items)))
        else:
            ungrouped.extend(split_skill_items(item))
    if ungrouped:
        groups.append(SkillGroup(name=UNGROUPED_SKILLS, items=tuple(ungrouped)))
    return groups


def split_skill_items(text: str) -> list[str]:
    """Items of a comma-separated list, ignoring commas inside parentheses; kept verbatim."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _list_items(lines: list[str], *, bullets_only: bool = False) -> list[str]:
    """Bullet texts, with wrapped continuation lines joined; plain paragraphs count as items
    unless ``bullets_only``."""
    items: list[str] = []
    open_item = False
    for line in lines:
        if not line.strip():
            open_item = False
            continue
        bullet = _BULLET.match(line)
        if bullet:
            items.append(bullet.group("text").strip())
            open_item = True
        elif open_item and items:
            items[-1] = f"{items[-1]} {line.strip()}"
        elif not bullets_only:
            items.append(line.strip())
            open_item = True
    return items


def _paragraphs(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join(paragraphs)


def _unemphasise(text: str) -> str:
    return text.replace("**", "").replace("__", "").strip()
