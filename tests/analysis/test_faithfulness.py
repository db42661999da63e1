"""The faithfulness gate passes master-CV lines and rejects anything the CV lacks."""

from __future__ import annotations

from jobintel.analysis.faithfulness import check_faithfulness, role_header
from tests.analysis.cv_fixture import frontend_cv, leader_cv


def _bullet(fragment: str) -> str:
    return next(b.text for b in leader_cv().all_bullets() if fragment in b.text)


def test_every_master_cv_line_passes_and_maps_to_its_id() -> None:
    """Each bullet, project, summary, education and certification line traces to itself."""
    cv = leader_cv()
    lines = [b.text for b in cv.all_bullets()]
    report = check_faithfulness([*lines, cv.summary, *cv.education, *cv.certifications], cv)
    assert report.passed, report.rejected
    assert all(report.mapping[b.text] == b.id for b in cv.all_bullets())
    assert report.mapping[cv.education[0]] == "education.0"
    assert report.mapping[cv.summary] == "summary"


def test_rejects_an_invented_employer() -> None:
    """A bullet reframed as done at an employer the CV never names fails the gate."""
    line = "At Google, I b" + _bullet("Applied AI group")[1:]
    report = check_faithfulness([line], leader_cv())
    assert not report.passed
    assert any("employer 'Google'" in r for r in report.rejected)


def test_rejects_an_invented_company_anywhere_in_the_line() -> None:
    """A company-suffixed name absent from the CV is rejected even mid-sentence."""
    line = _bullet("on-call") + " Later did the same for Acme Corp."
    report = check_faithfulness([line], leader_cv())
    assert any("Acme Corp" in r for r in report.rejected)


def test_accepts_a_bullet_framed_with_its_real_employer() -> None:
    """'At Lumen Freight GmbH, I cut …' traces to the bullet and passes."""
    line = "At Lumen Freight GmbH, I c" + _bullet("58%")[1:]
    report = check_faithfulness([line], leader_cv())
    assert report.passed, report.rejected
    assert report.mapping[line] == next(b.id for b in leader_cv().all_bullets() if "58%" in b.text)


def test_rejects_an_inflated_percentage() -> None:
    """Changing 43% to 53% is caught as a number the CV does not contain."""
    line = _bullet("43%").replace("43%", "53%")
    report = check_faithfulness([line], leader_cv())
    assert not report.passed
    assert any("number '53'" in r for r in report.rejected)


def test_rejects_an_inflated_count() -> None:
    """'7 engineers' where the CV says 6 is rejected."""
    line = _bullet("6 engineers").replace("6 engineers", "7 engineers")
    assert not check_faithfulness([line], leader_cv()).passed


def test_numbers_compare_normalised() -> None:
    """'1200' matches the CV's '1,200' and 'EUR 41,000' matches 'EUR 41k'."""
    cv = leader_cv()
    a = _bullet("Applied AI group").replace("1,200", "1200")
    b = _bullet("58%").replace("EUR 41k", "EUR 41,000")
    report = check_faithfulness([a, b], cv)
    assert report.passed, report.rejected


def test_rejects_an_invented_skill() -> None:
    """Rust, which the sample CV never mentions, is rejected."""
    line = _bullet("Python, Kafka").replace("Python, Kafka", "Rust, Kafka")
    report = check_faithfulness([line], leader_cv())
    assert not report.passed
    assert any("'Rust'" in r for r in report.rejected)


def test_rejects_an_invented_date_and_title() -> None:
    """A start month and a job title the CV lacks are both rejected."""
    line = "Served as CTO of Lumen Freight GmbH from 2022-05."
    rejected = " ".join(check_faithfulness([line], leader_cv()).rejected)
    assert "2022-05" in rejected
    assert "CTO" in rejected


def test_rejects_an_invented_lowercase_title() -> None:
    """'as a principal engineer' is a title claim the CV does not make."""
    line = _bullet("feature-store").rstrip(".") + " as a principal engineer."
    report = check_faithfulness([line], leader_cv())
    assert any("principal engineer" in r for r in report.rejected)


def test_rejects_a_line_that_traces_nowhere() -> None:
    """A sentence unrelated to any CV line is rejected as untraced."""
    report = check_faithfulness(["Sailed solo across the Atlantic in a dinghy."], leader_cv())
    assert not report.passed
    assert report.rejected[0].startswith("untraced line")


def test_rejects_a_bullet_padded_with_an_unsupported_claim() -> None:
    """A real bullet followed by a long invented sentence does not trace."""
    line = (
        _bullet("on-call")
        + " Afterwards the whole engineering organisation doubled its delivery speed."
    )
    report = check_faithfulness([line], leader_cv())
    assert not report.passed
    assert report.rejected[0].startswith("untraced line")


def test_skips_blank_lines_and_section_headings() -> None:
    """Markdown scaffolding is not a claim and is neither mapped nor rejected."""
    report = check_faithfulness(["", "## Experience", "---"], leader_cv())
    assert report.passed
    assert report.mapping == {}


def test_role_header_traces_to_its_role() -> None:
    """The rendered role header maps to the role's id."""
    cv = frontend_cv()
    r = cv.roles[1]
    header = role_header(r.title, r.employer, r.location, r.start, r.end)
    report = check_faithfulness([f"### {header}"], cv)
    assert report.passed, report.rejected
    assert report.mapping[f"### {header}"] == "r1"


def test_one_cvs_bullet_fails_against_the_other_cv() -> None:
    """A leader-CV bullet checked against the front-end CV is rejected."""
    report = check_faithfulness([_bullet("58%")], frontend_cv())
    assert not report.passed


def test_report_is_deterministic() -> None:
    """The same lines give the same report, byte for byte."""
    lines = [_bullet("43%").replace("43%", "53%"), "Sailed across the Atlantic."]
    a = check_faithfulness(lines, leader_cv()).model_dump_json()
    b = check_faithfulness(lines, leader_cv()).model_dump_json()
    assert a == b
