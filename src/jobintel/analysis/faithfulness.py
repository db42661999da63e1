"""The fail-closed faithfulness gate: nothing leaves jobintel that the master CV lacks.

``check_faithfulness`` is run on every line a CV or cover-letter strategy produces,
deterministic or LLM-made. A line passes only if

* it traces to one place in the master CV (a bullet, the summary, a role header, the
  skills, education, certifications or a project), and
* every concrete claim in it — numbers (counts, percentages, money), dates, employer
  names, job titles, capitalised names and technical skills — also appears in the CV.

Anything else is listed in ``rejected`` and the report fails; callers must not publish
a failed result. A percentage must be a percentage in the CV ("40%" is not backed by
"40 services").

``check_drafted`` is the stricter gate for model-written lines: each names the bullet it
rephrases, and its numbers must come from that bullet, not merely from somewhere in the
CV. Cover-letter prose may also name the target company and role, and may hold sentences
that trace nowhere as long as they claim nothing about the candidate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from jobintel.analysis.matching import STOPWORDS, coverage, cv_skill_set, cv_text, skills_in, terms
from jobintel.models.cv import MasterCV
from jobintel.models.stages import FaithfulnessReport

# A line traces to a CV unit when the unit covers this share of the line's terms.
TRACE_THRESHOLD = 0.7
_MAX_FRAME_WORDS = 8

_SECTION_HEADINGS = frozenset(
    {
        "summary",
        "experience",
        "skills",
        "education",
        "certifications",
        "projects",
        "profile",
        "work experience",
        "languages",
    }
)
_SPELLED = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
    "decade": 10,
}
_MULTIPLIER = {"k": 1000, "m": 1_000_000, "mm": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?")
_UNIT = re.compile(r"(k|mm|m|bn|b)(?![A-Za-z])", re.IGNORECASE)
# "31%", "31 percent", and the first number of a range ending in one ("12–18%").
_PERCENT = re.compile(r"\s?(?:%|percent\b|per cent\b)|[-–]\d+(?:\.\d+)?\s?%", re.IGNORECASE)
# Identifiers with digits glued to letters ("p99", "S3", "Web3") are claims too.
_ALNUM_ID = re.compile(r"(?<![\w.-])[A-Za-z]+\d[\w]*")
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})-(\d{2})(?!\d)")
_SPELLED_RE = re.compile(r"\b(" + "|".join(_SPELLED) + r")\b", re.IGNORECASE)
_CAP_GROUP = re.compile(
    r"(?<![\w.])[A-Z][\w&'.+-]*(?:\s+(?:(?:of|and|for|de|&)\s+)?[A-Z][\w&'.+-]*)*"
)
_EMPLOYER_CUE = re.compile(
    r"\b((?i:at|joined|with|for|from))\s+([A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*)*)"
)
_CORPORATE = re.compile(
    r"\b(?:GmbH|Inc|Ltd|LLC|AG|plc|Corp|Corporation|Company|Group|Labs|Technologies|"
    r"S\.A|B\.V|SAS|Oy|AB)\b\.?"
)
_TITLE_NOUN = re.compile(
    r"\b(?:engineer|developer|manager|architect|director|scientist|analyst|consultant|"
    r"designer|officer|head|lead|vp|cto|ceo|cio|cpo|president|founder)s?\b",
    re.IGNORECASE,
)
_LOWER_TITLE = re.compile(
    r"\b(?:senior|staff|principal|lead|chief|junior|head)\s+(?:[a-z-]+\s+){0,2}?"
    r"(?:engineer|developer|manager|architect|director|scientist|analyst|designer|officer)s?\b"
)
# A bullet's opening verb ("Reduced", "Cut", "Led"), so the capitalised words after it
# are checked as names of their own.
_OPENING_VERB = re.compile(
    r"[A-Z][a-z]+ed|(?:Built|Led|Ran|Cut|Set|Wrote|Grew|Drove|Made|Won|Took|Rebuilt|Brought|"
    r"Taught|Shipped|Spent|Began|Oversaw|Kept|Held|Lead|Leads|Own|Owns|Run|Runs|Build|Builds|"
    r"Design|Designs|Drive|Drives|Ship|Ships|Scale|Scales|Manage|Manages|Migrate|Migrates|"
    r"Hire|Hires|Cutting|Leading|Building|Running|Owning|Designing|Moving|Using)"
)
_ALWAYS_OK = frozenset({"I", "I'm", "I've", "My", "A", "An", "The"})


def _normalise(text: str) -> str:
    """Markdown-free, dash/quote-unified, lowercase text with single spaces."""
    t = re.sub(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+\.\s+)", "", text)
    t = t.replace("**", "").replace("__", "").replace("`", "")
    t = re.sub(r"[‐‑‒–—−]", "-", t)
    t = t.replace("’", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", t).strip().lower()


def _numbers(text: str) -> list[tuple[str, Decimal, bool]]:
    """(as written, value, is a percentage) for every number in a text, dates excluded."""
    text = _DATE.sub(" ", text)
    out: list[tuple[str, Decimal, bool]] = []
    for m in _NUMBER.finditer(text):
        whole, frac = m.group(1), m.group(2) or ""
        unit_m = _UNIT.match(text, m.end())
        unit = unit_m.group(1).lower() if unit_m else ""
        try:
            value = Decimal(whole.replace(",", "") + frac)
        except InvalidOperation:  # pragma: no cover - the regex only admits digits
            continue
        percent = _PERCENT.match(text, m.end()) is not None
        out.append((m.group(0) + unit, value * _MULTIPLIER.get(unit, 1), percent))
    for m in _SPELLED_RE.finditer(text):
        percent = _PERCENT.match(text, m.end()) is not None
        out.append((m.group(0), Decimal(_SPELLED[m.group(1).lower()]), percent))
    return out


@dataclass(frozen=True, slots=True)
class _Unit:
    id: str
    norm: str
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Truth:
    """Everything the CV states, in the forms the checks compare against."""

    text: str
    numbers: frozenset[Decimal]
    percents: frozenset[Decimal]
    dates: frozenset[str]
    skills: frozenset[str]
    employers: tuple[str, ...]
    units: tuple[_Unit, ...]


def _unit(uid: str, text: str) -> _Unit:
    return _Unit(uid, _normalise(text), terms(text))


@lru_cache(maxsize=16)
def _truth(cv: MasterCV) -> _Truth:
    raw = cv_text(cv)
    units: list[_Unit] = [_unit("name", cv.name)]
    if cv.contact:
        units.append(_unit("contact", cv.contact))
    if cv.summary:
        units.append(_unit("summary", cv.summary))
    units.append(_unit("headline", " · ".join(r.title for r in cv.roles)))
    for i, role in enumerate(cv.roles):
        header = role_header(role.title, role.employer, role.location, role.start, role.end)
        units.append(_unit(f"r{i}", header))
        context = f"{role.title} {role.employer} {role.location}"
        for b in role.bullets:
            units.append(_Unit(b.id, _normalise(b.text), terms(b.text) | terms(context)))
    units.extend(_unit(p.id, p.text) for p in cv.projects)
    for i, group in enumerate(cv.skills):
        units.append(_unit(f"skills.{i}", f"{group.name}: {', '.join(group.items)}"))
    units.append(_unit("skills", ", ".join(cv.skill_names())))
    units.extend(_unit(f"education.{i}", e) for i, e in enumerate(cv.education))
    units.extend(_unit(f"certifications.{i}", c) for i, c in enumerate(cv.certifications))
    orgs = [r.employer for r in cv.roles]
    # Schools and certifying bodies are organisations the CV names too.
    orgs.extend(part.split("·")[0].strip() for e in cv.education for part in e.split("—")[1:])
    return _Truth(
        text=_normalise(raw),
        numbers=frozenset(v for _, v, _ in _numbers(raw)),
        percents=frozenset(v for _, v, pct in _numbers(raw) if pct),
        dates=frozenset(f"{y}-{m}" for y, m in _DATE.findall(raw)),
        skills=cv_skill_set(cv),
        employers=tuple(_normalise(o) for o in orgs if o),
        units=tuple(units),
    )


def role_header(title: str, employer: str, location: str, start: str, end: str) -> str:
    """The one-line role header used in rendered CVs (and recognised by the gate)."""
    head = f"{title} — {employer}"
    if location:
        head += f" ({location})"
    if start or end:
        head += f" · {start} – {end}" if start and end else f" · {start or end}"
    return head


def _in_cv(phrase: str, truth: _Truth) -> bool:
    p = _normalise(phrase)
    return bool(p) and re.search(r"(?<!\w)" + re.escape(p) + r"(?!\w)", truth.text) is not None


def _sentence_initial(line: str, start: int) -> bool:
    before = re.sub(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\*\*)", "", line[:start]).rstrip(" *\"'(")
    return before == "" or before.endswith((".", "!", "?", ":", ";"))


def _claims(line: str, truth: _Truth) -> list[str]:
    """Concrete claims in ``line`` that the CV does not make."""
    bad: list[str] = []
    for y, m in _DATE.findall(line):
        if f"{y}-{m}" not in truth.dates:
            bad.append(f"date '{y}-{m}'")
    for written, value, percent in _numbers(line):
        if value not in truth.numbers:
            bad.append(f"number '{written}'")
        elif percent and value not in truth.percents:
            # "40%" is not backed by "40 services": a share must be a share in the CV too.
            bad.append(f"percentage '{written}%'")
    for skill in skills_in(line):
        if skill.lower() not in truth.skills and not _in_cv(skill, truth):
            bad.append(f"skill '{skill}'")
    for m in _EMPLOYER_CUE.finditer(line):
        org = _normalise(m.group(2))
        if any(org in e or e in org for e in truth.employers):
            continue
        # "at X" / "joined X" names a workplace; "with/for/from X" only when X is a company.
        if m.group(1).lower() in ("at", "joined") or _CORPORATE.search(m.group(2)):
            bad.append(f"employer '{m.group(2)}'")
    for m in _ALNUM_ID.finditer(line):
        if not _in_cv(m.group(0), truth):
            bad.append(f"identifier '{m.group(0)}'")
    for m in _CAP_GROUP.finditer(line):
        phrase = m.group(0).rstrip(".'")
        first, _, rest = phrase.partition(" ")
        initial = _sentence_initial(line, m.start())
        if rest and initial and (first.lower() in STOPWORDS or _OPENING_VERB.fullmatch(first)):
            # "At Parcelwise" is "Parcelwise", "Cut AWS" is "AWS": an ordinary first word,
            # then a name that is no longer sentence-initial.
            phrase, initial = rest, False
        if phrase in _ALWAYS_OK or _in_cv(phrase, truth):
            continue
        single = " " not in phrase
        if single and initial and not phrase.isupper():
            continue  # an ordinary capitalised first word
        if any(phrase in b for b in bad):
            continue
        kind = "employer" if _CORPORATE.search(phrase) else "name"
        if _TITLE_NOUN.search(phrase):
            kind = "title"
        bad.append(f"{kind} '{phrase}'")
    for m in _LOWER_TITLE.finditer(line):
        if not _in_cv(m.group(0), truth):
            bad.append(f"title '{m.group(0)}'")
    return bad


def _trace(line: str, units: Sequence[_Unit]) -> str | None:
    """The id of the CV unit (among ``units``) this line comes from, or None."""
    norm = _normalise(line)
    for u in units:
        if norm == u.norm or (len(norm) >= 12 and norm in u.norm):
            return u.id
    for u in units:
        # A framed bullet ("At <employer>, I …") may add a few words around it, no more.
        unit = u.norm.rstrip(".")
        framed = len(unit) >= 20 and unit in norm
        if framed and len(norm.replace(unit, " ").split()) <= _MAX_FRAME_WORDS:
            return u.id
    line_terms = terms(line)
    best_id, best = None, 0.0
    for u in units:
        score = coverage(line_terms, u.terms)
        if score > best:
            best_id, best = u.id, score
    return best_id if best >= TRACE_THRESHOLD else None


def _skippable(line: str) -> bool:
    stripped = line.strip()
    if not stripped or set(stripped) <= set("-*_=#| "):
        return True
    heading = re.match(r"^#{2,6}\s+(.*)$", stripped)
    return heading is not None and heading.group(1).strip().lower() in _SECTION_HEADINGS


def check_faithfulness(lines: Sequence[str], cv: MasterCV) -> FaithfulnessReport:
    """Check that every line traces to ``cv`` and claims nothing it lacks (fail-closed)."""
    truth = _truth(cv)
    mapping: dict[str, str] = {}
    rejected: list[str] = []
    for line in lines:
        if _skippable(line):
            continue
        source = _trace(line, truth.units)
        if source is None:
            rejected.append(f"untraced line: {line.strip()}")
        else:
            mapping[line] = source
        rejected.extend(
            f"{claim} is not in the master CV: {line.strip()}" for claim in _claims(line, truth)
        )
    return FaithfulnessReport(passed=not rejected, mapping=mapping, rejected=tuple(rejected))


# --- model-written lines -----------------------------------------------------------------

# A sentence about the candidate's record: "I led", "I have built", "we shipped", "my
# background", "I bring". Only lines that trace to the CV may say such things.
_RECORD_CLAIM = re.compile(
    r"\b(?:I|[Ww]e|[Mm]y team|[Oo]ur team)\s+(?:(?:have|had|also|then|personally)\s+)*"
    r"(?:[a-z]+ed|built|led|ran|cut|set|wrote|grew|drove|made|won|took|rebuilt|brought|"
    r"taught|shipped|spent|began|oversaw|kept|held|did|been|bring|offer|know|am an?)\b"
    r"|\bI(?:'ve|’ve)\b|\b[Mm]y\s+(?:experience|background|record|track record|career|years|"
    r"expertise|skills?)\b",
)


@dataclass(frozen=True, slots=True)
class Draft:
    """One model-written line and the master-CV ids it says it rests on."""

    text: str
    sources: tuple[str, ...] = ()
    #: Cover-letter prose: the line may trace nowhere if it makes no claim at all.
    frame: bool = False


def _mask(line: str, allowed: Sequence[str]) -> str:
    """``line`` with the posting's own names (company, role title) blanked out."""
    for phrase in sorted({a.strip() for a in allowed if len(a.strip()) >= 2}, key=len)[::-1]:
        # "it" is a stopword: a masked name adds neither terms nor claims.
        line = re.sub(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", "it", line, flags=re.I)
    return line


def _scoped_numbers(line: str, scope: Sequence[_Unit], cv: MasterCV) -> list[str]:
    """Numbers in ``line`` that none of the bullets in ``scope`` states (inflation)."""
    texts = {b.id: b.text for b in cv.all_bullets()}
    stated = [n for u in scope for n in _numbers(texts[u.id])]
    values = {v for _, v, _ in stated}
    percents = {v for _, v, pct in stated if pct}
    cited = ", ".join(u.id for u in scope)
    return [
        f"number '{written}{'%' if percent else ''}' is not in {cited}"
        for written, value, percent in _numbers(line)
        if value not in values or (percent and value not in percents)
    ]


def check_drafted(
    drafts: Sequence[Draft], cv: MasterCV, *, allowed: Sequence[str] = ()
) -> FaithfulnessReport:
    """The gate for model-written lines: each must trace to the CV and claim nothing else.

    A line that cites ids must trace to one of them (else to any CV line), and its numbers
    must appear in the bullets it traces to, so "40%" fails against a bullet saying "25%"
    even if the CV says "40" elsewhere. ``allowed`` names (the target company and role)
    may be mentioned. A ``frame`` line may trace nowhere only if it makes no claim and
    says nothing about the candidate's record.
    """
    truth = _truth(cv)
    by_id = {u.id: u for u in truth.units}
    bullet_ids = {b.id for b in cv.all_bullets()}
    mapping: dict[str, str] = {}
    rejected: list[str] = []
    for draft in drafts:
        line = draft.text
        if _skippable(line):
            continue
        masked = _mask(line, allowed)
        cited = [by_id[s] for s in draft.sources if s in by_id]
        source = _trace(masked, cited) or _trace(masked, truth.units)
        claims = [f"{c} is not in the master CV" for c in _claims(masked, truth)]
        if source is None:
            if not (draft.frame and not claims and not _RECORD_CLAIM.search(masked)):
                rejected.append(f"untraced line: {line.strip()}")
        else:
            mapping[line] = source
            # Numbers must come from the bullet the line traces to (or the ones it cites).
            if source in bullet_ids and by_id[source] in cited:
                scope = [u for u in cited if u.id in bullet_ids]
            else:
                scope = [by_id[source]] if source in bullet_ids else []
            if scope and not claims:
                claims = _scoped_numbers(masked, scope, cv)
        rejected.extend(f"{claim}: {line.strip()}" for claim in claims)
    return FaithfulnessReport(passed=not rejected, mapping=mapping, rejected=tuple(rejected))
