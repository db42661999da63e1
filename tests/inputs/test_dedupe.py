"""Dedupe keys and posting normalisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobintel.inputs import (
    content_key,
    dedupe_key,
    linkedin_job_id,
    load_postings,
    normalise_posting,
    strip_scrape_tail,
)
from jobintel.models import RawPosting

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
JOBS = SAMPLES / "jobs.jsonl"


def _first_row() -> dict[str, str]:
    with JOBS.open(encoding="utf-8") as handle:
        row: dict[str, str] = json.loads(handle.readline())
    return row


def _markdown_copy(row: dict[str, str], *, with_url: bool) -> str:
    """The row as a user might save it by hand: reflowed text, no scrape tail."""
    description = row["job_description"].removesuffix("Show more Show less")
    reflowed = description.replace(" * ", "\n\n- ").replace(". ", ".\n")
    lines = [f"# {row['title']}", f"**Company:** {row['company']}"]
    if with_url:
        lines.append(f"**URL:** {row['url']}")
    return "\n".join([*lines, "", reflowed, ""])


def test_same_posting_from_markdown_and_jsonl_shares_a_key(tmp_path: Path) -> None:
    """A hand-saved .md copy (with the job URL) of a jobs.jsonl row gets the row's key."""
    row = _first_row()
    md = tmp_path / "kraken.md"
    md.write_text(_markdown_copy(row, with_url=True), encoding="utf-8")
    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = load_postings([md, jsonl])
    assert result.errors == []
    from_md, from_jsonl = result.postings
    assert from_md.source_id == ""
    assert dedupe_key(from_md) == dedupe_key(from_jsonl)


def test_same_content_without_ids_shares_a_key(tmp_path: Path) -> None:
    """Without ids, company + title + description decide, ignoring case, whitespace and the tail."""
    row = _first_row()
    md = tmp_path / "kraken.md"
    md.write_text(_markdown_copy(row, with_url=False), encoding="utf-8")
    bare = {k: row[k] for k in ("title", "company", "job_description")}
    bare["company"] = f"  {row['company'].lower()} "
    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_text(json.dumps(bare) + "\n", encoding="utf-8")
    from_md, from_jsonl = load_postings([md, jsonl]).postings
    assert dedupe_key(from_md) == dedupe_key(from_jsonl) == content_key(from_jsonl)


def test_sample_postings_all_have_distinct_keys() -> None:
    """The 53 different sample postings get 53 different keys, by id and by content."""
    postings = load_postings([JOBS]).postings
    assert len({dedupe_key(p) for p in postings}) == 53
    assert len({content_key(p) for p in postings}) == 53


def test_different_description_different_key() -> None:
    """Same company and title but a different text is a different posting."""
    a = RawPosting(source="a", title="Engineer", company="Acme", description="Build APIs.")
    b = a.model_copy(update={"description": "Build pipelines."})
    assert dedupe_key(a) != dedupe_key(b)


def test_source_id_is_normalised() -> None:
    """source_id wins over content and ignores case and surrounding blanks."""
    a = RawPosting(source="a", description="one", source_id=" ABC-123 ")
    b = RawPosting(source="b", description="two", source_id="abc-123")
    assert dedupe_key(a) == dedupe_key(b)


@pytest.mark.parametrize(
    "url",
    [
        "https://ae.linkedin.com/jobs/view/assistant-manager-at-purecs-4327909668?trk=public_jobs_topcard-title",
        "https://www.linkedin.com/jobs/view/4327909668/",
        "https://www.linkedin.com/jobs/search/?currentJobId=4327909668&keywords=data",
    ],
)
def test_linkedin_job_id_forms(url: str) -> None:
    """The LinkedIn job id is found in slug, bare and search-page URLs."""
    assert linkedin_job_id(url) == "4327909668"


def test_linkedin_id_beats_source_id() -> None:
    """Two scrapes of one LinkedIn job with different scraper ids are one posting."""
    url = "https://pl.linkedin.com/jobs/view/senior-ai-engineering-manager-at-inpost-4343046183"
    a = RawPosting(source="a", description="x", url=url, source_id="scrape-1")
    b = RawPosting(source="b", description="x", url=url + "?trk=y", source_id="scrape-2")
    assert dedupe_key(a) == dedupe_key(b)


def test_non_linkedin_url_has_no_job_id() -> None:
    """Other job boards' URLs do not pretend to carry a LinkedIn id."""
    assert linkedin_job_id("https://boards.greenhouse.io/acme/jobs/4327909668") == ""


def test_key_is_stable_across_releases() -> None:
    """The key of a fixed posting is pinned: stored keys must keep matching new loads."""
    raw = RawPosting(
        source="x",
        title="Senior  Engineer",
        company="Acme",
        description="Build things.\nShow more Show less",
    )
    assert dedupe_key(raw) == "f75b9e9d18eee256942a4c9b006f3357c5becd94b3e21ddc6ec511745275f7ed"


def test_strip_scrape_tail_handles_glued_and_repeated_tails() -> None:
    """ "Show more Show less" is removed even when glued to the last word or repeated."""
    assert strip_scrape_tail("the end.Show more Show less") == "the end."
    assert strip_scrape_tail("end Show more Show less\nShow more  Show less \n") == "end"
    assert strip_scrape_tail("Show more about us below.") == "Show more about us below."


def test_normalise_posting_trims_and_fills_only_empty_names() -> None:
    """normalise_posting collapses blanks, strips the tail and names only missing title/company."""
    raw = RawPosting(
        source="jobs.jsonl:7",
        title="  Data   Lead ",
        company="",
        location=" Berlin ",
        description="  Lead data.Show more Show less",
    )
    posting = normalise_posting(raw)
    assert posting.title == "Data Lead"
    assert posting.company == "Unknown company"
    assert posting.location == "Berlin"
    assert posting.description == "Lead data."
    assert posting.dedupe_key == dedupe_key(raw)
    assert normalise_posting(raw.model_copy(update={"title": " "})).title == "Untitled role"


def test_normalise_keeps_a_description_that_is_only_the_tail() -> None:
    """A description that is nothing but the tail is kept rather than made empty."""
    raw = RawPosting(source="x", description="Show more Show less")
    assert normalise_posting(raw).description == "Show more Show less"
