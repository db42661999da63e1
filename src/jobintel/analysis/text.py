"""Clean scraped posting text and split it into sentences, bullets and word tokens.

Scraped postings lose their line breaks: bullets arrive as `` * `` markers, headings
are glued onto the sentence before or after them ("initiativesRequired
Qualifications", "Key ResponsibilitiesDesign ...", "needs.We are"), and pages end in a
"Show more Show less" tail. :func:`clean_text` repairs what can be repaired without a
dictionary and puts every bullet on its own ``- `` line; it is idempotent, so text that
was cleaned at ingest can be cleaned again and quotes stay substrings of it.
"""

from __future__ import annotations

import html
import re

__all__ = [
    "BULLET",
    "clean_text",
    "line_sentences",
    "split_lines",
    "split_sentences",
    "tokenize",
]

BULLET = "- "

# Structural words that end a heading; a capital glued right after one starts new text
# ("Key ResponsibilitiesDesign", "About The RoleWe are hiring").
_HEADING_TAILS = (
    "Responsibilities|Responsibility|Requirements|Qualifications|Skills|Benefits|Perks|"
    "Role|Company|Description|Overview|Offer|Profile|Information|Tasks|Duties|Are|Do|For|"
    "Environment|Compensation|Challenge|Bonus|Experience|Us|Opportunity|Summary|"
    "Accountabilities|Competencies|Mission|Details|Culture|Doing|Disclaimer"
)
# Lower-case words glued to a capital that are real spellings, not scraping damage.
_CAMEL_WORDS = frozenset({"spaCy", "fastText", "phpMyAdmin", "ownCloud", "nopCommerce"})

_TAG_BREAK = re.compile(r"<\s*(?:br|/p|/li|li|/div|/h\d|h\d|p)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{1,200}>")
_SHOW_MORE = re.compile(r"\s*Show more\s*Show less\s*$", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_RULE = re.compile(r"_{4,}|={4,}|-{4,}|\*{3,}")
_BULLET_MARK = re.compile(
    r"(?:^|[ \t]+)[*•●▪◦■►➢✓✔]\s+|(?:^|\n)[ \t]*[-+–]\s+|[ \t]*·[ \t]*(?=\S)",
    re.MULTILINE,
)
_NUMBERED = re.compile(r"(?m)^[ \t]*\d{1,2}[.)]\s+(?=\S)")
_MD_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]*")
_MD_EMPHASIS = re.compile(r"\*\*|__")
# "needs.We" / "(UAEN)Dubai" / "Why Join Us?You": a sentence end glued to the next one.
_GLUED_STOP = re.compile(
    r"(?<=[a-z0-9%)\]][.!?])(?<!\bPh\.)(?=[A-Z])|(?<=[A-Z]{2}[.!?])(?=[A-Z][a-z])"
)
_GLUED_PAREN = re.compile(r"(?<=[A-Za-z0-9]\))(?=[A-Z][a-z])|(?<=[a-z)])[;,](?=[A-Za-z])")
# "andMachine Learning", "withAPI": a short function word glued to the next word.
_GLUED_FUNCTION_WORD = re.compile(
    r"(?<![A-Za-z])(and|or|the|with|for|of|to|in|on|our|your|as|at|by|from|into|using|such|"
    r"like|including|via|than|across|within|about|through|is|are|an)(?=[A-Z])"
)
_GLUED_COLON = re.compile(r"(?<=[A-Za-z)]):(?=[A-Z])")
# "initiativesRequired": an all-lower-case word glued to a capitalised one.
_GLUED_LOWER = re.compile(r"(?<![A-Za-z])([a-z]{3,})(?=([A-Z][a-z]+))")
_GLUED_HEADING = re.compile(rf"(?<![A-Za-z])((?:{_HEADING_TAILS}))(?=[A-Z][a-z]|[A-Z]{{3}}|\d)")
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|inc|ltd|vs|approx|incl|esp|dr|mr|mrs|ms|no|nr|st|jr|sr|co|corp"
    r"|dept|min|max|yrs?|mos?|fig|ca|cf|al)|\b[A-Z])\.$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-/'’][a-z0-9+#]+)*")
_SENTENCE_PUNCT = (".", "!", "?", ":", ";")


def clean_text(s: str) -> str:
    """Repair scraped posting text: one paragraph, heading or ``- `` bullet per line.

    Idempotent: ``clean_text(clean_text(s)) == clean_text(s)``.
    """
    text = html.unescape(html.unescape(s)) if "&" in s else s
    text = _TAG.sub("", _TAG_BREAK.sub("\n", text)) if "<" in text else text
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    text = _SHOW_MORE.sub("", text)
    text = _RULE.sub("\n", text)
    text = _MD_HEADING.sub("\n", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _GLUED_STOP.sub(" ", text)
    text = _GLUED_PAREN.sub(lambda m: m.group(0) + " ", text)
    text = _GLUED_COLON.sub(": ", text)
    text = _GLUED_FUNCTION_WORD.sub(r"\1 ", text)
    text = _GLUED_LOWER.sub(_split_lower_join, text)
    text = _GLUED_HEADING.sub(r"\1\n", text)
    text = _NUMBERED.sub(BULLET, text)
    text = _BULLET_MARK.sub("\n" + BULLET, text)
    return "\n".join(_join_wrapped(text.split("\n")))


def _split_lower_join(m: re.Match[str]) -> str:
    word, nxt = m.group(1), m.group(2)
    return word if word + nxt in _CAMEL_WORDS else word + "\n"


def _join_wrapped(lines: list[str]) -> list[str]:
    """Strip lines, drop empty ones, and re-join hard-wrapped paragraph lines."""
    out: list[str] = []
    for raw in lines:
        line = raw.strip()
        if line in ("", "-"):
            continue
        wrapped = (
            out
            and line[0].islower()
            and not out[-1].endswith(_SENTENCE_PUNCT)
            and len(out[-1]) > 40
        )
        if wrapped:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def split_lines(text: str) -> list[tuple[str, bool]]:
    """Lines of cleaned text as ``(content, is_bullet)``, bullet markers removed."""
    out: list[tuple[str, bool]] = []
    for line in clean_text(text).split("\n"):
        if line.startswith(BULLET):
            body = line[len(BULLET) :].strip()
            if body:
                out.append((body, True))
        else:
            out.append((line, False))
    return out


def split_sentences(s: str) -> list[str]:
    """Sentences and bullets of ``s``, in order; each is a substring of ``clean_text(s)``."""
    out: list[str] = []
    for line, _bullet in split_lines(s):
        out.extend(line_sentences(line))
    return out


def line_sentences(line: str) -> list[str]:
    """Sentences of one already-cleaned line (no re-cleaning), each a substring of it."""
    pieces: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(line):
        candidate = line[start : m.start()]
        if _ABBREV.search(candidate):
            continue  # "e.g. Spark" / "U.S. Business": not a sentence end
        pieces.append(candidate)
        start = m.end()
    pieces.append(line[start:])
    return [p.strip() for p in pieces if any(ch.isalnum() for ch in p)]


def tokenize(s: str) -> list[str]:
    """Lower-case word tokens ("node.js", "c++", "ci/cd" stay whole), for matching."""
    return [t.replace("’", "'") for t in _TOKEN.findall(s.lower())]
