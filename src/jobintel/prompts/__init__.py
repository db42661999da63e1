"""Versioned prompt files, shipped as package data: ``prompts/<stage>.md``.

A prompt file has a small front matter (``name``, ``version``, ``max_tokens``) and two
sections, ``# system`` and ``# user``; the user section is a Jinja2 template. The data a
prompt works on (posting text, CV bullets) never goes into a template: ``StageLLM``
appends it as one JSON document inside ``<data>`` tags, so posting text is always data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined

_FRONT = re.compile(r"\A---\n(?P<front>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
_SECTION = re.compile(r"^# (system|user)\s*$", re.MULTILINE)
# Prompts are plain text for a model, never HTML; untrusted data never enters a template.
_ENV = Environment(undefined=StrictUndefined, autoescape=False)  # noqa: S701


@dataclass(frozen=True, kw_only=True)
class Prompt:
    name: str
    version: int
    max_tokens: int
    system: str
    user_template: str

    @property
    def id(self) -> str:
        """``name@vN``: recorded with each result so a changed prompt is traceable."""
        return f"{self.name}@v{self.version}"

    def render_user(self, **values: Any) -> str:
        return _ENV.from_string(self.user_template).render(**values).strip()


class PromptFileError(ValueError):
    """A shipped prompt file is malformed (a packaging bug, caught by the tests)."""


def parse_prompt(text: str, *, source: str) -> Prompt:
    match = _FRONT.match(text.replace("\r\n", "\n"))
    if match is None:
        raise PromptFileError(f"{source}: expected front matter between --- lines")
    front: dict[str, str] = {}
    for line in match["front"].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            front[key.strip()] = value.strip()
    parts = _SECTION.split(match["body"])
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    missing = [k for k in ("name", "version", "max_tokens") if k not in front]
    missing += [f"# {s}" for s in ("system", "user") if s not in sections]
    if missing:
        raise PromptFileError(f"{source}: missing {', '.join(missing)}")
    try:
        version, max_tokens = int(front["version"]), int(front["max_tokens"])
    except ValueError as exc:
        raise PromptFileError(f"{source}: version and max_tokens must be integers") from exc
    return Prompt(
        name=front["name"],
        version=version,
        max_tokens=max_tokens,
        system=sections["system"],
        user_template=sections["user"],
    )


@cache
def load_prompt(name: str) -> Prompt:
    """The shipped prompt ``name`` (e.g. ``"extract"``)."""
    resource = resources.files(__package__).joinpath(f"{name}.md")
    if not resource.is_file():
        raise PromptFileError(f"no prompt file {name}.md in jobintel.prompts")
    return parse_prompt(resource.read_text(encoding="utf-8"), source=f"prompts/{name}.md")


def available_prompts() -> list[str]:
    return sorted(
        p.name.removesuffix(".md")
        for p in resources.files(__package__).iterdir()
        if p.name.endswith(".md")
    )
