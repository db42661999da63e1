"""Similarity between posting text and master-CV evidence, 0..1, skill-alias aware.

The score is *weighted query coverage*: the share of a requirement's meaningful terms
that a piece of evidence also contains. Words are light-stemmed ("leading", "led" and
"leads" all become "lead"), a few concept words are folded together ("coach" counts as
"mentor"), generic job-ad words ("experience", "strong") weigh little, and every skill
the taxonomy finds in a text adds a canonical ``skill:`` term that weighs most, so
"k8s" in a posting matches "Kubernetes" in a CV.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from jobintel.analysis.skills import find_skills
from jobintel.models.cv import MasterCV

SKILL_PREFIX = "skill:"
_SKILL_WEIGHT = 2.5
_GENERIC_WEIGHT = 0.25

_WORD = re.compile(r"[a-z][a-z0-9+#]*(?:[.\-/][a-z0-9+#]+)*|\d+(?:[.,]\d+)*")

STOPWORDS = frozenset(
    """a about above across after again against all also am an and any are as at be been
    before being below between both but by can could did do does doing down during each
    etc few for from further had has have having he her here hers him his how i if in
    into is it its itself just me more most my no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up very via was we
    were what when where which while who whom why will with within would you your yours
    e.g i.e ie eg using use used well across including include includes like per plus
    must may able etc. one""".split()  # noqa: SIM905 - a word list reads best as prose
)

# Words every posting uses; they say little about whether evidence fits.
_GENERIC_WORDS = frozenset(
    """experience experienc year years strong strongly knowledge ability abilit skill
    skills work working worked proven excellent good great solid deep understanding
    familiarity familiar relevant related field role team teams environment environments
    opportunit opportunity candidate ideal plus preferred required requirement
    requirements responsib responsible responsibilit demonstrated track record hands-on
    level equivalent similar various multiple new key other across high highly effective
    effectively best practice practices ensure support etc within using based design
    build develop maintain implement create provide collaborate closely drive deliver
    help use case cases""".split()  # noqa: SIM905 - a word list reads best as prose
)

_IRREGULAR = {
    "led": "lead",
    "leading": "lead",
    "leads": "lead",
    "built": "build",
    "ran": "run",
    "wrote": "write",
    "written": "write",
    "grew": "grow",
    "grown": "grow",
    "drove": "drive",
    "driven": "drive",
    "made": "make",
    "began": "begin",
    "begun": "begin",
    "taught": "teach",
    "brought": "bring",
    "thought": "think",
    "chose": "choose",
    "chosen": "choose",
    "shipped": "ship",
    "analyses": "analysis",
    "people": "person",
}

# Words that mean the same thing for matching purposes, folded onto one stem.
_CONCEPTS = {
    "coach": "mentor",
    "cut": "reduc",
    "decreas": "reduc",
    "minimiz": "reduc",
    "recruit": "hire",
    "spend": "cost",
    "expens": "cost",
    "costs": "cost",
    "optimis": "optimiz",
    "architectur": "architect",
    "deploy": "ship",
    "releas": "ship",
    "launch": "ship",
    "productionis": "production",
    "productioniz": "production",
    "manag": "manage",
    "head": "lead",
    "supervis": "manage",
    "monitor": "observ",
    "degre": "degree",
    "master": "degree",
    "bachelor": "degree",
    "m.sc": "degree",
    "b.sc": "degree",
    "msc": "degree",
    "bsc": "degree",
    "phd": "degree",
    "llms": "llm",
    "genai": "llm",
    "generativ": "llm",
}

_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("izations", "iz"),
    ("isations", "iz"),
    ("ization", "iz"),
    ("isation", "iz"),
    ("ational", "ate"),
    ("izing", "iz"),
    ("ising", "iz"),
    ("ized", "iz"),
    ("ised", "iz"),
    ("izes", "iz"),
    ("ises", "iz"),
    ("ize", "iz"),
    ("ise", "iz"),
    ("ibility", ""),
    ("ability", ""),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ible", ""),
    ("able", ""),
    ("iness", "y"),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ers", ""),
    ("er", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """A light, deterministic stem of one lowercase word ("scaling" → "scal")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return _CONCEPTS.get(word, word)
    out = word
    for suffix, repl in _SUFFIXES:
        if out.endswith(suffix) and len(out) - len(suffix) + len(repl) >= 3:
            if suffix == "s" and out.endswith(("ss", "us", "is")):
                continue
            out = out[: len(out) - len(suffix)] + repl
            break
    if len(out) > 4 and out.endswith("e"):
        out = out[:-1]
    return _CONCEPTS.get(out, out)


def words(text: str) -> list[str]:
    """Lowercase word tokens of a text, in order (punctuation dropped, '+'/'#' kept)."""
    return _WORD.findall(text.lower().replace("’", "'"))


@lru_cache(maxsize=8192)
def skills_in(text: str) -> tuple[str, ...]:
    """Canonical skills the taxonomy finds in a text, cached because the same CV and
    posting lines are matched many times."""
    return tuple(find_skills(text))


