"""The simulator's answer to the ``company`` prompt: a summary and signals from the sources."""

from __future__ import annotations

import re
from typing import Any

from jobintel.pipeline.stages.company import CompanyLLM, CompanySignalLLM, SignalType
from jobintel.simulator.responders import ResponderInput, responder

_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_CUES: tuple[tuple[SignalType, re.Pattern[str]], ...] = (
    ("funding", re.compile(r"\braise[sd]?\b|\bfunding\b|\bseries [a-f]\b|\binvest", re.I)),
    ("launch", re.compile(r"\blaunch|\bunveil|\breleas|\bintroduc", re.I)),
    ("layoffs", re.compile(r"\blayoffs?\b|\blaid off\b|\bjob cuts\b|\bredundanc", re.I)),
    ("leadership", re.compile(r"\b(?:ceo|cto|cfo|appoint|names? new|hires? .* as)\b", re.I)),
    ("partnership", re.compile(r"\bpartner|\bcollaborat|\bteams up\b", re.I)),
    ("hiring", re.compile(r"\bhiring\b|\bnew office\b|\bexpand|\bheadcount\b", re.I)),
)
_DATE = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])(?:-(\d\d))?\b")
# A dateline the page puts before its first sentence ("2026-03-12 On 2026-03-12, ...").
_DATELINE = re.compile(r"^(?:20\d\d-\d\d(?:-\d\d)?\s+)+")


@responder("company")
def company(request: ResponderInput) -> dict[str, Any]:
    """Summary from the first sentences of the first source (or the posting excerpt)."""
    data = request.data if isinstance(request.data, dict) else {}
    sources = [s for s in data.get("sources") or [] if isinstance(s, dict)]
    name = str(data.get("company") or "The company")
    first = str(sources[0].get("text", "")) if sources else str(data.get("posting", ""))
    opening = [s for s in _sentences(first) if len(s) > 20][:2]
    summary = " ".join(opening) or f"{name} is the employer named in the posting."
    signals: list[CompanySignalLLM] = []
    for index, source in enumerate(sources):
        for sentence in _sentences(str(source.get("text", ""))):
            kind = next((k for k, rx in _CUES if rx.search(sentence)), None)
            cited = any(s.source == index and s.type == kind for s in signals)
            if kind is not None and not cited and len(signals) < 6:
                date = _DATE.search(sentence)
                signals.append(
                    CompanySignalLLM(
                        type=kind,
                        text=sentence[:280],
                        date=date.group(0) if date else None,
                        source=index,
                    )
                )
    return CompanyLLM(summary=summary, signals=signals).model_dump()


def _sentences(text: str) -> list[str]:
    return [_DATELINE.sub("", s) for s in _SENTENCES.split(" ".join(text.split()))]
