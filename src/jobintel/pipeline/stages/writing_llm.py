"""What the cv and cover_letter LLM strategies share: the evidence they send and the gate loop.

A writing strategy asks the model for a small answer, builds the stage output from it in
code (names, employers, titles and dates always come from the master CV), and runs the
faithfulness gate on every line the model wrote. A rejected answer is regenerated once,
with the rejected lines and the reasons in the data; a second rejection raises
``FaithfulnessRejected``, so the runner publishes the deterministic output instead. A
result that failed the gate is never returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from jobintel.analysis.tailoring import bullet_relevance, split_summary
from jobintel.errors import StrategyUnavailable
from jobintel.models import ExtractedJD, FaithfulnessReport, FitAssessment, PainPoints
from jobintel.models.cv import Bullet, MasterCV
from jobintel.pipeline.llm import StageLLM
from jobintel.pipeline.stages._llm_text import clip as _clip
from jobintel.pipeline.stages._llm_text import one_line
from jobintel.prompts import Prompt

S = TypeVar("S", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)

#: Rejections sent back with a regeneration request (each clipped), and named in errors.
FEEDBACK_ITEMS = 8
_FEEDBACK_CHARS = 220
_ERROR_ITEMS = 3
_ABBREVIATIONS = ("Sr.", "Jr.", "Dr.", "Mr.", "Mrs.", "Ms.", "St.", "Inc.", "Ltd.", "Co.", "Corp.",
                  "e.g.", "i.e.", "etc.", "vs.", "No.")  # fmt: skip


class FaithfulnessRejected(StrategyUnavailable):
    """The model's writing claimed something the master CV does not say, even when regenerated."""


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to ``limit`` characters (marked "…")."""
    return _clip(one_line(text), limit)


def relevant_bullets(
    jd: ExtractedJD,
    fit: FitAssessment,
    pains: PainPoints,
    cv: MasterCV,
    *,
    limit: int,
    max_chars: int,
    per_role: bool,
) -> list[Bullet]:
    """The most relevant master-CV bullets (fit evidence, pain points), in CV order.

    At most ``limit`` bullets and about ``max_chars`` of text (the token budget). With
    ``per_role`` every role (newest first) gets its best bullet before the rest are filled
    by relevance, so a tailored CV never shows a role with nothing under it.
    """
    relevance = bullet_relevance(jd, fit, pains, cv)
    # sorted() is stable: equally relevant bullets keep their CV order.
    ranked = sorted(cv.all_bullets(), key=lambda b: -relevance[b.id])
    firsts = [next((b for b in ranked if b in r.bullets), None) for r in cv.roles]
    queue = [b for b in firsts if b is not None] if per_role else []
    chosen: dict[str, None] = {}
    used = 0
    for b in [*queue, *ranked]:
        if len(chosen) >= limit:
            break
        if b.id in chosen or (chosen and used + len(b.text) > max_chars):
            continue
        chosen[b.id] = None
        used += len(b.text)
    return [b for b in cv.all_bullets() if b.id in chosen]


def ranked_needs(pains: PainPoints, *, limit: int, chars: int) -> list[str]:
    """The most pressing pain points' texts, clipped; ties keep the stage's order."""
    ranked = sorted(pains.items, key=lambda p: -p.score)
    return [clip(p.text, chars) for p in ranked[:limit]]


def sentences(text: str, *, keep: Sequence[str] = ()) -> list[str]:
    """The sentences of a paragraph, never split inside ``keep`` names ("Sr. Engineer")."""
    protected = sorted({k for k in (*keep, *_ABBREVIATIONS) if "." in k}, key=len, reverse=True)
    if not protected:
        return split_summary(text)
    hidden: list[str] = []

    def hide(match: re.Match[str]) -> str:
        hidden.append(match.group(0))
        return f"\x00{len(hidden) - 1}\x00"

    pattern = "|".join(r"(?<!\w)" + re.escape(k) for k in protected)
    masked = re.sub(pattern, hide, text)
    return [
        re.sub("\x00(\\d+)\x00", lambda m: hidden[int(m.group(1))], part)
        for part in split_summary(masked)
    ]


def _short(rejection: str) -> str:
    """One rejection as a short reason: the claim, or the start of an untraced line."""
    if rejection.startswith("untraced line: "):
        return clip(rejection, 80)
    return rejection.split(": ", 1)[0]


def rejection_summary(report: FaithfulnessReport) -> str:
    """The first few rejected claims, for an error message or a log line."""
    shown = "; ".join(_short(r) for r in report.rejected[:_ERROR_ITEMS])
    more = len(report.rejected) - _ERROR_ITEMS
    return shown + (f" (+{more} more)" if more > 0 else "")


async def write_gated(
    llm: StageLLM,
    prompt: Prompt,
    data: Mapping[str, Any],
    schema: type[S],
    build: Callable[[S], tuple[Out, FaithfulnessReport]],
) -> Out:
    """The stage output ``build`` makes from the model's answer, once the gate passes it.

    Regenerates once when the gate rejects the first answer; raises
    ``FaithfulnessRejected`` (a ``StrategyUnavailable``) when it rejects the second.
    """
    answer = await llm.structured(prompt, data, schema, regenerate=False)
    output, report = build(answer)
    if report.passed:
        return output
    feedback = [clip(r, _FEEDBACK_CHARS) for r in report.rejected[:FEEDBACK_ITEMS]]
    answer = await llm.structured(prompt, {**data, "rejected": feedback}, schema, regenerate=True)
    output, report = build(answer)
    if report.passed:
        return output
    raise FaithfulnessRejected(
        f"the faithfulness gate rejected the {prompt.name} written by {llm.route} twice: "
        f"{rejection_summary(report)}"
    )
