"""Synthetic contacts and outreach drafts: short enough, faithful to the CV, never personal."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

from jobintel.analysis.outreach import LINKEDIN_NOTE_LIMIT, draft_outreach, strongest_facts
from jobintel.analysis.research import offline_company_research
from jobintel.models import Bullet, ExtractedJD, MasterCV, Posting, Role, SkillGroup
from jobintel.models.stages import RoleCategory

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"

# Bullets copied verbatim from the sample master CV (master-cv.md).
RAG = (
    "Designed a retrieval-augmented document assistant over 3.1M freight documents (PostgreSQL + "
    "pgvector, hybrid BM25/embedding retrieval) that cut manual customs-document handling time by 43%."
)
SPEND = (
    "Cut LLM spend by 58% (from EUR 41k to EUR 17k per month) through prompt caching, model "
    "routing between GPT-4-class and small models, and per-tenant token budgets."
)
HIRED = "Hired and mentored 6 engineers; two were promoted to senior within 18 months."
KAFKA = (
    "Built the event-driven tracking pipeline (Python, Kafka, PostgreSQL) that processed 4M parcel "
    "events per day with exactly-once delivery to customer notifications."
)


def _cv() -> MasterCV:
    return MasterCV(
        source="test-cv.md",
        name="Jordan Reyes",
        roles=(
            Role(
                title="Head of Applied AI",
                employer="Lumen Freight GmbH",
                bullets=(
                    Bullet(id="r0.b0", text=RAG),
                    Bullet(id="r0.b1", text=SPEND),
                    Bullet(id="r0.b2", text=HIRED),
                ),
            ),
            Role(
                title="Senior Software Engineer, Data",
                employer="Parcelwise",
                bullets=(Bullet(id="r1.b0", text=KAFKA),),
            ),
        ),
        skills=(SkillGroup(name="Languages", items=("Python", "SQL")),),
    )


def _rows() -> list[dict[str, Any]]:
    lines = (SAMPLES / "jobs.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _sample(i: int, row: dict[str, Any]) -> tuple[Posting, ExtractedJD]:
    posting = Posting(
        source=f"jobs.jsonl:{i}",
        title=row["title"],
        company=row["company"],
        location=row["location"],
        url=row["url"],
        description=row["job_description"],
        criteria=row["job_criteria"],
        source_id=row["source_id"],
        dedupe_key=row["source_id"],
    )
    ref = row.get("extracted_jd") or {}
    category = ref.get("role_category", "other")
    jd = ExtractedJD(
        title=row["title"],
        company=row["company"],
        role_category=category if category in get_args(RoleCategory) else "other",
        technical_skills=tuple(ref.get("technical_skills", ())),
        top_keywords=tuple(ref.get("top_keywords", ())),
    )
    return posting, jd


def _crafted(title: str = "Engineering Manager", company: str = "Acme Robotics") -> Posting:
    return Posting(
        source="test",
        title=title,
        company=company,
        description=f"{company} is a robotics company. We raised a $40M Series B.",
        dedupe_key="k",
    )


def _people(posting: Posting, jd: ExtractedJD, cv: MasterCV | None = None) -> Any:
    return draft_outreach(posting, jd, offline_company_research(posting), cv or _cv())


def _jd(category: RoleCategory = "engineering_manager", **fields: Any) -> ExtractedJD:
    return ExtractedJD(
        title="Engineering Manager", company="Acme Robotics", role_category=category, **fields
    )


def _words(text: str) -> int:
    return len(text.split())


def test_engineering_manager_role_gets_three_synthetic_role_contacts() -> None:
    """An EM posting yields hiring manager, recruiter and peer EM, all synthetic, none personal."""
    result = _people(_crafted(), _jd())
    assert [c.name for c in result.contacts] == [
        "Hiring manager at Acme Robotics",
        "Technical recruiter at Acme Robotics",
        "Peer engineering manager at Acme Robotics",
    ]
    assert "VP/Head of Engineering" in result.contacts[0].title
    assert all(c.synthetic and c.profile_url is None for c in result.contacts)
    assert all(c.why.startswith("Synthetic contact") for c in result.contacts)
    assert [d.contact for d in result.drafts] == [c.name for c in result.contacts]


def test_architect_role_targets_the_cto_or_chief_architect() -> None:
    """An architect posting's hiring manager is the CTO / Chief Architect."""
    result = _people(_crafted("Enterprise Architect"), _jd("architect"))
    assert "CTO / Chief Architect" in result.contacts[0].title


