"""Fit: evidence per requirement with explicit thresholds, keyword coverage kept apart."""

from __future__ import annotations

import pytest

from jobintel.analysis.fit import MET, PARTIAL, assess_fit, cv_years
from jobintel.analysis.pain_points import find_pain_points
from jobintel.models import ExtractedJD, FitAssessment, MasterCV
from tests.analysis.cv_fixture import (
    SAMPLES,
    frontend_cv,
    frontend_jd,
    leader_cv,
    ml_lead_jd,
    sample_jds,
)


def _fit(jd: ExtractedJD, cv: MasterCV) -> FitAssessment:
    return assess_fit(jd, find_pain_points(jd), cv)


def test_the_matching_cv_scores_higher_on_each_posting() -> None:
    """The leader CV wins the ML-lead posting and the front-end CV wins the front-end one."""
    assert _fit(ml_lead_jd(), leader_cv()).score > _fit(ml_lead_jd(), frontend_cv()).score
    assert _fit(frontend_jd(), frontend_cv()).score > _fit(frontend_jd(), leader_cv()).score


def test_scores_spread_between_strong_and_weak_fits() -> None:
    """A strong fit lands at 60 or more and a weak fit at 40 or less."""
    assert _fit(ml_lead_jd(), leader_cv()).score >= 60
    assert _fit(ml_lead_jd(), frontend_cv()).score <= 40


def test_status_follows_the_thresholds() -> None:
    """Every row is met at >= MET, partial at >= PARTIAL, otherwise a gap."""
    for row in _fit(ml_lead_jd(), leader_cv()).matrix:
        best = row.evidence[0].score if row.evidence else 0.0
        expected = "met" if best >= MET else "partial" if best >= PARTIAL else "gap"
        assert row.status == expected, row


def test_matrix_covers_every_requirement_kind() -> None:
    """Qualifications, responsibilities, nice-to-haves and skills all appear, in that order."""
    jd = ml_lead_jd()
    fit = _fit(jd, leader_cv())
    assert [r.requirement for r in fit.matrix[: len(jd.qualifications)]] == list(jd.qualifications)
    assert {r.kind for r in fit.matrix} == {
        "qualification",
        "responsibility",
        "nice_to_have",
        "skill",
    }


def test_evidence_ids_and_texts_come_from_the_cv() -> None:
    """Each evidence link names a real CV id and carries that place's text, best first."""
    cv = leader_cv()
    texts = {b.id: b.text for b in cv.all_bullets()}
    for row in _fit(ml_lead_jd(), cv).matrix:
        assert len(row.evidence) <= 3
        scores = [e.score for e in row.evidence]
        assert scores == sorted(scores, reverse=True)
        for link in row.evidence:
            if link.bullet_id in texts:
                assert link.text == texts[link.bullet_id]


def test_years_requirement_uses_the_cvs_stated_years() -> None:
    """'8+ years' is met by 11 stated years and not met by 6."""
    req = "8+ years of experience in software or machine learning engineering"
    lead = next(r for r in _fit(ml_lead_jd(), leader_cv()).matrix if r.requirement == req)
    front = next(r for r in _fit(ml_lead_jd(), frontend_cv()).matrix if r.requirement == req)
    assert (cv_years(leader_cv()), cv_years(frontend_cv())) == (11, 6)
    assert lead.status == "met"
    assert front.status != "met"


def test_years_requirement_also_needs_its_topic() -> None:
    """'3+ years with Kafka' is met only by a CV that has the years and shows Kafka."""
    jd = ExtractedJD(
        title="Engineer", company="C", qualifications=("3+ years of experience with Kafka",)
    )
    lead = _fit(jd, leader_cv()).matrix[0]
    front = _fit(jd, frontend_cv()).matrix[0]
    assert lead.status == "met"
    assert front.status == "gap"


