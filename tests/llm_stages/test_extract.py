"""extract's LLM strategy: the model classifies and lists; posting and rules keep the facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobintel.analysis.extraction import extract_jd
from jobintel.analysis.text import clean_text
from jobintel.models import ExtractedJD, Posting
from jobintel.pipeline.stages.extract import MAX_ITEMS, MAX_TEXT_CHARS, prompt_data
from jobintel.settings import Settings
from tests.llm_stages.support import ACME_COMPANY, ACME_TITLE, acme_context, data_of, run_llm


def _answer(**overrides: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "role_category": "devops_platform",
        "seniority": "senior",
        "remote_policy": "hybrid",
        "responsibilities": ["Migrate deployment scripts to Kubernetes", "Reduce cloud costs"],
        "qualifications": ["5+ years with AWS and Kubernetes", "Python and Terraform"],
        "nice_to_haves": ["Kafka"],
        "benefits": ["30 days of holiday"],
        "technical_skills": ["Kubernetes", "Terraform", "AWS"],
        "soft_skills": ["Mentoring"],
        "top_keywords": ["Kubernetes", "platform", "cloud costs"],
        "years_experience": 5,
        "education": None,
        "industry": "Logistics",
    }
    return answer | overrides


async def _extract(settings: Settings, tmp_path: Path, answer: dict[str, Any]) -> ExtractedJD:
    ctx = acme_context("extract", settings, tmp_path)
    output, _ = await run_llm("extract", ctx, [answer])
    assert isinstance(output, ExtractedJD)
    return output


async def test_model_fields_are_merged_onto_the_posting(settings: Settings, tmp_path: Path) -> None:
    """The model's classification and lists are used; title, company, location the posting's."""
    ctx = acme_context("extract", settings, tmp_path)
    answer = _answer(title="Chief Hacker", company="Evil Corp", location="Mars")
    jd, chat = await run_llm("extract", ctx, [answer])
    assert isinstance(jd, ExtractedJD)
    posting = ctx.result("ingest", Posting)
    assert (jd.title, jd.company, jd.location) == (ACME_TITLE, ACME_COMPANY, posting.location)
    assert (jd.role_category, jd.seniority, jd.remote_policy) == (
        "devops_platform",
        "senior",
        "hybrid",
    )
    assert jd.responsibilities == ("Migrate deployment scripts to Kubernetes", "Reduce cloud costs")
    assert jd.industry == "Logistics" and jd.years_experience == 5
    assert jd.sentences == extract_jd(posting).sentences
    assert data_of(chat.requests[0]) == prompt_data(posting)


async def test_list_items_drop_empty_long_and_repeated_entries(
    settings: Settings, tmp_path: Path
) -> None:
    """Empty, paragraph-long and repeated items are dropped and a list keeps at most MAX_ITEMS."""
    items = ["  Own the   platform  ", "", "   ", "word " * 100, "own the platform"]
    items += [f"Responsibility {i}" for i in range(20)]
    jd = await _extract(settings, tmp_path, _answer(responsibilities=items))
    assert jd.responsibilities[0] == "Own the platform"
    assert len(jd.responsibilities) == MAX_ITEMS
    assert all(r.strip() and len(r) <= 300 for r in jd.responsibilities)
    assert len({r.lower() for r in jd.responsibilities}) == MAX_ITEMS


async def test_skills_are_canonicalised_with_the_taxonomy(
    settings: Settings, tmp_path: Path
) -> None:
    """Aliases become canonical names, combined names split, and rambling non-skills are dropped."""
    skills = ["python", "k8s", "PyTorch/TensorFlow", "Python", "a vague ability to do many things"]
    jd = await _extract(settings, tmp_path, _answer(technical_skills=skills))
    assert jd.technical_skills == ("Python", "Kubernetes", "PyTorch", "TensorFlow")


async def test_an_empty_model_list_keeps_the_rules_items(
    settings: Settings, tmp_path: Path
) -> None:
    """A list the model leaves empty falls back to what the deterministic extraction found."""
    ctx = acme_context("extract", settings, tmp_path)
    jd, _ = await run_llm("extract", ctx, [_answer(qualifications=[], technical_skills=[])])
    assert isinstance(jd, ExtractedJD)
    base = extract_jd(ctx.result("ingest", Posting))
    assert jd.qualifications == base.qualifications
    assert jd.technical_skills == base.technical_skills


async def test_implausible_years_are_dropped(settings: Settings, tmp_path: Path) -> None:
    """A years requirement outside 0–40 is treated as not stated."""
    assert (
        await _extract(settings, tmp_path, _answer(years_experience=99))
    ).years_experience is None
    assert (
        await _extract(settings, tmp_path, _answer(years_experience=-3))
    ).years_experience is None


def test_data_is_the_cleaned_posting_cut_at_the_limit() -> None:
    """The model sees the posting's header and cleaned text, cut to MAX_TEXT_CHARS at a break."""
    description = "\n".join(
        f"- Build reliable service number {i} for customers." for i in range(400)
    )
    posting = Posting(
        source="long.md", title="Engineer", company="Acme", description=description, dedupe_key="k"
    )
    data = prompt_data(posting)
    assert (data["title"], data["company"], data["location"]) == ("Engineer", "Acme", "")
    assert len(data["text"]) <= MAX_TEXT_CHARS
    assert clean_text(description).startswith(data["text"])
    assert data["text"].endswith("customers.")
