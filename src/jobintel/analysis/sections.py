"""Find the sections of a job posting: responsibilities, requirements, perks and the rest.

Headings come in many spellings ("Key Responsibilities", "What you'll do", "What we're
looking for", "Pluses", "Why join us?") and, in scraped text, are often glued onto the
sentence before them ("... respectively Requirements"). Text under a heading that does
not say which kind it is ("About the role", "Job Description"), text before the first
heading, and postings without any headings are sorted sentence by sentence by cue words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from jobintel.analysis.text import line_sentences, split_lines

__all__ = ["SectionKind", "Sections", "classify_sentence", "find_sections", "heading_kind"]

SectionKind = Literal[
    "responsibilities", "requirements", "nice_to_have", "benefits", "about_company", "other"
]
# Headings whose text is sorted sentence by sentence rather than filed whole.
_Mixed = Literal["role", "intro", "tail"]

_YOU_LL = r"you(?:'ll|'d| will| would)?"
_WE_RE = r"we(?:'re| are)"

_HEADINGS: tuple[tuple[SectionKind | _Mixed, str], ...] = (
    (
        "nice_to_have",
        r"(?:(?:additional|preferred|desired|bonus|optional|key)\s+)*(?:nice[- ]to[- ]haves?"
        r"|bonus(?: points)?|pluses|plus|preferred|desirable|good[- ]to[- ]haves?|advantageous"
        r"|appreciated)(?:\s+(?:qualifications|skills|experience|requirements))*"
        r"|it(?:'s| is| would be) (?:a )?(?:plus|bonus)(?: if(?: you have)?)?|extra credit"
        r"|even better if(?: you have)?|you may also have|bonus if you have"
        r"|what (?:would|will) make you stand out|ideally,? you(?:'ll)? (?:also )?have",
    ),
    (
        "other",
        r"(?:equal (?:employment )?opportunit(?:y|ies)(?: employer)?|eeo(?: statement)?|disclaimer"
        r"|how to apply|important notice(?: for candidates)?|work hours|location|diversity(?:"
        r" (?:&|and) inclusion)?|(?:data )?privacy notice|operating principles|success measures"
        r"|(?:hiring|interview|application|recruitment) process|next steps|informativa"
        r"|why apply through \w+)",
    ),
    (
        "role",
        r"(?:about|the|your) (?:the )?(?:role|position|job|opportunity|project)"
        r"|(?:job|role|position) (?:description|summary|overview|purpose|role)|job opportunity"
        r"|overview|the role|role|position|the challenge|project|summary|the opportunity"
        r"|descrizione del ruolo|job description",
    ),
    (
        "responsibilities",
        r"(?:(?:key|main|core|job|your|our|the|primary|principal|major|essential|daily|role"
        r"|position)\s+)*(?:roles?\s*(?:&|and)\s*)?(?:responsibilit(?:y|ies)|duties|tasks"
        r"|accountabilit(?:y|ies)|responsabilit[àa](?: principali)?)(?:\s*(?:&|and)\s*"
        r"(?:duties|tasks|accountabilit(?:y|ies)|expectations))?"
        rf"|what {_YOU_LL}(?: be)? (?:do|doing|work on|own|achieve)|what we need you to do"
        r"|what will you (?:do|be doing)"
        r"|what the (?:job|role) (?:involves|entails)|(?:in this role,? )?you will"
        rf"|your (?:impact|mission|day(?:-to-day)?)|(?:the )?impact {_YOU_LL} (?:have|make)"
        r"|day[- ]to[- ]day|(?:role|job) (?:overview )?(?:&|and) responsibilities"
        rf"|how {_YOU_LL} (?:contribute|make an impact)|(?:and )?you want to",
    ),
    (
        "requirements",
        r"(?:(?:key|main|core|job|your|our|the|basic|minimum|required|mandatory|essential"
        r"|technical|general|candidate|professional|personal|must[- ]have|applicant|skills?"
        r"(?: and| &)?)\s+)*(?:requirements?|qualifications?|skills?(?: set)?|experience"
        r"|competenc(?:y|ies)|knowledge|expertise|education|profile|background|requisiti"
        r"|competenze(?: tecniche)?)(?:\s*(?:&|and|/|,)\s*(?:requirements?|qualifications?"
        r"|skills?|experience|competenc(?:y|ies)|knowledge|education|expertise))*"
        r"(?:\s+(?:needed|required|richieste|must have))?"
        rf"|what {_YOU_LL}? (?:need|bring)|what {_WE_RE} (?:looking for|seeking)"
        r"|what we expect|what you should have|what it takes|who you are|who "
        rf"{_WE_RE} looking for|about you|you(?: should)? have|you bring|you are|if you are"
        r"|(?:our |the )?ideal (?:candidate|profile)(?: has| will have| is)?|is this you|(?:you should apply|we(?:'d| would)"
        r" love to hear from you) if(?: you have)?|must[- ]haves?"
        r"|as an ideal candidate,? you will have|you are likely a strong match if you have"
        r"|(?:technical|tech|technology) (?:environment|stack)|(?:our|the) (?:tech|technology)"
        r" stack|tools(?: \(examples\))?",
    ),
    (
        "benefits",
        r"(?:(?:our|the|your|key|employee|additional|great)\s+)*(?:benefits?|perks|rewards"
        r"|compensation|salary|package|total rewards|what we offer|we offer|our offer)"
        r"(?:\s*(?:&|and|,)\s*(?:benefits?|perks|compensation|rewards|culture))*"
        rf"|what(?:'s| is) in it for you|why (?:join|work (?:with|for)|{_YOU_LL} love)"
        r"(?: us| [\w&]+(?: [\w&]+)?)?|what you(?:'ll| will)? get|what (?:we|you) (?:can )?"
        r"offer(?: you)?|this is our emotional salary|dettagli e benefit"
        r"|benefits? of working (?:at|with|for) [\w&.\- ]+",
    ),
    (
        "about_company",
        r"about (?:us|[\w&.\-]+(?: [\w&.\-]+){0,2})|who we are|we are|company (?:description"
        r"|overview|profile)|our (?:company|mission|story|culture|values|team)|the company"
        r"|(?:the |our )?(?:client|customer)",
    ),
)
_HEADING_RES = tuple((kind, re.compile(rf"(?:{pat})", re.IGNORECASE)) for kind, pat in _HEADINGS)
_HEADING_STRIP = " \t:–-.?!*•|"
_MAX_HEADING_WORDS = 8

_RESP_VERBS = (  # noqa: SIM905 - a word list reads best as prose
    "act advise align analy[sz]e architect assess assist balance build champion coach "
    "collaborate communicate conduct contribute coordinate create debug define deliver deploy "
    "design develop document drive embed engage enable ensure establish evaluate evolve "
    "execute facilitate foster gather govern guide help hire identify implement improve "
    "influence integrate lead maintain make manage mentor monitor operate optimi[sz]e "
    "orchestrate own oversee participate partner plan present prioriti[sz]e promote provide "
    "recruit research review run scale serve set shape ship spearhead stay step supervise "
    "support take test translate troubleshoot turn use work write containeri[sz]e implement "
    "report represent prototype investigate refine resolve"
).split()
_RESPONSIBILITY_CUE = re.compile(
    rf"^(?:(?:you(?:'ll| will)|will|to|and)\s+)?(?:{'|'.join(_RESP_VERBS)})(?:e?s)?\b"
    r"|\b(?:you(?:'ll| will)|responsible for|in this role)\b",
    re.IGNORECASE,
)
_REQUIREMENT_CUE = re.compile(
    r"\b(?:\d+\s*\+?\s*(?:-\s*\d+\s*)?(?:years?|yrs)|experience (?:with|in|as|of|leading|building)"
    r"|proven|degree|bachelor|master'?s|ph\.?d|proficien\w*|knowledge of|familiar\w*"
    r"|understanding of|expertise in|background in|track record|ability to|fluent|certifi\w+"
    r"|you have|you are|hands-on experience|strong (?:\w+ )?skills|must have|experienced in)\b",
    re.IGNORECASE,
)
_NICE_CUE = re.compile(
    r"\b(?:(?:is|are|would be|as) (?:a |an )?(?:strong |big )?(?:plus|bonus|advantage)"
    r"|nice[- ]to[- ]have|preferred|desirable|advantageous|is a plus|a plus\b)",
    re.IGNORECASE,
)
_BENEFIT_CUE = re.compile(
    r"\b(?:salary|compensation|bonus(?:es)?|equity|stock options|insurance|dental|pension"
    r"|401\(?k\)?|retirement|paid time off|pto|vacation|holidays?|parental leave|maternity"
    r"|paternity|gym|wellness|learning budget|flexible (?:working|hours)|relocation"
    r"|visa sponsorship|allowance|perks|benefits|annual leave|healthcare)\b",
    re.IGNORECASE,
)
_COMPANY_CUE = re.compile(
    r"\b(?:founded|headquartered|our (?:mission|customers|clients|platform|products?|team|"
    r"people|culture|values)|we are (?:a|an|the)|(?:is|are) (?:a|an|the) (?:global|leading|"
    r"fast-growing|world)|offices? in|employees|since \d{4}|serves?|customers)\b",
    re.IGNORECASE,
)


_WE = re.compile(r"\b(?:we|our|us|we['’](?:re|ve|ll))\b", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|your|you['’](?:re|ll|ve)|candidates?)\b", re.IGNORECASE)
# A scraped last bullet often swallows the paragraphs after the list.
_MAX_BULLET_SENTENCES = 2


@dataclass(frozen=True, kw_only=True)
class Sections:
    """A posting's items (bullets or sentences), filed by the section they belong to."""

    responsibilities: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    nice_to_have: tuple[str, ...] = ()
    benefits: tuple[str, ...] = ()
    about_company: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()

    def items(self, kind: SectionKind) -> tuple[str, ...]:
        """The items of one section."""
        result: tuple[str, ...] = getattr(self, kind)
        return result


