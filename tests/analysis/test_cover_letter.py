"""The cover letter answers the top needs with verbatim CV evidence under the gate."""

from __future__ import annotations

import pytest

from jobintel.analysis.cover_letter import compose_cover_letter
from jobintel.analysis.fit import assess_fit
from jobintel.analysis.pain_points import find_pain_points, need_of
from jobintel.models import CompanyResearch, CoverLetter, ExtractedJD, MasterCV
from tests.analysis.cv_fixture import (
    frontend_cv,
    frontend_jd,
    leader_cv,
    ml_lead_jd,
    sample_jds,
)


def _letter(jd: ExtractedJD, cv: MasterCV) -> CoverLetter:
    pains = find_pain_points(jd)
    company = CompanyResearch(company=jd.company.upper(), summary="", offline=True)
    return compose_cover_letter(jd, assess_fit(jd, pains, cv), pains, company, cv)


def test_letter_has_three_to_five_paragraphs() -> None:
    """Strong and weak fits both give 3–5 paragraphs."""
    for jd, cv in ((ml_lead_jd(), leader_cv()), (ml_lead_jd(), frontend_cv())):
        assert 3 <= len(_letter(jd, cv).paragraphs) <= 5


def test_letter_names_the_role_company_and_top_needs() -> None:
    """The opening names the JD's title and company and the top pain point's need."""
    jd = ml_lead_jd()
    letter = _letter(jd, leader_cv())
    top = need_of(find_pain_points(jd).items[0])
    assert jd.title in letter.paragraphs[0]
    assert jd.company in letter.paragraphs[0]
    assert top[0].lower() + top[1:] in letter.paragraphs[0]


def test_evidence_is_framed_bullet_text() -> None:
    """Each cited bullet appears with only its first letter lowered after 'At <employer>, I'."""
    cv = leader_cv()
    letter = _letter(ml_lead_jd(), cv)
    assert letter.source_bullet_ids
    bullets = {b.id: b for b in cv.all_bullets()}
    for bid in letter.source_bullet_ids:
        text = bullets[bid].text
        role = cv.role_of(bid)
        framed = f"At {role.employer}, I {text[0].lower()}{text[1:]}" if role else text
        assert framed in letter.markdown or text in letter.markdown


def test_evidence_sentences_pass_the_gate_and_map_to_cited_bullets() -> None:
    """The report passes and maps every gated sentence to a cited bullet."""
    letter = _letter(frontend_jd(), frontend_cv())
    assert letter.faithfulness.passed, letter.faithfulness.rejected
    assert set(letter.faithfulness.mapping.values()) == set(letter.source_bullet_ids)


def test_weak_fit_still_cites_real_evidence() -> None:
    """With no matching bullets, the letter still cites the candidate's own latest work."""
    letter = _letter(ml_lead_jd(), frontend_cv())
    assert letter.faithfulness.passed
    assert letter.source_bullet_ids
    assert all(
        bid in {b.id for b in frontend_cv().all_bullets()} for bid in letter.source_bullet_ids
    )


def test_markdown_is_salutation_body_and_signature() -> None:
    """The Markdown opens with the company greeting and ends with the candidate's name."""
    letter = _letter(ml_lead_jd(), leader_cv())
    assert letter.markdown.startswith("Dear Acme Logistics hiring team,\n\n")
    assert letter.markdown.rstrip().endswith("Jordan Reyes")
    assert all(p in letter.markdown for p in letter.paragraphs)


def test_letter_is_deterministic() -> None:
    """The same inputs give byte-identical output."""
    assert _letter(ml_lead_jd(), leader_cv()) == _letter(ml_lead_jd(), leader_cv())


@pytest.mark.slow
def test_every_sample_letter_passes_the_gate() -> None:
    """For all 53 samples and both CVs the letter has 3–5 paragraphs and passes the gate."""
    for jd in sample_jds():
        for cv in (leader_cv(), frontend_cv()):
            letter = _letter(jd, cv)
            assert 3 <= len(letter.paragraphs) <= 5, jd.title
            assert letter.faithfulness.passed, (jd.title, letter.faithfulness.rejected)
