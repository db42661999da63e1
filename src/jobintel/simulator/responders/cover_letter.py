"""Simulated ``cover_letter`` answers: needs answered with the offered bullets, framed.

Built only from the request's data: an opening naming the role and company, one or two
paragraphs that pair a posting need with an evidence bullet ("At <employer>, I …"), and
a closing. A regeneration request (data with "rejected") drops rejected sentences.
"""

from __future__ import annotations

from typing import Any

from jobintel.simulator.responders import ResponderInput, responder

_PAST_IRREGULAR = frozenset(
    "built led ran cut set wrote grew drove made won took rebuilt brought taught shipped".split()  # noqa: SIM905 - a word list reads best as prose
)


def frame(item: dict[str, Any]) -> str:
    """An evidence bullet as a first-person sentence, its words unchanged."""
    text = " ".join(str(item.get("text", "")).split()).replace("**", "")
    if not text.endswith((".", "!", "?")):
        text += "."
    employer = str(item.get("at", ""))
    first = text.split(" ", 1)[0]
    if not employer:
        return text
    if first.istitle() and (first.lower().endswith("ed") or first.lower() in _PAST_IRREGULAR):
        return f"At {employer}, I {text[0].lower()}{text[1:]}"
    return f"At {employer}: {text}"


def _need(text: str) -> str | None:
    """A need's plain-words label, lowercased ("Scale systems and teams: …" → "scale …").

    None when the label names things (capitals, digits): a careful writer does not
    restate posting details the CV may not back.
    """
    label = text.split(": ", 1)[0].strip().rstrip(".…")
    words = label.split()
    if not words or label == "Core responsibility" or len(words) > 8:
        return None
    if any(c.isdigit() for c in label) or any(w[:1].isupper() for w in words[1:]):
        return None
    return label[:1].lower() + label[1:]


@responder("cover_letter")
def answer_cover_letter(inp: ResponderInput) -> dict[str, Any]:
    """An opening, one or two needs answered with framed bullets, and a closing."""
    data: dict[str, Any] = inp.data if isinstance(inp.data, dict) else {}
    rejected = data.get("rejected")
    dropped = " ".join(map(str, rejected)) if isinstance(rejected, list) else ""
    company = str(data.get("company") or "your company")
    title = str(data.get("title") or "open")
    raw_needs = data.get("needs")
    needs = [n for n in map(_need, map(str, raw_needs if isinstance(raw_needs, list) else [])) if n]
    raw_evidence = data.get("evidence")
    evidence = (
        [e for e in raw_evidence if isinstance(e, dict)] if isinstance(raw_evidence, list) else []
    )
    evidence = [e for e in evidence if frame(e) not in dropped]

    opening = f"I am writing to apply for the {title} role at {company}."
    paragraphs = [{"text": opening, "source_ids": []}]
    for i, item in enumerate(evidence[:2]):
        lead = f"You need someone to {needs[i]}. " if i < len(needs) else ""
        extra = [evidence[2]] if i == 1 and len(evidence) > 2 else []
        sentences = " ".join(frame(e) for e in [item, *extra])
        ids = [str(e.get("id", "")) for e in [item, *extra]]
        paragraphs.append({"text": lead + sentences, "source_ids": ids})
    if len(paragraphs) < 3:
        paragraphs.append({"text": "I would bring the same care to this role.", "source_ids": []})
    paragraphs.append(
        {
            "text": f"I would welcome a conversation about how I could help {company}. "
            "Thank you for your time and consideration.",
            "source_ids": [],
        }
    )
    return {"paragraphs": paragraphs[:4]}