def heading_kind(text: str) -> SectionKind | _Mixed | None:
    """The section a heading announces, or None when ``text`` is not a known heading."""
    core = text.strip().lstrip("".join(ch for ch in text[:3] if not ch.isalnum()))
    core = core.strip(_HEADING_STRIP).replace("’", "'").replace("‘", "'")
    if not core or len(core) > 60 or len(core.split()) > _MAX_HEADING_WORDS:
        return None
    for kind, pattern in _HEADING_RES:
        if pattern.fullmatch(core):
            return kind
    return None


_LABEL = re.compile(r"^[A-Z][\w&/()\- ]{1,40}:\s+(?=\S)")


def classify_sentence(sentence: str) -> SectionKind:
    """The section a sentence most likely belongs to, judged from cue words alone."""
    label = _LABEL.match(sentence)
    if label and len(label.group(0).split()) <= 5:
        sentence = sentence[label.end() :]  # "Data Pipelines: Design ..." → "Design ..."
    if _NICE_CUE.search(sentence):
        return "nice_to_have"
    if _RESPONSIBILITY_CUE.search(sentence):
        return "responsibilities"
    if _REQUIREMENT_CUE.search(sentence):
        return "requirements"
    if _BENEFIT_CUE.search(sentence):
        return "benefits"
    if _COMPANY_CUE.search(sentence):
        return "about_company"
    return "other"


