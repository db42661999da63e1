"""The skills taxonomy: find technical and soft skills in text and name them canonically.

The taxonomy ships as ``data/skills.json``. Each skill has a canonical name, a category,
case-insensitive aliases, and optionally case-sensitive (``exact``) aliases for names
that are also ordinary words ("Go", "Spark", "Swift"). An exact alias listed under
``needs_context`` only counts inside a list of other skills ("Python, Go, Rust",
"C/C++"), so "go to market" or "Series C, we ..." never name a language.

Matching is on word tokens, longest alias first: hyphens and slashes separate words
("cloud-native" = "cloud native", "CI/CD" = "CI CD"), dots and ``+``/``#`` stay inside
them ("Node.js", "C++", "C#").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Skill",
    "SkillMention",
    "Taxonomy",
    "canonical_skill",
    "find_skills",
    "find_soft_skills",
    "is_concept",
    "load_taxonomy",
    "skill_category",
    "skill_mentions",
]

_TOKEN = re.compile(r"(?:(?<![\w.])\.)?[A-Za-z0-9][A-Za-z0-9+#]*(?:[.&'’][A-Za-z0-9+#]+)*")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# What may stand between two items of a skill list: "Python, Go", "C/C++", "Go (Golang)".
_LIST_GAP = re.compile(r"^(?:[\s,/()&|;:+\-]|\band\b|\bor\b|\be\.g\.?|\bi\.e\.?)*$", re.IGNORECASE)
_MAX_LIST_GAP = 14
# "data science teams", "DevOps engineers": a mention of people, not of a skill wanted.
_PEOPLE_AFTER = re.compile(
    r"[ \t]*(?:teams?|functions?|departments?|organi[sz]ations?|orgs?|community|communities"
    r"|leaders(?:hip)?|stakeholders|partners|colleagues|counterparts|peers|practitioners"
    r"|professionals|experts|specialists|engineers|scientists|developers|architects|analysts"
    r"|ownership|hub|centers? of excellence)\b",
    re.IGNORECASE,
)
# Words that qualify a skill name without changing the skill ("RAG systems", "Kubernetes
# platforms", "enterprise-scale data architectures"), tried when a name is not an alias.
_GENERIC_TAIL = frozenset(
    """systems system stack stacks platforms platform frameworks framework services service
    tools tooling development integration integrations models model environments environment
    solutions solution patterns pattern apis deployment deployments applications application
    technologies technology techniques concepts practices principles capabilities ecosystem
    ecosystems programming workflows expertise experience skills knowledge""".split()  # noqa: SIM905 - a word list reads best as prose
)
_GENERIC_HEAD = frozenset(
    """enterprise scale enterprise-scale modern scalable large advanced cloud-based
    production production-grade robust""".split()  # noqa: SIM905 - a word list reads best as prose
)


@dataclass(frozen=True, kw_only=True)
class Skill:
    """One taxonomy entry."""

    name: str
    category: str
    aliases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    needs_context: tuple[str, ...] = ()
    concept: bool = False  # a practice or idea ("Data Pipelines"), not a named product


@dataclass(frozen=True)
class SkillMention:
    """One place a skill is named in a text: canonical name and the spelling used."""

    name: str
    start: int
    end: int
    spelling: str


@dataclass(frozen=True)
class _Token:
    text: str
    key: str
    start: int
    end: int
    hyphenated: bool


@dataclass(frozen=True)
class _Match:
    name: str
    start: int  # char offsets in the text
    end: int
    first: int  # token index
    needs_context: bool


class _Index:
    """Alias phrases → canonical name, keyed by their token sequence."""

    def __init__(self) -> None:
        self.folded: dict[str, str] = {}
        self.exact: dict[str, tuple[str, bool]] = {}
        self.vocab: set[str] = set()
        self.max_len = 1

    def add(self, phrase: str, name: str, *, exact: bool = False, context: bool = False) -> None:
        tokens = [t.text for t in _tokens(phrase, split_camel=False)]
        if not tokens:
            return
        self.max_len = max(self.max_len, len(tokens))
        self.vocab.update(_fold(t) for t in tokens)
        if exact:
            self.exact.setdefault(" ".join(tokens), (name, context))
        else:
            key = " ".join(_fold(t) for t in tokens)
            self.folded.setdefault(key, name)
            last = tokens[-1]
            plural_ok = last.isalpha() and not last.lower().endswith(("s", "x"))
            if plural_ok and (len(tokens) > 1 or len(last) > 3):
                self.folded.setdefault(key + "s", name)  # "data pipeline" → "...pipelines"

    def match(self, tokens: list[_Token], text: str) -> list[_Match]:
        """Longest-alias-first matches, left to right, with list-context rules applied."""
        found: list[_Match] = []
        i = 0
        while i < len(tokens):
            hit = self._longest(tokens, i)
            if hit is None:
                i += 1
                continue
            name, length, context = hit
            found.append(_Match(name, tokens[i].start, tokens[i + length - 1].end, i, context))
            i += length
        return _apply_context(found, text)

    def _longest(self, tokens: list[_Token], i: int) -> tuple[str, int, bool] | None:
        for length in range(min(self.max_len, len(tokens) - i), 0, -1):
            window = tokens[i : i + length]
            name = self.folded.get(" ".join(t.key for t in window))
            if name:
                return name, length, False
            exact = self.exact.get(" ".join(t.text for t in window))
            if exact:
                if exact[1] and length == 1 and window[0].hyphenated:
                    continue  # "C-suite", "go-to-market"
                return exact[0], length, exact[1]
        return None


class Taxonomy:
    """The loaded taxonomy with its match indexes."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.skills: tuple[Skill, ...] = tuple(
            Skill(
                name=s["name"],
                category=s["category"],
                aliases=tuple(s.get("aliases", ())),
                exact=tuple(s.get("exact", ())),
                needs_context=tuple(s.get("needs_context", ())),
                concept=s.get("kind") == "concept",
            )
            for s in data["skills"]
        )
        self.soft_skills: tuple[Skill, ...] = tuple(
            Skill(name=s["name"], category="soft", aliases=tuple(s.get("aliases", ())))
            for s in data["soft_skills"]
        )
        self.category: dict[str, str] = {s.name: s.category for s in self.skills}
        self.concepts: frozenset[str] = frozenset(s.name for s in self.skills if s.concept)
        self.technical = _Index()
        self.soft = _Index()
        self.lookup: dict[str, str] = {}  # folded token key of any spelling → canonical
        for skill in self.skills:
            if skill.name not in skill.exact:
                self.technical.add(skill.name, skill.name)
            for alias in skill.aliases:
                self.technical.add(alias, skill.name)
            for alias in skill.exact:
                context = alias in skill.needs_context
                self.technical.add(alias, skill.name, exact=True, context=context)
            for spelling in (skill.name, *skill.aliases, *skill.exact):
                self.lookup.setdefault(_key(spelling), skill.name)
        for skill in self.soft_skills:
            for phrase in (skill.name, *skill.aliases):
                self.soft.add(phrase, skill.name)

    def mentions(self, text: str, *, soft: bool = False) -> list[SkillMention]:
        """Every skill mention in ``text``, in order."""
        index = self.soft if soft else self.technical
        tokens = _tokens(text, split_camel=True, vocab=index.vocab)
        return [
            SkillMention(m.name, m.start, m.end, text[m.start : m.end])
            for m in index.match(tokens, text)
            if soft or not _PEOPLE_AFTER.match(text, m.end)
        ]

    def find(self, text: str, *, soft: bool = False) -> list[str]:
        return list(dict.fromkeys(m.name for m in self.mentions(text, soft=soft)))

    def canonical(self, name: str) -> str | None:
        words = _key(name).split()
        while words:
            hit = self.lookup.get(" ".join(words))
            if hit:
                return hit
            if words[-1] in _GENERIC_TAIL and len(words) > 1:
                words = words[:-1]
            elif words[0] in _GENERIC_HEAD and len(words) > 1:
                words = words[1:]
            else:
                break
        found = self.find(name)
        return found[0] if len(found) == 1 else None


