"""The tailored CV reuses master-CV lines only, ordered for the posting, and passes the gate."""

from __future__ import annotations

import pytest

from jobintel.analysis.faithfulness import check_faithfulness
from jobintel.analysis.fit import assess_fit
from jobintel.analysis.pain_points import find_pain_points
from jobintel.analysis.tailoring import bullet_relevance, split_summary, tailor_cv
from jobintel.models import ExtractedJD, MasterCV, TailoredCV
from tests.analysis.cv_fixture import (
    frontend_cv,
    frontend_jd,
    leader_cv,
    ml_lead_jd,
    sample_jds,
)


def _tailor(jd: ExtractedJD, cv: MasterCV) -> TailoredCV:
    pains = find_pain_points(jd)
    return tailor_cv(jd, assess_fit(jd, pains, cv), pains, cv)


def test_bullets_are_exact_master_text_with_matching_ids() -> None:
    """Every bullet equals the master-CV bullet its source id names."""
    cv = leader_cv()
    texts = {b.id: b.text for b in cv.all_bullets()}
    for role in _tailor(ml_lead_jd(), cv).roles:
        assert len(role.bullets) == len(role.source_bullet_ids)
        for text, bid in zip(role.bullets, role.source_bullet_ids, strict=True):
            assert texts[bid] == text


def test_roles_keep_cv_order_and_at_least_one_bullet() -> None:
    """Roles appear as in the CV, each with one bullet or more from that role."""
    cv = leader_cv()
    tailored = _tailor(frontend_jd(), cv)
    assert [(r.title, r.employer) for r in tailored.roles] == [
        (r.title, r.employer) for r in cv.roles
    ]
    for i, role in enumerate(tailored.roles):
        assert role.bullets
        assert all(bid.startswith(f"r{i}.") for bid in role.source_bullet_ids)


def test_latest_role_keeps_all_and_older_roles_are_trimmed() -> None:
    """The most recent role keeps every bullet; the oldest keeps only its most relevant ones."""
    cv = leader_cv()
    tailored = _tailor(ml_lead_jd(), cv)
    assert len(tailored.roles[0].bullets) == len(cv.roles[0].bullets)
    assert len(tailored.roles[2].bullets) < len(cv.roles[2].bullets)


def test_bullets_within_a_role_are_ordered_by_relevance() -> None:
    """Relevance never increases down a role's bullet list."""
    jd, cv = ml_lead_jd(), leader_cv()
    pains = find_pain_points(jd)
    fit = assess_fit(jd, pains, cv)
    relevance = bullet_relevance(jd, fit, pains, cv)
    for role in tailor_cv(jd, fit, pains, cv).roles:
        scores = [relevance[bid] for bid in role.source_bullet_ids]
        assert scores == sorted(scores, reverse=True)


def test_relevance_puts_the_ops_bullet_first_for_an_mlops_posting() -> None:
    """For a posting about migrating to MLOps on Kubernetes, the MLOps bullet leads its role."""
    cv = leader_cv()
    mlops = next(b.id for b in cv.all_bullets() if "MLOps" in b.text)
    assert _tailor(ml_lead_jd(), cv).roles[1].source_bullet_ids[0] == mlops


def test_skills_are_the_cvs_own_with_posting_skills_first() -> None:
    """Skills are a reordering of the CV's items, and posting skills lead."""
    cv = frontend_cv()
    tailored = _tailor(frontend_jd(), cv)
    assert sorted(tailored.skills) == sorted(cv.skill_names())
    assert tailored.skills[0] == "React"


def test_summary_is_a_reordering_of_the_cv_summary() -> None:
    """The summary holds the CV's summary sentences verbatim, none added or lost."""
    cv = leader_cv()
    tailored = _tailor(ml_lead_jd(), cv)
    assert sorted(split_summary(tailored.summary)) == sorted(split_summary(cv.summary))


def test_headline_is_the_most_recent_title_for_an_unrelated_posting() -> None:
    """A front-end posting does not pull an unrelated older title into the headline."""
    assert _tailor(frontend_jd(), leader_cv()).headline == "Head of Applied AI"


def test_education_and_certifications_are_verbatim() -> None:
    """Education and certifications are copied unchanged."""
    cv = leader_cv()
    tailored = _tailor(ml_lead_jd(), cv)
    assert (tailored.education, tailored.certifications) == (cv.education, cv.certifications)


def test_tailored_cv_passes_the_faithfulness_gate() -> None:
    """The attached report passes, and so does every line of the rendered Markdown."""
    for jd, cv in (
        (ml_lead_jd(), leader_cv()),
        (frontend_jd(), frontend_cv()),
        (ml_lead_jd(), frontend_cv()),
    ):
        tailored = _tailor(jd, cv)
        assert tailored.faithfulness.passed, tailored.faithfulness.rejected
        report = check_faithfulness(tailored.markdown.splitlines(), cv)
        assert report.passed, report.rejected


def test_markdown_has_the_ats_layout() -> None:
    """Name as H1, the sections as H2, role headers as H3 and '- ' bullets."""
    cv = leader_cv()
    md = _tailor(ml_lead_jd(), cv).markdown
    lines = md.splitlines()
    assert lines[0] == "# Jordan Reyes"
    for section in ("## Summary", "## Experience", "## Skills", "## Education"):
        assert section in lines
    assert "### Head of Applied AI — Lumen Freight GmbH (Berlin) · 2022-03 – present" in lines
    assert f"- {cv.roles[0].bullets[0].text}" in lines


def test_tailoring_is_deterministic() -> None:
    """The same inputs give byte-identical output."""
    a = _tailor(ml_lead_jd(), leader_cv()).model_dump_json()
    assert a == _tailor(ml_lead_jd(), leader_cv()).model_dump_json()


@pytest.mark.slow
def test_every_sample_tailoring_passes_the_gate() -> None:
    """For all 53 samples and both CVs the tailored CV and its Markdown pass the gate."""
    for jd in sample_jds():
        for cv in (leader_cv(), frontend_cv()):
            tailored = _tailor(jd, cv)
            assert tailored.faithfulness.passed, (jd.title, tailored.faithfulness.rejected)
            report = check_faithfulness(tailored.markdown.splitlines(), cv)
            assert report.passed, (jd.title, report.rejected)
