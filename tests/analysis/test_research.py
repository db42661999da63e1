"""Offline company and role research: quoted from the posting, honest about silence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobintel.analysis.research import (
    SIGNAL_TYPES,
    company_display_name,
    offline_company_research,
    offline_role_research,
)
from jobintel.models import ExtractedJD, Posting

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"


def _rows() -> list[dict[str, Any]]:
    lines = (SAMPLES / "jobs.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _posting(i: int, row: dict[str, Any]) -> Posting:
    return Posting(
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


def _crafted(description: str, company: str = "Acme Robotics", **extra: str) -> Posting:
    return Posting(
        source="test",
        title="Engineering Manager",
        company=company,
        url="https://example.org/jobs/1",
        description=description,
        dedupe_key="k1",
        **extra,
    )


def _jd(**fields: Any) -> ExtractedJD:
    return ExtractedJD(title="Engineering Manager", company="Acme Robotics", **fields)


CRAFTED = (
    "About Acme Robotics. Acme Robotics is a warehouse automation company founded in 2016. "
    "We raised a $40M Series B last spring. We have 500 employees and offices in Berlin and Lisbon. "
    "Our platform serves 300 customers across Europe. "
    "You will lead a team of eight engineers. Requirements: 5+ years of experience with Python."
)


def _signals_by_type(posting: Posting) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in offline_company_research(posting).signals:
        out.setdefault(s.type, []).append(s.text)
    return out


def test_crafted_company_facts_become_typed_signals_quoting_the_sentence() -> None:
    """Funding, head count, offices, founding year and customers are found and quoted verbatim."""
    found = _signals_by_type(_crafted(CRAFTED))
    assert found["funding"] == ["We raised a $40M Series B last spring."]
    assert found["team_size"] == ["We have 500 employees and offices in Berlin and Lisbon."]
    assert found["locations"] == ["We have 500 employees and offices in Berlin and Lisbon."]
    assert any("founded in 2016" in t for t in found["founded"])
    assert found["customers"] == ["Our platform serves 300 customers across Europe."]


def test_role_sentences_do_not_become_company_signals() -> None:
    """A 'you will lead eight engineers' sentence is about the role, so it is no team_size signal."""
    found = _signals_by_type(_crafted(CRAFTED))
    assert all("You will" not in t for texts in found.values() for t in texts)


def test_signals_carry_posting_url_and_date_and_use_the_fixed_vocabulary() -> None:
    """Every signal cites the posting URL, the posting date when known, and a known type."""
    research = offline_company_research(_crafted(CRAFTED, posted_at="2026-01-05"))
    assert research.signals
    for s in research.signals:
        assert s.type in SIGNAL_TYPES
        assert s.source_url == "https://example.org/jobs/1"
        assert s.date == "2026-01-05"
    assert research.offline is True
    assert research.sources == ("https://example.org/jobs/1",)


def test_summary_quotes_the_company_introduction() -> None:
    """The summary leads with the posting's own 'Acme Robotics is a …' sentence."""
    summary = offline_company_research(_crafted(CRAFTED)).summary
    assert "Acme Robotics is a warehouse automation company founded in 2016." in summary
    assert "You will lead" not in summary


def test_summary_says_so_when_the_posting_is_silent_about_the_company() -> None:
    """A posting that only lists duties yields an explicit 'does not describe' summary."""
    posting = _crafted("You will build data pipelines. Requirements: Python and SQL.")
    research = offline_company_research(posting)
    assert "does not describe" in research.summary
    assert "offline" in research.summary
    assert [s.type for s in research.signals] == []


def test_industry_comes_from_the_criteria_field() -> None:
    """The LinkedIn criteria 'INDUSTRIES…' text becomes an industry signal."""
    posting = _crafted(
        "We build robots.", criteria="SENIORITY LEVELDirectorINDUSTRIESSoftware Development"
    )
    found = _signals_by_type(posting)
    assert found["industry"] == ["Industry (from the posting's criteria): Software Development"]


def test_display_name_uses_the_postings_own_spelling() -> None:
    """An all-caps company field is shown as the description spells it."""
    posting = _crafted(
        "Telgea is a telecom platform. Telgea serves 50 customers.", company="TELGEA"
    )
    assert company_display_name(posting) == "Telgea"