def _fold(token: str) -> str:
    low = token.lower().replace("’", "'")
    return low[:-2] if low.endswith("'s") else low


def _key(phrase: str) -> str:
    return " ".join(_fold(t.text) for t in _tokens(phrase, split_camel=False))


def _tokens(text: str, *, split_camel: bool, vocab: set[str] | None = None) -> list[_Token]:
    out: list[_Token] = []
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        hyphenated = (start > 0 and text[start - 1] == "-") or text[end : end + 1] == "-"
        word = m.group(0)
        parts = _camel_parts(word, vocab) if split_camel and vocab is not None else [word]
        offset = start
        for part in parts:
            out.append(_Token(part, _fold(part), offset, offset + len(part), hyphenated))
            offset += len(part)
    return out


def _camel_parts(word: str, vocab: set[str]) -> list[str]:
    """Split scraping-glued words ("MicrosoftAzure") when both halves are skill words."""
    if _fold(word) in vocab or not _CAMEL.search(word):
        return [word]
    for cut in (m.start() for m in _CAMEL.finditer(word)):
        left, right = word[:cut], word[cut:]
        if len(left) > 2 and _fold(left) in vocab:
            rest = _camel_parts(right, vocab)
            if all(_fold(p) in vocab for p in rest):
                return [left, *rest]
    return [word]


