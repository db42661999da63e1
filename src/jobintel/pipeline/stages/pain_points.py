"""pain_points: the employer's needs, ranked, each quoting the sentence it rests on.

The LLM strategy shows the model the posting's sentences by number and asks which needs
they state; it never asks for a quote. Each item's quote is the numbered sentence itself,
verbatim, and its rank score comes from the model's 1–5 weight plus the sentence's place
in the posting, so an item that cites no real sentence is dropped, not invented.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from jobintel.analysis.injection import looks_like_instruction
from jobintel.analysis.pain_points import CUES, find_pain_points
from jobintel.models import ExtractedJD, PainPoint, PainPoints
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages._llm_text import clip, one_line
from jobintel.prompts import load_prompt

MAX_SENTENCES = 14
MAX_ITEMS = 8
# Sentences are shown clipped: the model needs their gist, the quote keeps them whole.
_SHOWN_CHARS = 100
_MIN_WORDS = 4
_MIN_KEY_CHARS = 20
_TEXT_CHARS = 160
_EARLINESS = 0.5
# Sentences about the offer or the application, not about the work.
_OFFER = re.compile(
    r"we offer|benefit|salary|compensation|equal opportunit|\bapply\b|holiday|vacation|"
    r"pension|insurance|diversity|inclusive|discriminat|\bvisa\b|relocation|show more",
    re.IGNORECASE,
)


def deterministic(ctx: StageContext) -> PainPoints:
    return find_pain_points(ctx.result("extract", ExtractedJD))


class PainPointLLM(BaseModel):
    text: str
    kind: Literal["pain_point", "strategic_need", "risk_if_unfilled", "success_metric"]
    sentence: int
    weight: int = Field(ge=1, le=5)


class PainPointsLLM(BaseModel):
    items: list[PainPointLLM]


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _keys(items: tuple[str, ...]) -> list[str]:
    # Bullets and sentences differ in markers and punctuation; a short key would match anything.
    return [k for k in (_key(t) for t in items) if len(k) >= _MIN_KEY_CHARS]


def candidate_sentences(jd: ExtractedJD) -> list[str]:
    """The posting sentences worth showing, in posting order (at most ``MAX_SENTENCES``).

    Only ``jd.sentences`` qualify (the deterministic extraction's verbatim sentences),
    whoever made the rest of ``jd``. Responsibilities rank first, then sentences with a
    need cue, then qualifications, then the rest; offers and fragments are left out.
    """
    duties, requirements = _keys(jd.responsibilities), _keys(jd.qualifications)

    def states(key: str, items: list[str]) -> bool:
        return len(key) >= _MIN_KEY_CHARS and any(k in key or key in k for k in items)

    ranked: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for position, sentence in enumerate(jd.sentences):
        key = _key(sentence)
        if (
            key in seen
            or len(sentence.split()) < _MIN_WORDS
            or _OFFER.search(sentence)
            or looks_like_instruction(sentence)  # never shown, so never quoted back
        ):
            continue
        seen.add(key)
        if states(key, duties):
            rank = 0
        elif any(cue.pattern.search(sentence) for cue in CUES):
            rank = 1
        else:
            rank = 2 if states(key, requirements) else 3
        ranked.append((rank, position, sentence))
    chosen = sorted(ranked)[:MAX_SENTENCES]
    return [sentence for _, _, sentence in sorted(chosen, key=lambda t: t[1])]


def prompt_data(jd: ExtractedJD, sentences: list[str]) -> dict[str, Any]:
    """The data the pain_points prompt works on: the role title and numbered sentences."""
    return {
        "role": jd.title,
        "sentences": {str(i): clip(s, _SHOWN_CHARS) for i, s in enumerate(sentences)},
    }


def merge(sentences: list[str], answer: PainPointsLLM) -> PainPoints:
    """Items that cite a shown sentence, quoting it verbatim, ranked by weight.

    Raises ``LLMOutputInvalid`` when no item cites a real sentence, so the stage falls
    back to the rules rather than publishing nothing.
    """
    items: list[PainPoint] = []
    seen: set[tuple[int, str]] = set()
    for item in answer.items:
        text = clip(one_line(item.text).strip(" .;:"), _TEXT_CHARS)
        if not 0 <= item.sentence < len(sentences) or not text:
            continue
        if (item.sentence, item.kind) in seen:
            continue
        seen.add((item.sentence, item.kind))
        earliness = 1.0 - item.sentence / len(sentences)
        items.append(
            PainPoint(
                text=text,
                kind=item.kind,
                quote=sentences[item.sentence],
                score=round(item.weight + _EARLINESS * earliness, 3),
            )
        )
    if not items:
        raise LLMOutputInvalid(
            f"the model named {len(answer.items)} pain point(s) but none cited one of the "
            f"{len(sentences)} posting sentences it was shown"
        )
    items.sort(key=lambda p: -p.score)  # stable: ties keep the model's order
    return PainPoints(items=tuple(items[:MAX_ITEMS]))


async def llm(ctx: StageContext) -> PainPoints:
    """The employer's needs as a model reads them, each quoting a posting sentence."""
    jd = ctx.result("extract", ExtractedJD)
    sentences = candidate_sentences(jd)
    if not sentences:
        # Nothing to quote: the rules return the same (empty) answer without a call.
        return find_pain_points(jd)
    answer = await ctx.require_llm().structured(
        load_prompt("pain_points"),
        prompt_data(jd, sentences),
        PainPointsLLM,
        max_items=MAX_ITEMS,
    )
    return merge(sentences, answer)


STAGE = StageSpec(
    name="pain_points",
    needs=("extract",),
    output=PainPoints,
    deterministic=deterministic,
    llm=llm,
    description="Pain points, strategic needs, risks if unfilled, success metrics",
)