@lru_cache(maxsize=8192)
def terms(text: str) -> frozenset[str]:
    """The matching terms of a text: stems of its content words plus ``skill:`` terms."""
    out = {stem(w) for w in words(text) if w not in STOPWORDS}
    out.update(SKILL_PREFIX + s.lower() for s in skills_in(text))
    return frozenset(t for t in out if t)


# Compared against stems, so stemmed once here.
_GENERIC = frozenset(stem(w) for w in _GENERIC_WORDS)


def weight(term: str) -> float:
    """How much one term counts when measuring coverage."""
    if term.startswith(SKILL_PREFIX):
        return _SKILL_WEIGHT
    if term in _GENERIC or term.isdigit():
        return _GENERIC_WEIGHT
    return 1.0


def coverage(query: frozenset[str], doc: frozenset[str]) -> float:
    """Weighted share of ``query`` terms present in ``doc`` (0 when query is empty)."""
    total = sum(weight(t) for t in query)
    if total == 0:
        return 0.0
    hit = sum(weight(t) for t in query & doc)
    return hit / total


def similarity(query: str, doc: str) -> float:
    """Weighted coverage of the query text's terms by the document text, 0..1."""
    return coverage(terms(query), terms(doc))


@dataclass(frozen=True, slots=True)
class EvidenceUnit:
    """One piece of CV evidence: an id, its text, and how strong a source it is."""

    id: str
    text: str
    strength: float
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class Match:
    unit: EvidenceUnit
    score: float


# Skill lists and the summary are claims without a story behind them, so they count
# for less than an achievement bullet with the same words.
SKILLS_STRENGTH = 0.6
SUMMARY_STRENGTH = 0.7
RANK_TERMS = terms("senior staff principal lead head junior engineer manager developer software")
EDUCATION_STRENGTH = 0.6


@lru_cache(maxsize=16)
def evidence_units(cv: MasterCV) -> tuple[EvidenceUnit, ...]:
    """Every place in the CV that can back a requirement, strongest kinds first."""
    units: list[EvidenceUnit] = []
    for role in cv.roles:
        # A bullet inherits its role's domain words ("Data", "Machine Learning"), not
        # its rank words, so "data pipelines" matches a pipeline built in a data role.
        domain = terms(role.title) - RANK_TERMS
        for b in role.bullets:
            units.append(EvidenceUnit(b.id, b.text, 1.0, terms(b.text) | domain))
    for p in cv.projects:
        units.append(EvidenceUnit(p.id, p.text, 1.0, terms(p.text)))
    if cv.summary:
        units.append(EvidenceUnit("summary", cv.summary, SUMMARY_STRENGTH, terms(cv.summary)))
    for i, group in enumerate(cv.skills):
        text = f"{group.name}: {', '.join(group.items)}"
        units.append(EvidenceUnit(f"skills.{i}", text, SKILLS_STRENGTH, terms(text)))
    for i, line in enumerate(cv.education):
        units.append(EvidenceUnit(f"education.{i}", line, EDUCATION_STRENGTH, terms(line)))
    for i, line in enumerate(cv.certifications):
        units.append(EvidenceUnit(f"certifications.{i}", line, EDUCATION_STRENGTH, terms(line)))
    return tuple(units)


def best_matches(
    query: str, units: Sequence[EvidenceUnit], *, limit: int = 3, floor: float = 0.0
) -> list[Match]:
    """The ``limit`` best units for a query, scored by coverage × source strength.

    Ties break on CV order so the result is stable.
    """
    q = terms(query)
    scored = [Match(u, round(coverage(q, u.terms) * u.strength, 4)) for u in units]
    ranked = sorted(
        (m for m in scored if m.score > floor), key=lambda m: -m.score
    )  # sorted() is stable: equal scores keep CV order
    return ranked[:limit]


def cv_skill_set(cv: MasterCV) -> frozenset[str]:
    """Lowercase canonical skills mentioned anywhere in the CV."""
    return frozenset(s.lower() for s in skills_in(cv_text(cv)))


@lru_cache(maxsize=16)
def cv_text(cv: MasterCV) -> str:
    """All of the CV's text as one string (the ground truth for any claim)."""
    parts: list[str] = [cv.name, cv.contact, cv.summary]
    for role in cv.roles:
        parts.extend([role.title, role.employer, role.location, role.start, role.end])
        parts.append(role.summary)
        parts.extend(b.text for b in role.bullets)
    for group in cv.skills:
        parts.append(f"{group.name}: {', '.join(group.items)}")
    parts.extend(cv.education)
    parts.extend(cv.certifications)
    parts.extend(p.text for p in cv.projects)
    return "\n".join(p for p in parts if p)


def term_union(texts: Iterable[str]) -> frozenset[str]:
    """All terms of several texts together."""
    out: set[str] = set()
    for t in texts:
        out |= terms(t)
    return frozenset(out)