def test_jobgether_sample_is_reported_as_an_intermediary() -> None:
    """A real Jobgether posting gets an intermediary signal and a summary that says so."""
    rows = _rows()
    i = next(i for i, r in enumerate(rows) if r["company"] == "JOBGETHER")
    research = offline_company_research(_posting(i, rows[i]))
    middle = [s.text for s in research.signals if s.type == "intermediary"]
    assert middle and "on behalf of" in middle[0]
    assert "intermediary" in research.summary
    assert "does not describe the client company" in research.summary


def test_our_client_wording_marks_a_recruiter_posting() -> None:
    """'Our client is looking for …' marks the poster as an intermediary, 'our clients' does not."""
    recruiter = _crafted("Our client is looking for a Senior Engineer to build MCP servers.")
    vendor = _crafted(
        "We help our clients modernise their platforms. Acme Robotics is a consultancy."
    )
    assert "intermediary" in _signals_by_type(recruiter)
    assert "intermediary" not in _signals_by_type(vendor)


def test_a_company_never_named_in_the_text_is_flagged() -> None:
    """When the text never names the listed company, the summary warns it may describe another."""
    posting = _crafted("PureCS is looking to hire a data engineer.", company="KRAKEN")
    assert "never names KRAKEN" in offline_company_research(posting).summary


def test_role_summary_composes_title_seniority_remote_and_duties() -> None:
    """The role summary states title, company, seniority, remote policy and top duties."""
    posting = _crafted(CRAFTED)
    jd = _jd(
        seniority="senior",
        role_category="engineering_manager",
        remote_policy="hybrid",
        responsibilities=("Lead a team of eight engineers", "Own delivery of the picking platform"),
        years_experience=5,
    )
    role = offline_role_research(posting, jd, offline_company_research(posting))
    assert role.summary.startswith(
        "Engineering Manager at Acme Robotics: a senior engineering management role, hybrid."
    )
    assert "Asks for 5+ years" in role.summary
    assert "Lead a team of eight engineers; Own delivery of the picking platform." in role.summary
    assert role.offline is True


def test_business_impact_quotes_outcome_sentences() -> None:
    """Impact is quoted from the responsibility that names reliability, cost and customers."""
    posting = _crafted(CRAFTED)
    duty = "Improve platform reliability and cut cloud cost for our customers"
    jd = _jd(responsibilities=("Write documentation", duty))
    role = offline_role_research(posting, jd, offline_company_research(posting))
    assert f"“{duty}”" in role.business_impact


def test_why_now_quotes_a_new_team_cue() -> None:
    """A 'brand-new team' sentence is quoted as the reason the role is open now."""
    text = "Acme Robotics is a robotics company. We are building a brand-new AI team to launch our first product."
    posting = _crafted(text)
    role = offline_role_research(posting, _jd(), offline_company_research(posting))
    assert "We are building a brand-new AI team to launch our first product." in role.why_now
    assert "no explicit reason" not in role.why_now


def test_why_now_says_so_when_the_posting_gives_no_reason() -> None:
    """Without a cue, why_now says the posting is silent and labels the inference as such."""
    posting = _crafted("Acme Robotics is a robotics company. Write Python services.")
    jd = _jd(role_category="engineering_manager")
    role = offline_role_research(posting, jd, offline_company_research(posting))
    assert role.why_now.startswith("The posting gives no explicit reason")
    assert "the posting does not say" in role.why_now


def test_all_samples_are_researched_deterministically() -> None:
    """Every sample yields offline research whose quotes come from the posting, twice alike."""
    for i, row in enumerate(_rows()):
        posting = _posting(i, row)
        first = offline_company_research(posting)
        assert first == offline_company_research(posting)
        assert first.offline and first.summary.endswith("Research is offline (posting only).")
        flat = " ".join(posting.description.split())
        for s in first.signals:
            if s.type != "industry":
                assert s.text[:40] in flat, (i, s.text)
        jd = ExtractedJD(title=row["title"], company=row["company"])
        role = offline_role_research(posting, jd, first)
        assert role == offline_role_research(posting, jd, first)
        assert role.summary and role.business_impact and role.why_now


@pytest.mark.parametrize("company", ["JOBGETHER", "CAVENDISH PROFESSIONALS", "WAVE SEARCH"])
def test_recruiter_samples_are_intermediaries(company: str) -> None:
    """Sample postings from recruiters and job platforms all carry an intermediary signal."""
    rows = _rows()
    for i, row in enumerate(rows):
        if row["company"] == company:
            research = offline_company_research(_posting(i, row))
            assert any(s.type == "intermediary" for s in research.signals), i