def _leading_heading(sentence: str) -> tuple[SectionKind | _Mixed, str] | None:
    """``"Requirements: 8+ years ..."`` → (kind, rest)."""
    head, sep, rest = sentence.partition(":")
    if not sep:
        return None
    kind = heading_kind(head)
    return (kind, rest.strip()) if kind else None


def _trailing_heading(sentence: str) -> tuple[str, SectionKind | _Mixed] | None:
    """``"... engine respectively Requirements"`` → (text before, kind)."""
    if sentence.endswith((".", "!", "?", ";", ",")):
        return None
    words = sentence.split(" ")
    for n in range(min(_MAX_HEADING_WORDS, len(words) - 1), 0, -1):
        tail = " ".join(words[-n:]).lstrip(",;.")
        if not tail[:1].isupper():
            continue
        kind = heading_kind(tail)
        if kind:
            return " ".join(words[:-n]).rstrip(), kind
    return None


@dataclass
class _Builder:
    kind: SectionKind | _Mixed = "intro"
    seen_heading: bool = False
    # Set once the current section has had bullets: prose after a bullet list has left it.
    bulleted: bool = False

    def __post_init__(self) -> None:
        self.out: dict[SectionKind, list[str]] = {
            "responsibilities": [],
            "requirements": [],
            "nice_to_have": [],
            "benefits": [],
            "about_company": [],
            "other": [],
        }
        self.headings: list[str] = []

    def heading(self, text: str, kind: SectionKind | _Mixed) -> None:
        self.kind, self.seen_heading, self.bulleted = kind, True, False
        self.headings.append(text)

    def add(self, item: str, *, is_bullet: bool) -> None:
        if is_bullet:
            self.bulleted = True
        elif self.bulleted and self.kind not in ("role", "intro", "tail"):
            self.kind = "tail"
        item = item.strip()
        if not item or not any(ch.isalpha() for ch in item):
            return
        if item.endswith(":") and len(item.split()) <= _MAX_HEADING_WORDS:
            self.headings.append(item)  # a sub-heading such as "Technology Leadership:"
            return
        target = self._file(item)
        self.out[target].append(item)

    def _file(self, item: str) -> SectionKind:
        kind = self.kind
        if kind == "requirements" and _NICE_CUE.search(item):
            return "nice_to_have"
        if kind == "tail":
            # Prose after a list: notices, calls to apply, a closing "... is a plus".
            guess = classify_sentence(item)
            return "other" if guess in ("responsibilities", "requirements") else guess
        if kind == "role" or kind == "intro":  # == narrows the Literal
            guess = classify_sentence(item)
            if (
                guess in ("responsibilities", "requirements")
                and _WE.search(item)
                and not _YOU.search(item)
            ):
                # Outside a list, "we"-sentences describe the company, not the job.
                return "about_company" if _COMPANY_CUE.search(item) else "other"
            return guess
        return kind


