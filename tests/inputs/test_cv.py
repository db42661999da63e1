"""Loading the master CV from Markdown and JSON Resume."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from jobintel.errors import InputError
from jobintel.inputs import load_cv, parse_role_heading
from jobintel.models import Bullet, SkillGroup

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_master_cv_parses() -> None:
    """master-cv.md: 4 roles with 7/4/4/3 bullets, 8 skill groups, 2 degrees, 2 certs, 2 projects."""
    path = SAMPLES / "master-cv.md"
    cv = load_cv(path)
    assert cv.name == "Jordan Reyes"
    assert cv.contact.startswith("Berlin, Germany · jordan.reyes@example.org")
    assert cv.summary.startswith("Engineering leader with 11 years")
    assert [(r.title, r.employer, r.location, r.start, r.end) for r in cv.roles] == [
        ("Head of Applied AI", "Lumen Freight GmbH", "Berlin", "2022-03", "present"),
        ("Staff Machine Learning Engineer", "Lumen Freight GmbH", "Berlin", "2020-01", "2022-02"),
        ("Senior Software Engineer, Data", "Parcelwise", "Amsterdam", "2017-04", "2019-12"),
        ("Software Engineer", "Datapoint Analytics", "Madrid", "2015-02", "2017-03"),
    ]
    assert [len(r.bullets) for r in cv.roles] == [7, 4, 4, 3]
    assert cv.roles[0].summary == "Logistics SaaS, 400 employees, Series C."
    assert cv.roles[1].summary == ""
    assert cv.roles[0].bullets[0].id == "r0.b0"
    assert cv.roles[3].bullets[2] == Bullet(
        id="r3.b2",
        text="Presented findings to client executives and wrote the technical proposals "
        "for four follow-up contracts.",
    )
    assert len(cv.skills) == 8
    assert cv.skills[4] == SkillGroup(
        name="Cloud & infrastructure",
        items=(
            "AWS (ECS, Lambda, S3, Bedrock, SageMaker)",
            "GCP (BigQuery, Vertex AI)",
            "Docker",
            "Kubernetes",
            "Terraform",
            "GitHub Actions",
        ),
    )
    assert cv.education == (
        "M.Sc. Computer Science (Machine Learning) — Universidad Politécnica de Madrid · 2014",
        "B.Sc. Computer Engineering — Universidad de Sevilla · 2012",
    )
    assert len(cv.certifications) == 2
    assert [p.id for p in cv.projects] == ["p0", "p1"]
    assert len(cv.all_bullets()) == 20
    assert cv.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_frontend_cv_parses() -> None:
    """master-cv-frontend.md: 3 roles with 4/3/1 bullets, 4 skill groups, 1 degree, no extras."""
    cv = load_cv(SAMPLES / "master-cv-frontend.md")
    assert cv.name == "Priya Natarajan"
    assert [(r.employer, r.start, r.end) for r in cv.roles] == [
        ("Tessera Media", "2021-06", "present"),
        ("Carrinho Online", "2018-09", "2021-05"),
        ("Studio Azulejo", "2017-01", "2018-08"),
    ]
    assert [len(r.bullets) for r in cv.roles] == [4, 3, 1]
    assert [g.name for g in cv.skills] == ["Languages", "Frameworks", "Testing", "Other"]
    assert cv.skills[3].items[1] == "accessibility (WCAG)"
    assert cv.education == ("B.Sc. Informatics Engineering — Universidade do Minho · 2016",)
    assert cv.certifications == ()
    assert cv.projects == ()


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        (
            "Data Engineer - Acme (Paris) · 2019 – 2021",
            ("Data Engineer", "Acme", "Paris", "2019", "2021"),
        ),
        (
            "Data Engineer | Acme | Jan 2019 - present",
            ("Data Engineer", "Acme", "", "Jan 2019", "present"),
        ),
        (
            "Data Engineer at Acme (2019-01 – 2021-06)",
            ("Data Engineer", "Acme", "", "2019-01", "2021-06"),
        ),
        ("Data Engineer, Acme", ("Data Engineer", "Acme", "", "", "")),
        (
            "**Data Engineer** — Acme · Remote · 2020 to 2022",
            ("Data Engineer", "Acme", "Remote", "2020", "2022"),
        ),
        ("Founder", ("Founder", "", "", "", "")),
    ],
)
def test_role_heading_forms(heading: str, expected: tuple[str, ...]) -> None:
    """Role headings split into title, employer, location and dates across separator styles."""
    assert parse_role_heading(heading) == expected


def test_wrapped_bullets_and_unknown_sections(tmp_path: Path) -> None:
    """Continuation lines join their bullet; unknown sections are skipped without failing."""
    text = (
        "# Ana Silva\nana@example.com\n\n## Hobbies\n- Climbing\n\n"
        "## Work Experience\n### Engineer — Acme · 2020-01 – 2021-01\n"
        "* Built the thing\n  that scaled.\n* Ran it\n\n## Skills\n- Python, SQL\n"
    )
    cv = load_cv(_write(tmp_path, "cv.md", text))
    assert [b.text for b in cv.roles[0].bullets] == ["Built the thing that scaled.", "Ran it"]
    assert cv.skills == (SkillGroup(name="Skills", items=("Python", "SQL")),)
    assert "Climbing" not in cv.model_dump_json()


def test_cv_without_bullets_is_refused(tmp_path: Path) -> None:
    """A CV with no experience bullets cannot ground anything and is refused with the fix."""
    path = _write(tmp_path, "cv.md", "# Ana Silva\n\n## Summary\nGreat engineer.\n")
    with pytest.raises(InputError) as info:
        load_cv(path)
    assert str(info.value) == (
        f"{path}: no experience bullets found: "
        "expected `### Title — Employer` headings followed by `- ` bullets"
    )


def test_cv_without_name_is_refused(tmp_path: Path) -> None:
    """A CV must start with a `# Name` heading."""
    path = _write(tmp_path, "cv.md", "## Experience\n### A — B\n- did\n")
    with pytest.raises(InputError, match="no `# Name` heading"):
        load_cv(path)


def test_empty_cv_file_is_refused(tmp_path: Path) -> None:
    """An empty CV says what was expected."""
    path = _write(tmp_path, "cv.md", "")
    with pytest.raises(InputError) as info:
        load_cv(path)
    assert str(info.value) == f"{path}: file is empty: expected the CV text"


def _json_resume() -> dict[str, Any]:
    return {
        "basics": {
            "name": "Ana Silva",
            "email": "ana@example.com",
            "location": {"city": "Porto", "countryCode": "PT"},
            "profiles": [{"network": "GitHub", "username": "anasilva"}],
            "summary": "Data engineer.",
        },
        "work": [
            {
                "name": "Acme",
                "position": "Lead Data Engineer",
                "location": "Porto",
                "startDate": "2021-04",
                "summary": "Retail analytics.",
                "highlights": ["Cut pipeline cost by 30%.", "Hired 3 engineers."],
            },
            {
                "name": "Initech",
                "position": "Data Engineer",
                "startDate": "2018-01",
                "endDate": "2021-03",
                "highlights": ["Built the Kafka ingestion layer."],
            },
        ],
        "skills": [
            {"name": "Data", "keywords": ["Kafka", "dbt", "Spark (PySpark)"]},
            {"name": "Go"},
        ],
        "education": [
            {
                "institution": "Universidade do Porto",
                "studyType": "M.Sc.",
                "area": "Informatics",
                "endDate": "2017-07-01",
            }
        ],
        "certificates": [{"name": "CKA", "issuer": "CNCF", "date": "2022-05-01"}],
        "projects": [
            {"name": "pipekit", "description": "a dbt linter", "highlights": ["200 stars."]}
        ],
    }


def test_json_resume_maps_every_section(tmp_path: Path) -> None:
    """A JSON Resume document fills name, contact, roles, skills, education, certs and projects."""
    path = _write(tmp_path, "cv.json", json.dumps(_json_resume()))
    cv = load_cv(path)
    assert cv.name == "Ana Silva"
    assert cv.contact == "Porto, PT · ana@example.com · GitHub: anasilva"
    assert cv.summary == "Data engineer."
    first, second = cv.roles
    assert (first.title, first.employer, first.location, first.start, first.end) == (
        "Lead Data Engineer",
        "Acme",
        "Porto",
        "2021-04",
        "present",
    )
    assert first.summary == "Retail analytics."
    assert [b.id for b in cv.all_bullets()] == ["r0.b0", "r0.b1", "r1.b0", "p0"]
    assert second.end == "2021-03"
    assert cv.skills == (
        SkillGroup(name="Data", items=("Kafka", "dbt", "Spark (PySpark)")),
        SkillGroup(name="Skills", items=("Go",)),
    )
    assert cv.education == ("M.Sc. Informatics — Universidade do Porto · 2017",)
    assert cv.certifications == ("CKA — CNCF (2022)",)
    assert cv.projects == (Bullet(id="p0", text="pipekit: a dbt linter 200 stars."),)
    assert cv.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_json_resume_and_markdown_agree(tmp_path: Path) -> None:
    """The same CV written as JSON Resume and as Markdown parses to the same roles and skills."""
    markdown = (
        "# Ana Silva\nPorto, PT · ana@example.com · GitHub: anasilva\n\n"
        "## Summary\nData engineer.\n\n## Experience\n"
        "### Lead Data Engineer — Acme (Porto) · 2021-04 – present\nRetail analytics.\n"
        "- Cut pipeline cost by 30%.\n- Hired 3 engineers.\n\n"
        "### Data Engineer — Initech · 2018-01 – 2021-03\n- Built the Kafka ingestion layer.\n\n"
        "## Skills\n- **Data:** Kafka, dbt, Spark (PySpark)\n- Go\n\n"
        "## Education\n- M.Sc. Informatics — Universidade do Porto · 2017\n\n"
        "## Certifications\n- CKA — CNCF (2022)\n\n## Projects\n- pipekit: a dbt linter 200 stars.\n"
    )
    from_md = load_cv(_write(tmp_path, "cv.md", markdown))
    from_json = load_cv(_write(tmp_path, "cv.json", json.dumps(_json_resume())))
    ignore = {"source", "content_hash"}
    assert from_md.model_dump(exclude=ignore) == from_json.model_dump(exclude=ignore)


def test_json_resume_errors_name_the_json_path(tmp_path: Path) -> None:
    """A wrongly typed value is reported with its JSON path."""
    document = _json_resume()
    document["work"][1]["highlights"] = ["ok", 42]
    path = _write(tmp_path, "cv.json", json.dumps(document))
    with pytest.raises(InputError) as info:
        load_cv(path)
    assert info.value.problem == "`work[1].highlights[1]` is not text"


def test_json_resume_needs_a_name_and_highlights(tmp_path: Path) -> None:
    """Missing basics.name, or work without highlights, is refused with the fix."""
    nameless = _json_resume()
    del nameless["basics"]["name"]
    with pytest.raises(InputError, match=r"basics\.name"):
        load_cv(_write(tmp_path, "a.json", json.dumps(nameless)))
    bare = {"basics": {"name": "Ana"}, "work": [{"name": "Acme", "position": "Engineer"}]}
    with pytest.raises(InputError, match="`work` entries with `highlights`"):
        load_cv(_write(tmp_path, "b.json", json.dumps(bare)))


def test_invalid_json_cv_is_refused(tmp_path: Path) -> None:
    """A .json CV that does not parse names the JSON error position."""
    with pytest.raises(InputError, match=r"not valid JSON .* line 1"):
        load_cv(_write(tmp_path, "cv.json", '{"basics": '))
