"""Loading postings from Markdown/text, JSON and JSONL, in batches that survive bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobintel.inputs import load_postings, parse_posting_text

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
JOBS = SAMPLES / "jobs.jsonl"

BODY = "We build freight software.\n\n## Responsibilities\n- Lead the platform team"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_all_sample_jsonl_rows_load() -> None:
    """Every one of the 53 scraped rows loads with its fields mapped and a path:line source."""
    result = load_postings([JOBS])
    assert result.errors == []
    assert len(result.postings) == 53
    rows = [json.loads(line) for line in JOBS.read_text(encoding="utf-8").splitlines()]
    for lineno, (posting, row) in enumerate(zip(result.postings, rows, strict=True), start=1):
        assert posting.source == f"{JOBS}:{lineno}"
        assert posting.title == row["title"]
        assert posting.company == row["company"]
        assert posting.description == row["job_description"]
        assert posting.criteria == row["job_criteria"]
        assert posting.source_id == row["source_id"]
        assert posting.posted_at == row["createdAt"]
        assert posting.url == row["url"]


@pytest.mark.parametrize(
    ("heading", "title", "company"),
    [
        ("# Senior Engineer — Acme", "Senior Engineer", "Acme"),
        ("# Senior Engineer at Acme Corp", "Senior Engineer", "Acme Corp"),
        ("# Staff Engineer | Globex", "Staff Engineer", "Globex"),
        (
            "# Principal Engineer – Agentic AI & Cloud",
            "Principal Engineer – Agentic AI & Cloud",
            "",
        ),
        (
            "# Lead Software Engineer - Working with AI",
            "Lead Software Engineer - Working with AI",
            "",
        ),
    ],
)
def test_markdown_heading_forms(tmp_path: Path, heading: str, title: str, company: str) -> None:
    """A `# ` heading gives the title, and the company after an em dash, `at` or `|` only."""
    posting = parse_posting_text(f"{heading}\n\n{BODY}", source="job.md")
    assert (posting.title, posting.company) == (title, company)
    assert posting.description == BODY


def test_markdown_metadata_lines_become_fields_and_leave_the_description() -> None:
    """Company, location, URL and Posted lines fill fields and are removed from the text."""
    text = (
        "# Head of Engineering\n"
        "**Company:** [Acme GmbH](https://acme.example)\n"
        "**Location:** Berlin, Germany (hybrid)\n"
        "URL: https://example.com/jobs/42\n"
        "Posted: 2026-01-05\n"
        "- **Employment type:** Full-time\n\n"
        f"{BODY}\n"
    )
    posting = parse_posting_text(text, source="job.md")
    assert posting.title == "Head of Engineering"
    assert posting.company == "Acme GmbH"
    assert posting.location == "Berlin, Germany (hybrid)"
    assert posting.url == "https://example.com/jobs/42"
    assert posting.posted_at == "2026-01-05"
    assert posting.criteria == "Employment type: Full-time"
    assert posting.description == BODY


def test_explicit_company_is_trimmed_from_heading() -> None:
    """With a Company line, a heading ending in that company keeps only the title."""
    posting = parse_posting_text(
        "# Data Lead at Initech\nCompany: Initech\n\nBody text.", source="x"
    )
    assert (posting.title, posting.company) == ("Data Lead", "Initech")


def test_title_line_and_bold_title_line() -> None:
    """`Title:` and `**Title:**` lines give the title when there is no heading."""
    plain = parse_posting_text("Title: ML Engineer\nCompany: Hooli\n\nBody.", source="x")
    bold = parse_posting_text("**Title:** ML Engineer\n**Company:** Hooli\n\nBody.", source="x")
    assert (plain.title, plain.company) == ("ML Engineer", "Hooli")
    assert (bold.title, bold.company) == ("ML Engineer", "Hooli")
    assert plain.description == bold.description == "Body."


def test_short_first_line_is_the_title_and_company_is_not_invented() -> None:
    """A plain-text posting's short first line is its title; no company line means company ''."""
    posting = parse_posting_text(
        "Platform Engineer\n\nYou will run our Kubernetes clusters.", source="x"
    )
    assert posting.title == "Platform Engineer"
    assert posting.company == ""
    assert posting.description == "You will run our Kubernetes clusters."


def test_long_first_line_is_not_a_title() -> None:
    """A first line that is a sentence stays in the description and the title stays empty."""
    text = "We are hiring an engineer to own our data platform end to end, from ingestion to BI."
    posting = parse_posting_text(text, source="x")
    assert posting.title == ""
    assert posting.description == text


def test_front_matter_is_read() -> None:
    """A YAML-style front-matter block supplies fields and is not part of the description."""
    text = '---\ntitle: "SRE"\ncompany: Umbrella\nlocation: Remote\n---\nKeep things up.'
    posting = parse_posting_text(text, source="x")
    assert (posting.title, posting.company, posting.location) == ("SRE", "Umbrella", "Remote")
    assert posting.description == "Keep things up."