def find_sections(text: str) -> Sections:
    """Split a posting into sections; items are bullets or sentences of the cleaned text."""
    lines = split_lines(text)
    builder = _Builder()
    for content, is_bullet in lines:
        if not is_bullet:
            sentences = line_sentences(content)
            for i, sentence in enumerate(sentences):
                _take(builder, sentence, False, is_last=i == len(sentences) - 1)
            continue
        parts = line_sentences(content)
        if len(parts) <= _MAX_BULLET_SENTENCES:
            _take(builder, content, True, is_last=True)
            continue
        _take(builder, parts[0], True, is_last=False)
        for i, sentence in enumerate(parts[1:], start=2):
            _take(builder, sentence, False, is_last=i == len(parts))
    sections = {kind: tuple(items) for kind, items in builder.out.items()}
    if not builder.seen_heading:
        sections = _classify_all(lines)
    return Sections(**sections, headings=tuple(builder.headings))


def _take(builder: _Builder, sentence: str, is_bullet: bool, *, is_last: bool) -> None:
    kind = heading_kind(sentence)
    if kind and (not is_bullet or sentence.rstrip().endswith(":")):
        builder.heading(sentence, kind)
        return
    if not is_bullet:
        lead = _leading_heading(sentence)
        if lead:
            builder.heading(sentence[: sentence.index(":")], lead[0])
            builder.add(lead[1], is_bullet=False)
            return
    trail = _trailing_heading(sentence) if is_last else None
    if trail:
        builder.add(trail[0], is_bullet=is_bullet)
        builder.heading(sentence[len(trail[0]) :].strip(), trail[1])
        return
    builder.add(sentence, is_bullet=is_bullet)


def _classify_all(lines: list[tuple[str, bool]]) -> dict[SectionKind, tuple[str, ...]]:
    """Fallback for a posting without headings: every sentence filed by its cue words."""
    out: dict[SectionKind, list[str]] = {
        "responsibilities": [],
        "requirements": [],
        "nice_to_have": [],
        "benefits": [],
        "about_company": [],
        "other": [],
    }
    for content, is_bullet in lines:
        for sentence in [content] if is_bullet else line_sentences(content):
            out[classify_sentence(sentence)].append(sentence)
    return {kind: tuple(items) for kind, items in out.items()}
