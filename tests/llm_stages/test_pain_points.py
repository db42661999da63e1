"""pain_points' LLM strategy: needs cite sentences by number; quotes are those sentences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobintel.analysis.text import clean_text
from jobintel.models import ExtractedJD, PainPoints, Posting
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stages.pain_points import MAX_ITEMS, candidate_sentences, prompt_data
from jobintel.settings import Settings
from tests.llm_stages.support import acme_context, data_of, run_llm


def _item(sentence: int, weight: int = 3, kind: str = "pain_point", text: str = "A need") -> Any:
    return {"text": text, "kind": kind, "sentence": sentence, "weight": weight}


async def test_quotes_are_the_cited_sentences_verbatim(settings: Settings, tmp_path: Path) -> None:
    """Each item quotes the numbered sentence it cites, verbatim, with the model's own need text."""
    ctx = acme_context("pain_points", settings, tmp_path)
    jd = ctx.result("extract", ExtractedJD)
    sentences = candidate_sentences(jd)
    answer = {"items": [_item(1, 5, text="Retire legacy deploy scripts"), _item(2, 4)]}
    pains, chat = await run_llm("pain_points", ctx, [answer])
    assert isinstance(pains, PainPoints)
    assert [p.quote for p in pains.items] == [sentences[1], sentences[2]]
    assert pains.items[0].text == "Retire legacy deploy scripts"
    posting_text = clean_text(ctx.result("ingest", Posting).description)
    assert all(p.quote in jd.sentences and p.quote in posting_text for p in pains.items)
    assert data_of(chat.requests[0]) == prompt_data(jd, sentences)


async def test_items_citing_unknown_sentences_are_dropped(
    settings: Settings, tmp_path: Path
) -> None:
    """An item whose sentence number was not shown, or repeats a sentence and kind, is dropped."""
    ctx = acme_context("pain_points", settings, tmp_path)
    answer = {"items": [_item(99, 5), _item(-1, 5), _item(0), _item(0), _item(3, text="  ")]}
    pains, _ = await run_llm("pain_points", ctx, [answer])
    assert isinstance(pains, PainPoints)
    assert [p.quote for p in pains.items] == [
        candidate_sentences(ctx.result("extract", ExtractedJD))[0]
    ]


async def test_no_item_citing_a_real_sentence_degrades(settings: Settings, tmp_path: Path) -> None:
    """When no item cites a shown sentence the strategy raises LLMOutputInvalid (rules run)."""
    ctx = acme_context("pain_points", settings, tmp_path)
    with pytest.raises(LLMOutputInvalid, match="none cited"):
        await run_llm("pain_points", ctx, [{"items": [_item(42), _item(-7)]}])


async def test_items_rank_by_weight_and_are_capped(settings: Settings, tmp_path: Path) -> None:
    """Items rank by the model's weight (earlier sentences first on ties), at most MAX_ITEMS."""
    ctx = acme_context("pain_points", settings, tmp_path)
    kinds = ("pain_point", "strategic_need", "risk_if_unfilled", "success_metric")
    items = [_item(s, 1 + (s + k) % 5, kind) for s in range(6) for k, kind in enumerate(kinds)]
    pains, _ = await run_llm("pain_points", ctx, [{"items": items}])
    assert isinstance(pains, PainPoints)
    assert len(pains.items) == MAX_ITEMS
    scores = [p.score for p in pains.items]
    assert scores == sorted(scores, reverse=True)
    assert 5 <= scores[0] <= 5.5


def test_candidates_are_posting_sentences_without_offers() -> None:
    """Only the rules' verbatim sentences are shown, offers left out, even beside paraphrases."""
    jd = ExtractedJD(
        title="Engineer",
        company="Acme",
        responsibilities=("Own the platform (paraphrased by a model)",),
        sentences=(
            "We offer a generous pension and 30 days of holiday.",
            "You will own the platform and its on-call rotation.",
            "Reduce our cloud costs across all regions this year.",
            "Too short.",
        ),
    )
    assert candidate_sentences(jd) == [jd.sentences[1], jd.sentences[2]]
    data = prompt_data(jd, candidate_sentences(jd))
    assert data == {"role": "Engineer", "sentences": {"0": jd.sentences[1], "1": jd.sentences[2]}}
