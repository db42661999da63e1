"""Simulated ``cv`` answers: the offered master-CV bullets, lightly reworded, citing their ids.

The answer is built only from the request's data, as a careful model would: the headline
from the candidate's own titles, the summary's first sentences, each bullet with its
opening verb swapped for a synonym, and the listed skills in the order given. A
regeneration request (data with "rejected") drops the bullets whose lines were rejected.
"""

from __future__ import annotations

import re
from typing import Any

from jobintel.analysis.tailoring import split_summary
from jobintel.simulator.responders import ResponderInput, responder

# Opening verbs and a synonym the matcher folds onto the same stem (see analysis.matching).
_SYNONYMS = {
    "Reduced": "Cut",
    "Cut": "Reduced",
    "Led": "Headed",
    "Lead": "Head",
    "Built": "Built",
    "Introduced": "Introduced",
    "Designed": "Designed",
    "Developed": "Built",
    "Hired": "Recruited",
    "Shipped": "Launched",
    "Released": "Launched",
}
_SKILLS = 12
_HEADLINE_WORDS = 12
_WORD = re.compile(r"^(\w+)(\b.*)$", re.DOTALL)


def reword(text: str) -> str:
    """A bullet with its opening verb swapped for a same-meaning one, facts untouched."""
    text = " ".join(text.split()).rstrip(".")
    match = _WORD.match(text)
    if match is None:
        return text
    first, rest = match.groups()
    return _SYNONYMS.get(first, first) + rest


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@responder("cv")
def answer_cv(inp: ResponderInput) -> dict[str, Any]:
    """Headline from the given titles, the summary's first sentences, every bullet reworded."""
    data: dict[str, Any] = inp.data if isinstance(inp.data, dict) else {}
    roles = _dicts(data.get("roles"))
    titles = list(dict.fromkeys(str(r["title"]) for r in roles if r.get("title")))
    headline = " · ".join(titles[:2])
    if len(headline.split()) > _HEADLINE_WORDS:
        headline = titles[0] if len(titles[0].split()) <= _HEADLINE_WORDS else ""
    summary = " ".join(split_summary(str(data.get("summary", "")))[:3])
    rejected = data.get("rejected")
    dropped = " ".join(map(str, rejected)) if isinstance(rejected, list) else ""
    bullets = []
    items = [b for r in roles for b in _dicts(r.get("bullets"))] + _dicts(data.get("projects"))
    for item in items:
        text = reword(str(item.get("text", "")))
        if text and text not in dropped:
            bullets.append({"source_id": str(item.get("id", "")), "text": text})
    skills = data.get("skills")
    chosen = [str(s) for s in skills][:_SKILLS] if isinstance(skills, list) else []
    return {"headline": headline, "summary": summary, "bullets": bullets, "skills": chosen}
