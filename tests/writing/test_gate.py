"""The faithfulness gate on model-written CV lines: invented employers, numbers and skills fail."""

from __future__ import annotations

from typing import Any

from jobintel.analysis.faithfulness import Draft, check_drafted, check_faithfulness
from jobintel.inputs import load_cv
from jobintel.models import MasterCV, TailoredCV
from jobintel.pipeline.stages.cv import CvLLM, build_cv, cv_data
from jobintel.simulator.responders import ResponderInput
from jobintel.simulator.responders.cv import answer_cv
from tests.writing.builders import EXAMPLE_CV, EXAMPLE_POSTING, ingested, upstream

SPEND = "r0.b4"  # "Reduced AWS spend by 31% by right-sizing EKS node groups …"
TEAM = "r0.b0"  # "Lead a platform team of 6 engineers … for 40 services."
KAFKA = "r1.b1"  # "Split the payments monolith into 7 services … on Kafka …"


def _cv() -> MasterCV:
    return load_cv(EXAMPLE_CV)


def _text(cv: MasterCV, bullet_id: str) -> str:
    return next(b.text for b in cv.all_bullets() if b.id == bullet_id)


def _tailor(
    bullets: dict[str, str] | None = None, change: dict[str, Any] | None = None
) -> TailoredCV:
    """A CV built from a faithful answer, with ``bullets`` (id → new text) and fields changed."""
    cv = _cv()
    up = upstream(ingested(EXAMPLE_POSTING), cv)
    data = cv_data(up["extract"], up["fit"], up["pain_points"], cv)
    answer = answer_cv(ResponderInput(schema_name="cv", json_schema=None, messages=(), data=data))
    written = {b["source_id"]: b for b in answer["bullets"]}
    for bullet_id, text in (bullets or {}).items():
        written[bullet_id] = {"source_id": bullet_id, "text": text}
    answer = {**answer, "bullets": list(written.values()), **(change or {})}
    tailored, _ = build_cv(
        CvLLM.model_validate(answer), up["extract"], up["fit"], up["pain_points"], cv
    )
    return tailored


def test_a_faithful_rewording_passes_and_maps_each_bullet_to_its_source() -> None:
    """Reworded master-CV bullets pass, each mapped to the id it rephrases."""
    tailored = _tailor({SPEND: "Cut AWS spend by 31% by right-sizing EKS node groups"})
    report = tailored.faithfulness
    assert report.passed, report.rejected
    assert report.mapping["Cut AWS spend by 31% by right-sizing EKS node groups"] == SPEND


def test_rejects_a_cv_with_an_invented_employer() -> None:
    """A bullet that moves real work to an employer the CV never names fails the gate."""
    cv = _cv()
    line = _text(cv, TEAM).replace("engineers", "engineers at Stripe")
    report = _tailor({TEAM: line}).faithfulness
    assert not report.passed
    assert any("employer 'Stripe'" in r for r in report.rejected)
    assert not check_faithfulness([line], cv).passed


def test_rejects_a_cv_with_an_inflated_percentage() -> None:
    """'40%' where the bullet says 31% fails, although the CV says '40 services' elsewhere."""
    cv = _cv()
    line = _text(cv, SPEND).replace("31%", "40%")
    report = _tailor({SPEND: line}).faithfulness
    assert not report.passed
    assert any("40%" in r for r in report.rejected)
    assert any("percentage '40%'" in r for r in check_faithfulness([line], cv).rejected)


def test_rejects_a_number_taken_from_another_bullet() -> None:
    """'35 engineers' fails against its source bullet's 6 even though 35 is in the CV."""
    cv = _cv()
    line = _text(cv, TEAM).replace("6 engineers", "35 engineers")
    assert check_faithfulness([line], cv).passed  # the CV-wide check alone misses it
    report = _tailor({TEAM: line}).faithfulness
    assert not report.passed
    assert any(f"number '35' is not in {TEAM}" in r for r in report.rejected)


def test_rejects_a_cv_with_an_invented_skill_in_a_bullet() -> None:
    """A bullet that adds RabbitMQ, which the CV never mentions, fails the gate."""
    cv = _cv()
    line = _text(cv, KAFKA).replace("on Kafka", "on Kafka and RabbitMQ")
    report = _tailor({KAFKA: line}).faithfulness
    assert not report.passed
    assert any("skill 'RabbitMQ'" in r for r in report.rejected)


def test_rejects_a_cv_with_an_invented_skill_in_the_skills_list() -> None:
    """A skills list naming Rust, absent from the CV, fails the gate."""
    report = _tailor(change={"skills": ["Python", "Rust"]}).faithfulness
    assert not report.passed
    assert any("skill 'Rust'" in r for r in report.rejected)


def test_rejects_an_invented_title_in_the_headline() -> None:
    """A headline claiming a title the CV lacks fails the gate."""
    report = _tailor(change={"headline": "Staff Engineer at Google"}).faithfulness
    assert not report.passed
    assert any("Google" in r for r in report.rejected)


def test_skill_spelled_inside_a_listed_item_is_accepted() -> None:
    """'EKS' (listed inside 'AWS (EKS, …)') and the CV's own items pass the skills check."""
    tailored = _tailor(change={"skills": ["kubernetes", "EKS", "Python"]})
    assert tailored.faithfulness.passed, tailored.faithfulness.rejected
    assert tailored.skills == ("Kubernetes", "EKS", "Python")


def test_frame_sentences_may_name_the_target_but_not_the_candidates_record() -> None:
    """Letter prose may name the role and company; a claim about the record must trace."""
    cv = _cv()
    names = ("Northwind Logistics", "Platform Engineering Lead")
    opening = "I am writing to apply for the Platform Engineering Lead role at Northwind Logistics."
    boast = "I have shipped mobile games for years."
    report = check_drafted(
        [Draft(opening, frame=True), Draft(boast, frame=True)], cv, allowed=names
    )
    assert report.rejected == (f"untraced line: {boast}",)
    assert opening not in report.mapping


def test_names_are_allowed_only_where_given() -> None:
    """The target company counts as a claim when it is not passed as allowed."""
    cv = _cv()
    line = "I would welcome a conversation with Northwind Logistics."
    assert check_drafted([Draft(line, frame=True)], cv, allowed=("Northwind Logistics",)).passed
    assert not check_drafted([Draft(line, frame=True)], cv).passed


def test_rejects_a_vague_duration_the_cv_does_not_state() -> None:
    """'for a decade' is the number 10, which the example CV (nine years) never states."""
    report = check_drafted([Draft("I have led payment platforms for a decade.")], _cv())
    assert any("number 'decade'" in r for r in report.rejected)