def _apply_context(found: list[_Match], text: str) -> list[_Match]:
    """Keep a context-needing match only when a kept neighbour sits next to it in a list."""
    kept = [not m.needs_context for m in found]
    changed = True
    while changed:
        changed = False
        for i in range(len(found)):
            if kept[i]:
                continue
            for j in (i - 1, i + 1):
                if (
                    0 <= j < len(found)
                    and kept[j]
                    and _adjacent(found[min(i, j)], found[max(i, j)], text)
                ):
                    kept[i] = changed = True
                    break
    return [m for m, keep in zip(found, kept, strict=True) if keep]


def _adjacent(a: _Match, b: _Match, text: str) -> bool:
    gap = text[a.end : b.start]
    return len(gap) <= _MAX_LIST_GAP and bool(_LIST_GAP.match(gap))


@cache
def load_taxonomy() -> Taxonomy:
    """The shipped taxonomy, loaded once."""
    raw = resources.files("jobintel.analysis").joinpath("data/skills.json").read_text("utf-8")
    return Taxonomy(json.loads(raw))


def find_skills(text: str) -> list[str]:
    """Canonical names of the technical skills in ``text``, in order of first appearance."""
    return load_taxonomy().find(text)


def skill_mentions(text: str) -> list[SkillMention]:
    """Every technical-skill mention in ``text`` (repeats included), in order."""
    return load_taxonomy().mentions(text)


def is_concept(name: str) -> bool:
    """True for a practice or idea ("Data Pipelines", "RAG"), False for a named product."""
    return name in load_taxonomy().concepts


def find_soft_skills(text: str) -> list[str]:
    """Canonical names of the soft skills in ``text``, in order of first appearance."""
    return load_taxonomy().find(text, soft=True)


def canonical_skill(name: str) -> str | None:
    """The canonical name of a skill spelled any known way ("k8s" → "Kubernetes"), or None."""
    return load_taxonomy().canonical(name)


def skill_category(name: str) -> str | None:
    """The category of a skill ("language", "cloud", "llm", ...), or None if unknown."""
    canonical = canonical_skill(name)
    return load_taxonomy().category.get(canonical) if canonical else None
