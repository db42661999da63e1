"""The simulated model's answer to the fit prompt: word-overlap judgments on the evidence."""

from __future__ import annotations

from typing import Any

from jobintel.analysis.fit import MET, PARTIAL
from jobintel.analysis.matching import EvidenceUnit, best_matches, terms
from jobintel.pipeline.stages.fit import MAX_LINKS, FitLLM, RequirementJudgment
from jobintel.simulator.responders import ResponderInput, responder


def _requirements(data: Any) -> list[tuple[int, str]]:
    raw = data.get("requirements") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return []
    return sorted((int(k), v) for k, v in raw.items() if k.isdigit() and isinstance(v, str))


def _evidence(data: Any) -> list[EvidenceUnit]:
    raw = data.get("evidence") if isinstance(data, dict) else None
    items = raw if isinstance(raw, list) else []
    return [
        EvidenceUnit(item["id"], item["text"], 1.0, terms(item["text"]))
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and isinstance(item.get("text"), str)
    ]


@responder("fit")
def answer_fit(inp: ResponderInput) -> FitLLM:
    """Met, partial or gap per requirement by the best evidence's word overlap."""
    units = _evidence(inp.data)
    judgments: list[RequirementJudgment] = []
    for index, text in _requirements(inp.data):
        matches = [m for m in best_matches(text, units, limit=MAX_LINKS) if m.score >= PARTIAL]
        best = matches[0].score if matches else 0.0
        status = "met" if best >= MET else "partial" if matches else "gap"
        judgments.append(
            RequirementJudgment(i=index, status=status, bullet_ids=[m.unit.id for m in matches])
        )
    met = sum(1 for j in judgments if j.status == "met")
    partial = sum(1 for j in judgments if j.status == "partial")
    rationale = (
        f"The CV shows clear evidence for {met} of {len(judgments)} requirements "
        f"and related evidence for {partial} more."
    )
    return FitLLM(requirements=judgments, rationale=rationale)