def test_strongest_facts_are_the_cv_bullets_with_most_jd_overlap() -> None:
    """With PostgreSQL and Kafka in the JD, the Kafka and RAG bullets are chosen verbatim."""
    jd = _jd(technical_skills=("Kafka", "PostgreSQL", "Python"))
    assert strongest_facts(_cv(), jd) == [KAFKA, RAG]


def test_drafts_quote_cv_numbers_exactly() -> None:
    """The email quotes the chosen bullets, so '58%' and 'EUR 41k' appear exactly as in the CV."""
    jd = _jd(technical_skills=("LLM", "prompt caching", "model routing"), top_keywords=("LLM",))
    draft = _people(_crafted(), jd).drafts[0]
    assert "Cut LLM spend by 58% (from EUR 41k to EUR 17k per month)" in draft.email
    assert "Jordan Reyes" in draft.email and draft.email.startswith("Hi [Name],")
    assert draft.inmail.startswith("Hi [Name],")


def test_posting_markdown_and_newlines_are_not_inserted() -> None:
    """Markdown, brackets and line breaks in the posting's title and company are stripped."""
    posting = _crafted(title="**Lead** Engineer\n# [click](http://x)", company="Evil\nRobotics")
    result = _people(posting, ExtractedJD(title=posting.title, company=posting.company))
    for d in result.drafts:
        assert "\n# " not in d.email and "**" not in d.linkedin_note
        assert "[click]" not in d.linkedin_note and "\n" not in d.linkedin_note
        assert "Evil Robotics" in d.linkedin_note and "http" not in d.email
        assert "\n" not in d.email_subject and "\n" not in d.inmail_subject


def test_intermediary_posting_targets_the_recruiter_and_the_unnamed_client() -> None:
    """A Jobgether posting yields its recruiter and an unnamed client hiring manager."""
    rows = _rows()
    i = next(i for i, r in enumerate(rows) if r["company"] == "JOBGETHER")
    result = _people(*_sample(i, rows[i]))
    assert [c.name for c in result.contacts] == [
        "Recruiter at Jobgether",
        "Hiring manager at the client company",
    ]


def test_no_fact_is_claimed_when_the_cv_has_no_bullets() -> None:
    """A CV without bullets gives drafts with no 'From my CV' claim at all."""
    cv = MasterCV(source="empty.md", name="Sam Doe")
    for d in _people(_crafted(), _jd(), cv).drafts:
        assert "From my CV" not in d.linkedin_note and "example" not in d.email


def test_all_samples_respect_limits_and_invent_nothing() -> None:
    """On every sample: notes ≤300 chars, no personal names, word counts in range, CV numbers only."""
    cv = _cv()
    cv_text = " ".join(b.text for b in cv.all_bullets())
    for i, row in enumerate(_rows()):
        posting, jd = _sample(i, row)
        result = _people(posting, jd, cv)
        assert 2 <= len(result.contacts) <= 3
        allowed = f"{cv_text} {posting.title} {posting.company} 15"
        for c in result.contacts:
            assert c.synthetic and re.match(r"^(?:\w[\w /]*) at ", c.name), c.name
        for d in result.drafts:
            assert len(d.linkedin_note) <= LINKEDIN_NOTE_LIMIT, (i, d.linkedin_note)
            assert d.linkedin_note.startswith("Hi [Name],")
            assert 70 <= _words(d.inmail) <= 160, (i, _words(d.inmail))
            assert 90 <= _words(d.email) <= 190, (i, _words(d.email))
            for text in (d.linkedin_note, d.inmail, d.email):
                for number in re.findall(r"\d[\d.,]*\d|\d", text):
                    assert number in allowed, (i, number)


def test_long_title_and_company_still_fit_the_note_limit() -> None:
    """A 200-character title and company name are clipped so the note stays ≤300 characters."""
    posting = _crafted(title="Principal " * 20, company="Very Long Holdings " * 10)
    for d in _people(posting, _jd()).drafts:
        assert len(d.linkedin_note) <= LINKEDIN_NOTE_LIMIT


def test_outreach_is_deterministic() -> None:
    """The same inputs give the same contacts and drafts, byte for byte."""
    rows = _rows()
    posting, jd = _sample(1, rows[1])
    assert _people(posting, jd).model_dump_json() == _people(posting, jd).model_dump_json()
