"""Read a JSON Resume document (jsonresume.org schema) into a ``MasterCV``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jobintel.errors import InputError
from jobintel.models import Bullet, MasterCV, Role, SkillGroup

UNGROUPED_SKILLS = "Skills"
_YEAR = re.compile(r"^\d{4}")


class _Reader:
    """Typed access to the document that names the JSON path of any bad value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, fix: str) -> InputError:
        return InputError(self.source, f"`{where}` {problem}", fix)

    def obj(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(where, "is not an object", "see https://jsonresume.org/schema")
        return value

    def objects(self, value: Any, where: str) -> list[Mapping[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, "is not a list", "see https://jsonresume.org/schema")
        return [self.obj(item, f"{where}[{i}]") for i, item in enumerate(value)]

    def text(self, parent: Mapping[str, Any], key: str, where: str) -> str:
        value = parent.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(f"{where}.{key}", "is not text", f"give `{key}` a string value")
        return " ".join(str(value).split())

    def texts(self, parent: Mapping[str, Any], key: str, where: str) -> list[str]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "is not a list", f"make `{key}` a list of strings")
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{where}.{key}[{i}]", "is not text", "use strings in the list")
            if item.strip():
                out.append(" ".join(item.split()))
        return out


def parse_json_resume(document: Any, *, source: str, content_hash: str = "") -> MasterCV:
    """A ``MasterCV`` from a parsed JSON Resume document.

    Work ``highlights`` become bullets ``r{i}.b{j}``; a job with a start date and no end
    date is current ("present"), as the schema intends.
    """
    read = _Reader(source)
    root = read.obj(document, "$")
    basics = read.obj(root.get("basics"), "basics")
    name = read.text(basics, "name", "basics")
    if not name:
        raise read.fail("basics.name", "is missing", "put the candidate's name in basics.name")
    return MasterCV(
        source=source,
        name=name,
        contact=_contact(read, basics),
        summary=str(basics.get("summary") or "").strip(),
        roles=tuple(_roles(read, root.get("work"))),
        skills=tuple(_skills(read, root.get("skills"))),
        education=tuple(_education(read, root.get("education"))),
        certifications=tuple(_certificates(read, root.get("certificates"))),
        projects=tuple(_projects(read, root.get("projects"))),
        content_hash=content_hash,
    )


def _contact(read: _Reader, basics: Mapping[str, Any]) -> str:
    location = read.obj(basics.get("location"), "basics.location")
    place = ", ".join(
        part
        for part in (
            read.text(location, "city", "basics.location"),
            read.text(location, "region", "basics.location"),
            read.text(location, "countryCode", "basics.location"),
        )
        if part
    )
    parts = [place] + [read.text(basics, key, "basics") for key in ("email", "phone", "url")]
    for i, profile in enumerate(read.objects(basics.get("profiles"), "basics.profiles")):
        where = f"basics.profiles[{i}]"
        url = read.text(profile, "url", where)
        network, user = read.text(profile, "network", where), read.text(profile, "username", where)
        parts.append(url or (f"{network}: {user}" if network and user else network or user))
    return " · ".join(part for part in parts if part)


def _roles(read: _Reader, work: Any) -> list[Role]:
    roles: list[Role] = []
    for i, job in enumerate(read.objects(work, "work")):
        where = f"work[{i}]"
        start = read.text(job, "startDate", where)
        highlights = read.texts(job, "highlights", where)
        roles.append(
            Role(
                title=read.text(job, "position", where),
                employer=read.text(job, "name", where) or read.text(job, "company", where),
                location=read.text(job, "location", where),
                start=start,
                end=read.text(job, "endDate", where) or ("present" if start else ""),
                summary=read.text(job, "summary", where),
                bullets=tuple(Bullet(id=f"r{i}.b{j}", text=t) for j, t in enumerate(highlights)),
            )
        )
    return roles


def _skills(read: _Reader, skills: Any) -> list[SkillGroup]:
    groups: list[SkillGroup] = []
    ungrouped: list[str] = []
    for i, skill in enumerate(read.objects(skills, "skills")):
        where = f"skills[{i}]"
        name = read.text(skill, "name", where)
        keywords = read.texts(skill, "keywords", where)
        if keywords:
            groups.append(SkillGroup(name=name or UNGROUPED_SKILLS, items=tuple(keywords)))
        elif name:
            ungrouped.append(name)
    if ungrouped:
        groups.append(SkillGroup(name=UNGROUPED_SKILLS, items=tuple(ungrouped)))
    return groups


def _education(read: _Reader, education: Any) -> list[str]:
    out: list[str] = []
    for i, entry in enumerate(read.objects(education, "education")):
        where = f"education[{i}]"
        degree = " ".join(
            p for p in (read.text(entry, "studyType", where), read.text(entry, "area", where)) if p
        )
        year = _year(read.text(entry, "endDate", where))
        line = " — ".join(p for p in (degree, read.text(entry, "institution", where)) if p)
        out.extend([f"{line} · {year}" if year and line else line] if line else [])
    return out


def _certificates(read: _Reader, certificates: Any) -> list[str]:
    out: list[str] = []
    for i, entry in enumerate(read.objects(certificates, "certificates")):
        where = f"certificates[{i}]"
        line = " — ".join(
            p for p in (read.text(entry, "name", where), read.text(entry, "issuer", where)) if p
        )
        year = _year(read.text(entry, "date", where))
        if line:
            out.append(f"{line} ({year})" if year else line)
    return out


def _projects(read: _Reader, projects: Any) -> list[Bullet]:
    out: list[Bullet] = []
    for i, entry in enumerate(read.objects(projects, "projects")):
        where = f"projects[{i}]"
        name, description = read.text(entry, "name", where), read.text(entry, "description", where)
        text = f"{name}: {description}" if name and description else name or description
        text = " ".join([text, *read.texts(entry, "highlights", where)]).strip()
        if text:
            out.append(Bullet(id=f"p{len(out)}", text=text))
    return out


def _year(date: str) -> str:
    match = _YEAR.match(date)
    return match.group(0) if match else ""
