"""people's LLM strategy: synthetic role contacts, bounded drafts, no invented numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobintel.analysis.outreach import strongest_facts
from jobintel.models import CompanyResearch, ExtractedJD, PainPoints, PeopleResult, Posting
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stages.people import MAX_CONTACTS, prompt_data
from jobintel.settings import Settings
from tests.llm_stages.support import acme_context, data_of, run_llm


def _contact(role: str, **overrides: str) -> dict[str, Any]:
    contact = {
        "role": role,
        "why": "Owns the hire. Knows the team.",
        "linkedin_note": "Hi [Name], I'm Jordan Reyes, interested in the role. Could we connect?",
        "inmail_subject": "Senior Platform Engineer",
        "inmail": "Hi [Name],\n\nI cut manual handling time by 43%.\n\nBest regards,\nJordan Reyes",
        "email_subject": "Senior Platform Engineer: Jordan Reyes",
        "email": "Hi [Name],\n\nCould we talk for 15 minutes?\n\nBest regards,\nJordan Reyes",
    }
    return contact | overrides


async def test_contacts_are_synthetic_roles_with_bounded_drafts(
    settings: Settings, tmp_path: Path
) -> None:
    """Contacts are distinct roles marked synthetic, at most three, and notes fit LinkedIn's 300."""
    ctx = acme_context("people", settings, tmp_path)
    contacts = [
        _contact("Hiring manager, Platform", linkedin_note="Hi [Name], " + "really " * 80),
        _contact("hiring manager,  platform"),
        _contact("Technical recruiter"),
        _contact("Peer platform engineer"),
        _contact("Fourth contact"),
    ]
    people, _ = await run_llm("people", ctx, [{"contacts": contacts}])
    assert isinstance(people, PeopleResult)
    names = [c.name for c in people.contacts]
    assert names == ["Hiring manager, Platform", "Technical recruiter", "Peer platform engineer"]
    assert len(names) == MAX_CONTACTS
    assert all(c.synthetic and c.profile_url is None for c in people.contacts)
    assert all(c.why.startswith("Synthetic contact: a role") for c in people.contacts)
    assert people.contacts[0].why.endswith("Owns the hire.")
    assert [d.contact for d in people.drafts] == names
    note = people.drafts[0].linkedin_note
    assert len(note) <= 300 and note.endswith("…") and note.startswith("Hi [Name], really")


async def test_a_draft_with_an_invented_number_degrades(settings: Settings, tmp_path: Path) -> None:
    """A draft stating a figure the CV facts lack raises LLMOutputInvalid; the facts' own pass."""
    ctx = acme_context("people", settings, tmp_path)
    invented = _contact("Hiring manager", email="Hi [Name], I grew revenue by 300% last year.")
    with pytest.raises(LLMOutputInvalid, match="300%"):
        await run_llm("people", ctx, [{"contacts": [invented]}])
    people, _ = await run_llm("people", ctx, [{"contacts": [_contact("Hiring manager")]}])
    assert isinstance(people, PeopleResult)
    assert "43%" in people.drafts[0].inmail and "15 minutes" in people.drafts[0].email


async def test_data_holds_the_candidates_strongest_facts_verbatim(
    settings: Settings, tmp_path: Path
) -> None:
    """The model sees company, title, three needs and the CV's three strongest bullets verbatim."""
    ctx = acme_context("people", settings, tmp_path)
    _, chat = await run_llm("people", ctx, [{"contacts": [_contact("Hiring manager")]}])
    data = data_of(chat.requests[0])
    jd = ctx.result("extract", ExtractedJD)
    assert data == prompt_data(
        ctx.result("ingest", Posting),
        jd,
        ctx.result("company", CompanyResearch),
        ctx.result("pain_points", PainPoints),
        ctx.cv,
    )
    assert data["company"] == "Acme Logistics" and data["title"] == jd.title
    assert data["candidate"]["name"] == ctx.cv.name
    assert data["candidate"]["facts"] == strongest_facts(ctx.cv, jd, limit=3)
    assert len(data["needs"]) == 3
