"""Recognise the same posting arriving twice, and tidy a raw posting into a ``Posting``."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from jobintel.models import Posting, RawPosting

UNKNOWN_COMPANY = "Unknown company"
UNTITLED_ROLE = "Untitled role"

# LinkedIn's expand/collapse buttons, scraped along with the text (often glued to it).
_SCRAPE_TAIL = re.compile(r"(?:\s*show\s*more\s*show\s*less)+\s*$", re.IGNORECASE)
# /jobs/view/<slug>-<id> or /jobs/view/<id>, and ?currentJobId=<id> on search pages.
_LINKEDIN_VIEW = re.compile(r"linkedin\.com/jobs/view/(?:[^/?#\s]*?-)?(\d{6,})(?=[/?#]|$)", re.I)
_LINKEDIN_CURRENT = re.compile(r"linkedin\.com/.*[?&]currentJobId=(\d{6,})", re.I)
_NOT_WORD = re.compile(r"[\W_]+")


def strip_scrape_tail(text: str) -> str:
    """``text`` without trailing "Show more Show less" buttons and surrounding blanks."""
    return _SCRAPE_TAIL.sub("", text).strip()


def linkedin_job_id(url: str) -> str:
    """The numeric LinkedIn job id in ``url``, or "" when it is not a LinkedIn job URL."""
    match = _LINKEDIN_VIEW.search(url) or _LINKEDIN_CURRENT.search(url)
    return match.group(1) if match else ""


def content_key(raw: RawPosting) -> str:
    """A key from company, title and description alone, ignoring case, spacing and punctuation.

    Only letters and digits of the description count, so a copy re-flowed into Markdown
    (bullets, line breaks, run-together scraped words) matches the original; ``dedupe_key``
    falls back to it when no id is known.
    """
    description = _NOT_WORD.sub("", _fold(strip_scrape_tail(raw.description)))
    description_hash = hashlib.sha256(description.encode("utf-8")).hexdigest()
    parts = ("content", _collapse(raw.company), _collapse(raw.title), description_hash)
    return _sha256("\x1f".join(parts))


def dedupe_key(raw: RawPosting) -> str:
    """A stable sha256 key: two postings with the same key are the same job.

    A LinkedIn job id in the URL identifies the job across every source, so it comes
    first; then the scraper's ``source_id``; otherwise ``content_key``.
    """
    job_id = linkedin_job_id(raw.url)
    if job_id:
        return _sha256(f"linkedin-job\x1f{job_id}")
    source_id = _collapse(raw.source_id)
    if source_id:
        return _sha256(f"source-id\x1f{source_id}")
    return content_key(raw)


def normalise_posting(raw: RawPosting) -> Posting:
    """The ``Posting`` for ``raw``: trimmed fields, no scrape tail, a dedupe key.

    An empty title or company becomes "Untitled role" / "Unknown company" so that every
    later stage can name the job; nothing else is filled in.
    """
    description = strip_scrape_tail(raw.description) or raw.description.strip()
    return Posting(
        source=raw.source,
        title=_tidy(raw.title) or UNTITLED_ROLE,
        company=_tidy(raw.company) or UNKNOWN_COMPANY,
        location=_tidy(raw.location),
        url=raw.url.strip(),
        description=description,
        criteria=raw.criteria.strip(),
        source_id=raw.source_id.strip(),
        posted_at=raw.posted_at.strip(),
        dedupe_key=dedupe_key(raw),
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _collapse(text: str) -> str:
    return " ".join(_fold(text).split())


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