def test_degree_requirement_is_met_by_a_higher_degree_only() -> None:
    """A Master's requirement is met by an M.Sc. and partial for a B.Sc."""
    req = "Master's degree in Computer Science or a related field"
    lead = next(r for r in _fit(ml_lead_jd(), leader_cv()).matrix if r.requirement == req)
    front = next(r for r in _fit(ml_lead_jd(), frontend_cv()).matrix if r.requirement == req)
    assert lead.status == "met" and lead.evidence[0].bullet_id == "education.0"
    assert front.status == "partial"


def test_keyword_coverage_partitions_the_keywords() -> None:
    """matched + missing are exactly the posting's keywords, and the % is their ratio."""
    jd = ml_lead_jd()
    fit = _fit(jd, leader_cv())
    keywords = list(dict.fromkeys([*jd.top_keywords, *jd.technical_skills]))
    assert sorted([*fit.matched_keywords, *fit.missing_keywords]) == sorted(keywords)
    assert "Rust" in fit.missing_keywords
    assert fit.keyword_coverage_pct == round(100 * len(fit.matched_keywords) / len(keywords), 1)


def test_keyword_coverage_does_not_move_the_score() -> None:
    """Adding top keywords the CV lacks changes coverage but not the fit score."""
    jd = ml_lead_jd()
    padded = jd.model_copy(update={"top_keywords": (*jd.top_keywords, "COBOL", "Fortran")})
    a, b = _fit(jd, leader_cv()), _fit(padded, leader_cv())
    assert b.keyword_coverage_pct < a.keyword_coverage_pct
    assert a.score == b.score


def test_rationale_cites_the_numbers() -> None:
    """The rationale states the score, the met count and the keyword coverage."""
    fit = _fit(ml_lead_jd(), leader_cv())
    met = sum(1 for r in fit.matrix if r.status == "met")
    assert f"Fit {fit.score}/100" in fit.rationale
    assert f"{met} of {len(fit.matrix)} requirements met" in fit.rationale
    assert f"Keyword coverage {fit.keyword_coverage_pct:g}%" in fit.rationale


def test_empty_posting_scores_low_without_error() -> None:
    """A posting with no requirements gives an empty matrix and a bounded score."""
    fit = _fit(ExtractedJD(title="T", company="C"), leader_cv())
    assert fit.matrix == ()
    assert 0 <= fit.score <= 100


def test_fit_is_deterministic() -> None:
    """The same inputs give byte-identical output."""
    a = _fit(ml_lead_jd(), frontend_cv()).model_dump_json()
    assert a == _fit(ml_lead_jd(), frontend_cv()).model_dump_json()


def test_fixture_cvs_equal_the_parsed_sample_files() -> None:
    """The hand-built fixtures match what load_cv reads from the shared sample CVs."""
    from jobintel.inputs.cv import load_cv

    for name, built in (("master-cv.md", leader_cv()), ("master-cv-frontend.md", frontend_cv())):
        parsed = load_cv(SAMPLES / name)
        skip = {"source", "content_hash"}
        assert parsed.model_dump(exclude=skip) == built.model_dump(exclude=skip)


@pytest.mark.slow
def test_good_fit_cv_outscores_the_front_end_cv_on_95_percent_of_samples() -> None:
    """On the 53 sample postings the leader CV scores higher on at least 95% of them."""
    jds = sample_jds()
    assert len(jds) == 53
    wins = sum(_fit(jd, leader_cv()).score > _fit(jd, frontend_cv()).score for jd in jds)
    assert wins / len(jds) >= 0.95


@pytest.mark.slow
def test_sample_scores_spread_between_strong_and_weak() -> None:
    """Across the samples the good fit mostly lands at 50+ and the weak fit mostly at 40 or less."""
    jds = sample_jds()
    strong = sorted(_fit(jd, leader_cv()).score for jd in jds)
    weak = sorted(_fit(jd, frontend_cv()).score for jd in jds)
    assert strong[len(strong) // 2] >= 50
    assert weak[len(weak) // 2] <= 40
    assert len(set(strong)) >= 10  # scores spread rather than pile on one value
