"""Cleaning and splitting scraped posting text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobintel.analysis.text import clean_text, split_sentences, tokenize

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"


def _descriptions() -> list[str]:
    with (SAMPLES / "jobs.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["job_description"] for line in fh if line.strip()]


def test_heading_glued_to_bullet_goes_on_its_own_line() -> None:
    """A lower-case word glued to a capitalised heading is split at the join."""
    text = "* Collaborate with teams to support data-driven initiativesRequired Qualifications * Bachelor’s degree"
    assert clean_text(text).split("\n") == [
        "- Collaborate with teams to support data-driven initiatives",
        "Required Qualifications",
        "- Bachelor’s degree",
    ]


def test_sentence_stop_glued_to_next_sentence_gets_a_space() -> None:
    """ "needs.We" and "(UAEN)Dubai" become two words."""
    assert clean_text("Since 2015.We grow fast") == "Since 2015. We grow fast"
    assert clean_text("DataOps (UAEN)Dubai, UAE") == "DataOps (UAEN) Dubai, UAE"


def test_heading_word_glued_to_next_sentence_is_split() -> None:
    """ "Key ResponsibilitiesDesign" and "Requirements8+ years" start a new line after the heading."""
    assert (
        clean_text("Key ResponsibilitiesDesign systems.") == "Key Responsibilities\nDesign systems."
    )
    assert clean_text("Requirements8+ years of Python") == "Requirements\n8+ years of Python"


def test_camel_case_product_names_survive() -> None:
    """Real camel-case names are not split: JavaScript, PostgreSQL, iOS, macOS, spaCy."""
    text = "We use JavaScript, PostgreSQL, iOS, macOS, spaCy and LangChain."
    assert clean_text(text) == text


def test_function_word_glued_to_a_name_gets_a_space() -> None:
    """ "andMachine Learning" is a lost space, not a sentence boundary."""
    assert clean_text("Synapse, andMachine Learning") == "Synapse, and Machine Learning"


def test_show_more_tail_entities_and_whitespace_are_removed() -> None:
    """The LinkedIn tail, HTML entities and stray whitespace go."""
    assert clean_text("R&amp;D  team\u00a0rocks.Show more Show less") == "R&D team rocks."


def test_markdown_bullets_and_headings_are_normalised() -> None:
    """Markdown headings lose their hashes and bullets become "- " lines."""
    text = "## Requirements\n* Python\n1. SQL\n**Nice to have**"
    assert clean_text(text).split("\n") == ["Requirements", "- Python", "- SQL", "Nice to have"]


def test_clean_text_is_idempotent_on_every_sample() -> None:
    """Cleaning twice changes nothing, so ingest-cleaned text can be cleaned again."""
    for description in _descriptions():
        once = clean_text(description)
        assert clean_text(once) == once


def test_sentences_are_substrings_of_the_cleaned_text() -> None:
    """Every sentence can be quoted verbatim from the cleaned description."""
    for description in _descriptions():
        cleaned = clean_text(description)
        sentences = split_sentences(description)
        assert sentences
        assert all(s and s in cleaned for s in sentences)


def test_split_sentences_keeps_abbreviations_together() -> None:
    """ "e.g." and "U.S." do not end a sentence; a real full stop does."""
    text = "Use frameworks (e.g. Spark, Hadoop). Work in U.S. Business Hours. Apply now."
    assert split_sentences(text) == [
        "Use frameworks (e.g. Spark, Hadoop).",
        "Work in U.S. Business Hours.",
        "Apply now.",
    ]


def test_split_sentences_splits_bullets() -> None:
    """Bullets are items of their own, without the marker."""
    assert split_sentences("Intro text. * First item * Second item") == [
        "Intro text.",
        "First item",
        "Second item",
    ]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Node.js and C++ with CI/CD.", ["node.js", "and", "c++", "with", "ci/cd"]),
        ("C# / .NET", ["c#", "net"]),
        ("Data-driven, K8s!", ["data-driven", "k8s"]),
    ],
)
def test_tokenize_lower_cases_and_keeps_tech_words_whole(text: str, tokens: list[str]) -> None:
    """Tokens are lower-case words; dots, pluses, hashes and slashes inside a word stay."""
    assert tokenize(text) == tokens