def test_header_without_body_is_an_error(tmp_path: Path) -> None:
    """A file with only a title and metadata has no description and is reported."""
    path = _write(tmp_path, "acme.md", "# Engineer — Acme\nLocation: Paris\n")
    result = load_postings([path])
    assert result.postings == []
    assert str(result.errors[0]).startswith(f"{path}: no description text")


def test_json_object_and_list(tmp_path: Path) -> None:
    """A .json object is one posting; a list gives `path[i]` sources, and a bad item is reported."""
    record = {"title": "A", "company": "B", "description": "Do things.", "createdAt": "2026"}
    one = _write(tmp_path, "one.json", json.dumps(record))
    many = _write(tmp_path, "many.json", json.dumps([record, {"title": "no text"}, record]))
    result = load_postings([one, many])
    assert [p.source for p in result.postings] == [str(one), f"{many}[0]", f"{many}[2]"]
    assert result.postings[0].posted_at == "2026"
    assert [e.source for e in result.errors] == [f"{many}[1]"]


def test_text_field_is_accepted_as_description(tmp_path: Path) -> None:
    """`text` works as the description field when `job_description` is absent."""
    path = _write(tmp_path, "a.json", json.dumps({"title": "T", "text": "The posting."}))
    assert load_postings([path]).postings[0].description == "The posting."


def test_record_without_description_names_the_field(tmp_path: Path) -> None:
    """A record with no description text is an error that names `job_description`."""
    path = _write(tmp_path, "a.json", json.dumps({"title": "T", "job_description": "  "}))
    (error,) = load_postings([path]).errors
    assert error.source == str(path)
    assert "job_description" in error.problem
    assert "`description`" in error.fix


def test_non_text_field_is_reported(tmp_path: Path) -> None:
    """A field holding a list instead of text names the field."""
    record = {"title": ["A"], "job_description": "x"}
    (error,) = load_postings([_write(tmp_path, "a.json", json.dumps(record))]).errors
    assert error.problem == "field `title` is a list, not text"


def test_bad_jsonl_line_names_line_and_batch_continues(tmp_path: Path) -> None:
    """A broken JSONL line is reported as path:line; the lines around it still load."""
    good = json.dumps({"title": "A", "job_description": "text a"})
    path = _write(tmp_path, "jobs.jsonl", f"{good}\n\n{{not json\n[1, 2]\n{good}\n")
    result = load_postings([path])
    assert [p.source for p in result.postings] == [f"{path}:1", f"{path}:5"]
    assert [e.source for e in result.errors] == [f"{path}:3", f"{path}:4"]
    assert str(result.errors[0]).startswith(f"{path}:3: not valid JSON")
    assert "expected a JSON object, got a list" in str(result.errors[1])


def test_batch_continues_past_bad_files(tmp_path: Path) -> None:
    """Empty, binary and missing inputs are reported one by one while good files load."""
    good = _write(tmp_path, "good.md", f"# Engineer — Acme\n\n{BODY}")
    empty = _write(tmp_path, "empty.md", "")
    pdf = tmp_path / "scan.txt"
    pdf.write_bytes(b"%PDF-1.4 ...")
    missing = tmp_path / "missing.md"
    result = load_postings([empty, good, pdf, missing])
    assert [p.source for p in result.postings] == [str(good)]
    assert [e.source for e in result.errors] == [str(empty), str(pdf), str(missing)]
    assert str(result.errors[0]) == f"{empty}: file is empty: expected the posting text"
    assert "PDF" in str(result.errors[1])


def test_oversize_file_uses_the_given_limit(tmp_path: Path) -> None:
    """max_bytes is passed through to the reader."""
    path = _write(tmp_path, "big.md", "# T\n\n" + "x" * 5_000)
    (error,) = load_postings([path], max_bytes=1_000).errors
    assert "JOBINTEL_MAX_INPUT_BYTES" in str(error)


def test_directories_are_walked_sorted_recursively_skipping_hidden(tmp_path: Path) -> None:
    """A directory yields its posting files in sorted order, recursing, without hidden or other files."""
    for name in ["b.md", "a.txt", "sub/c.markdown", "sub/d.json", ".hidden.md", ".git/e.md"]:
        _write(
            tmp_path,
            name,
            json.dumps({"job_description": "x"}) if name.endswith("json") else "Body.",
        )
    _write(tmp_path, "notes.html", "<p>no</p>")
    _write(tmp_path, "z.jsonl", json.dumps({"job_description": "y"}) + "\n")
    result = load_postings([tmp_path])
    assert result.errors == []
    names = [Path(p.source.split(":")[0]).relative_to(tmp_path).as_posix() for p in result.postings]
    assert names == ["a.txt", "b.md", "sub/c.markdown", "sub/d.json", "z.jsonl"]


def test_directory_without_postings_is_reported(tmp_path: Path) -> None:
    """An empty directory is an error entry, not silence."""
    (error,) = load_postings([tmp_path]).errors
    assert error.problem == "directory holds no posting files"
