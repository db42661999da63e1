"""The simulated model's answer to the pain_points prompt: need cues in the numbered sentences."""

from __future__ import annotations

from typing import Any

from jobintel.analysis.pain_points import CUES, Cue
from jobintel.pipeline.stages.pain_points import MAX_ITEMS, PainPointLLM, PainPointsLLM
from jobintel.simulator.responders import ResponderInput, responder

_PER_NEED = 2
_FILL = 3


def _sentences(data: Any) -> list[tuple[int, str]]:
    raw = data.get("sentences") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return []
    out = [(int(k), v) for k, v in raw.items() if k.isdigit() and isinstance(v, str)]
    return sorted(out)


def _weight(cue: Cue) -> int:
    """Cue strength (1.0–2.0) on the prompt's 1–5 scale."""
    return max(1, min(5, round((cue.strength - 1.0) * 4) + 1))


@responder("pain_points")
def answer_pain_points(inp: ResponderInput) -> PainPointsLLM:
    """The strongest need cue of each sentence, strongest first, at most two per need."""
    scored: list[tuple[int, int, Cue]] = []
    sentences = _sentences(inp.data)
    for index, sentence in sentences:
        hits = [cue for cue in CUES if cue.pattern.search(sentence)]
        if hits:
            best = max(hits, key=lambda cue: cue.strength)
            scored.append((-_weight(best), index, best))
    items: list[PainPointLLM] = []
    per_need: dict[str, int] = {}
    for negative_weight, index, cue in sorted(scored, key=lambda t: (t[0], t[1])):
        if per_need.get(cue.need, 0) >= _PER_NEED:
            continue
        per_need[cue.need] = per_need.get(cue.need, 0) + 1
        items.append(
            PainPointLLM(text=cue.need, kind=cue.kind, sentence=index, weight=-negative_weight)
        )
        if len(items) == MAX_ITEMS:
            break
    if not items:
        items = [
            PainPointLLM(text="Deliver the core work", kind="strategic_need", sentence=i, weight=2)
            for i, _ in sentences[:_FILL]
        ]
    return PainPointsLLM(items=items)
