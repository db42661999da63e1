"""Pain points come from the posting's own sentences by cue rules, ranked by score."""

from __future__ import annotations

import re

import pytest

from jobintel.analysis.pain_points import MAX_ITEMS, MIN_ITEMS, find_pain_points, need_of
from jobintel.models import ExtractedJD
from tests.analysis.cv_fixture import frontend_jd, ml_lead_jd, sample_jds


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def test_a_normal_posting_yields_between_three_and_ten_items() -> None:
    """The hand-built ML-lead posting gives at least 3 and at most 10 items."""
    items = find_pain_points(ml_lead_jd()).items
    assert 3 <= len(items) <= MAX_ITEMS


def test_every_quote_is_a_posting_line_verbatim() -> None:
    """Each quote is one of the posting's sentences, responsibilities or qualifications."""
    jd = ml_lead_jd()
    allowed = {*jd.sentences, *jd.responsibilities, *jd.qualifications}
    assert all(p.quote in allowed for p in find_pain_points(jd).items)


def test_text_restates_the_quote_without_new_words() -> None:
    """Apart from the need label, an item's text uses only words of its quote."""
    for p in find_pain_points(ml_lead_jd()).items:
        core = p.text.split(": ", 1)[1].rstrip("…")
        assert _words(core) <= _words(p.quote)


def test_cues_map_to_the_expected_kinds() -> None:
    """'legacy' is a pain point, 'from scratch' a strategic need, GDPR a risk, 'measurable' a metric."""
    by_quote = {p.quote: p for p in find_pain_points(ml_lead_jd()).items}
    legacy = by_quote["Migrate legacy batch scoring to a modern MLOps platform on Kubernetes"]
    assert (legacy.kind, need_of(legacy)) == ("pain_point", "Modernise legacy systems")
    scratch = by_quote["You will build our applied AI team from scratch as our first AI hire."]
    assert scratch.kind == "strategic_need"
    gdpr = next(p for q, p in by_quote.items() if "GDPR" in q)
    assert gdpr.kind == "risk_if_unfilled"
    assert any(p.kind == "success_metric" for p in by_quote.values())


def test_items_are_ranked_by_descending_score() -> None:
    """The list is sorted by score, highest first."""
    scores = [p.score for p in find_pain_points(ml_lead_jd()).items]
    assert scores == sorted(scores, reverse=True)


def test_benefit_sentences_are_not_needs() -> None:
    """'We offer 30 days of holiday…' never becomes a pain point."""
    quotes = [p.quote for p in find_pain_points(ml_lead_jd()).items]
    assert not any("holiday" in q for q in quotes)


def test_responsibilities_outrank_the_same_cue_in_prose() -> None:
    """A cue in a responsibility scores above the same cue in a later posting sentence."""
    jd = ExtractedJD(
        title="Engineer",
        company="X",
        responsibilities=("Modernise the legacy billing service",),
        sentences=(
            "Intro text about the company and its mission today.",
            "Our legacy reporting stack is also due for a rebuild.",
        ),
    )
    items = find_pain_points(jd).items
    assert items[0].quote == "Modernise the legacy billing service"


def test_posting_without_cues_is_filled_from_responsibilities() -> None:
    """With no cue words, the first responsibilities still give three items."""
    jd = ExtractedJD(
        title="Clerk",
        company="X",
        responsibilities=(
            "Answer the phone for the front desk",
            "Sort the incoming paper mail daily",
            "Greet visitors at the reception desk",
        ),
    )
    items = find_pain_points(jd).items
    assert len(items) == 3
    assert all(need_of(p) == "Core responsibility" for p in items)


def test_at_most_two_items_share_a_need() -> None:
    """No need label appears more than twice, so the list stays varied."""
    jd = ExtractedJD(
        title="Engineer",
        company="X",
        responsibilities=tuple(f"Replace legacy system number {i} in the estate" for i in range(6)),
    )
    needs = [need_of(p) for p in find_pain_points(jd).items]
    assert needs.count("Modernise legacy systems") == 2


def test_empty_posting_gives_no_items() -> None:
    """A posting with no text yields an empty list rather than an error."""
    assert find_pain_points(ExtractedJD(title="T", company="C")).items == ()


def test_pain_points_are_deterministic() -> None:
    """The same posting gives byte-identical output."""
    a = find_pain_points(frontend_jd()).model_dump_json()
    assert a == find_pain_points(frontend_jd()).model_dump_json()


@pytest.mark.slow
def test_every_sample_posting_yields_quoted_needs() -> None:
    """Each of the 53 samples gives 3–10 items whose quotes are posting lines verbatim."""
    for jd in sample_jds():
        items = find_pain_points(jd).items
        allowed = {*jd.sentences, *jd.responsibilities, *jd.qualifications}
        assert MIN_ITEMS <= len(items) <= MAX_ITEMS, jd.title
        assert all(p.quote in allowed for p in items), jd.title
