"""Finding the sections of a posting."""

from __future__ import annotations

import json
from pathlib import Path

from jobintel.analysis.sections import classify_sentence, find_sections, heading_kind

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"


def _description(row: int) -> str:
    with (SAMPLES / "jobs.jsonl").open(encoding="utf-8") as fh:
        return str(json.loads(fh.readlines()[row])["job_description"])


def test_first_sample_has_six_responsibilities_and_six_qualifications() -> None:
    """Headings glued into scraped text ("initiativesRequired Qualifications") are found."""
    sections = find_sections(_description(0))
    assert len(sections.responsibilities) == 6
    assert len(sections.requirements) == 6
    assert sections.responsibilities[0].startswith("Design, build, and maintain scalable data")
    assert sections.requirements[0].startswith("Bachelor’s degree in Computer Science")
    assert sections.headings == ("Key Responsibilities", "Required Qualifications")


def test_pluses_heading_files_items_as_nice_to_have() -> None:
    """ "Pluses" glued to the end of the last requirement starts the nice-to-have list."""
    sections = find_sections(_description(2))
    assert sections.responsibilities[-8] == "Design, code and maintain web-scale data systems"
    assert sections.nice_to_have[0].startswith("Bachelor's degree or higher")
    assert "Bash, Scala, C, or Hive development experience" in sections.nice_to_have


def test_heading_glued_with_a_space_after_the_last_bullet() -> None:
    """ "... engine respectively Requirements" ends a list and starts the requirements."""
    sections = find_sections(_description(3))
    assert sections.requirements[0] == "You are based in Europe or the Americas or open to relocate"
    assert sections.responsibilities[-1].endswith("marketing engine respectively")


def test_what_youll_be_doing_and_nice_to_have_headings() -> None:
    """Revolut-style headings: "What You'll Be Doing", "What You'll Need", "Nice to have"."""
    sections = find_sections(_description(4))
    # The 11 bullets under the heading, after what "About The Role" says the role does.
    assert sections.responsibilities[-11].startswith("Leading engineering for our credit vertical")
    assert len(sections.requirements) == 10
    assert len(sections.nice_to_have) == 7


def test_benefits_section_is_found() -> None:
    """ "Benefits" after a disclaimer collects the perks."""
    sections = find_sections(_description(7))
    assert "Provident Fund" in sections.benefits
    assert "Gym Membership" in sections.benefits


def test_requirement_that_is_a_plus_moves_to_nice_to_have() -> None:
    """A requirement bullet saying "is a plus" is a nice-to-have."""
    text = "Requirements\n* 5+ years of Python\n* Experience with Rust is a plus"
    sections = find_sections(text)
    assert sections.requirements == ("5+ years of Python",)
    assert sections.nice_to_have == ("Experience with Rust is a plus",)


def test_heading_spellings() -> None:
    """Common heading spellings map to their section."""
    assert heading_kind("What you'll do") == "responsibilities"
    assert heading_kind("What We’re Looking For") == "requirements"
    assert heading_kind("Bonus points") == "nice_to_have"
    assert heading_kind("Preferred Qualifications:") == "nice_to_have"
    assert heading_kind("Why Join Us?") == "benefits"
    assert heading_kind("Perks") == "benefits"
    assert heading_kind("About Revolut") == "about_company"
    assert heading_kind("Strong communication skills in English") is None


def test_posting_without_headings_is_classified_by_cue_words() -> None:
    """Without any heading, sentences are filed by what they say."""
    text = (
        "Acme is a leading provider of logistics software founded in 2010. "
        "You will design and build our data platform. "
        "You have 5+ years of experience with Python. "
        "Knowledge of Kafka is a plus. "
        "We offer a generous salary and health insurance."
    )
    sections = find_sections(text)
    assert sections.responsibilities == ("You will design and build our data platform.",)
    assert sections.requirements == ("You have 5+ years of experience with Python.",)
    assert sections.nice_to_have == ("Knowledge of Kafka is a plus.",)
    assert sections.benefits == ("We offer a generous salary and health insurance.",)
    assert sections.about_company[0].startswith("Acme is a leading provider")


def test_classify_sentence_reads_past_a_label() -> None:
    """ "Data Pipelines: Design ..." is judged on what follows the label."""
    assert classify_sentence("Data Pipelines: Design and run streaming jobs.") == "responsibilities"
