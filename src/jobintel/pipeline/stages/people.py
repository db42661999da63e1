"""people: who to contact (role-based when offline) and outreach drafts.

No people search exists, so the LLM strategy asks for roles to contact, never names, and
marks every contact synthetic whatever the model says. The model sees the candidate's
strongest CV bullets verbatim; a draft stating a number those facts and the posting's
data do not contain is refused (the stage falls back to the rules' drafts), and every
LinkedIn note is cut to LinkedIn's 300 characters at a word boundary.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from jobintel.analysis.outreach import LINKEDIN_NOTE_LIMIT, draft_outreach, strongest_facts
from jobintel.analysis.research import company_display_name, is_intermediary
from jobintel.models import (
    CompanyResearch,
    Contact,
    ExtractedJD,
    MasterCV,
    OutreachDraft,
    PainPoints,
    PeopleResult,
    Posting,
)
from jobintel.pipeline.llm import LLMOutputInvalid
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.pipeline.stages._llm_text import clip, first_sentences, one_line
from jobintel.prompts import load_prompt

MIN_CONTACTS = 2
MAX_CONTACTS = 3
_FACTS = 3
_NEEDS = 3
_ITEM_CHARS = 160
_LABEL_CHARS = 80
_SUBJECT_CHARS = 150
_INMAIL_CHARS = 2000
_EMAIL_CHARS = 3000
_SYNTHETIC = "Synthetic contact: a role, not a person we found."
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?%)?")
# Small counts ("a 15-minute call", "2 questions") are phrasing, not claims.
_SMALL = 60


def deterministic(ctx: StageContext) -> PeopleResult:
    return draft_outreach(
        ctx.result("ingest", Posting),
        ctx.result("extract", ExtractedJD),
        ctx.result("company", CompanyResearch),
        ctx.cv,
    )


class ContactLLM(BaseModel):
    """One role to contact and the drafts for it."""

    role: str = Field(min_length=1)
    why: str
    linkedin_note: str = Field(min_length=1)
    inmail_subject: str = Field(min_length=1)
    inmail: str = Field(min_length=1)
    email_subject: str = Field(min_length=1)
    email: str = Field(min_length=1)


class PeopleLLM(BaseModel):
    contacts: list[ContactLLM] = Field(min_length=1)


def _headline(cv: MasterCV) -> str:
    if cv.roles and cv.roles[0].title:
        role = cv.roles[0]
        return one_line(f"{role.title} at {role.employer}" if role.employer else role.title)
    return first_sentences(cv.summary, 1, _ITEM_CHARS)


def prompt_data(
    posting: Posting,
    jd: ExtractedJD,
    company: CompanyResearch,
    pains: PainPoints,
    cv: MasterCV,
) -> dict[str, Any]:
    """The data the people prompt works on: the role, its needs and the candidate's facts."""
    return {
        "company": company_display_name(posting),
        "posted_by_recruiter": is_intermediary(company),
        "title": jd.title,
        "needs": [clip(p.text, _ITEM_CHARS) for p in pains.items[:_NEEDS]],
        "candidate": {
            "name": cv.name,
            "headline": _headline(cv),
            "facts": strongest_facts(cv, jd, limit=_FACTS),
        },
    }


def _unsupported_numbers(text: str, allowed: set[str]) -> list[str]:
    out: list[str] = []
    for match in _NUMBER.finditer(text):
        number = match.group(0).replace(" ", "")
        digits = number.rstrip("%")
        value = digits.replace(",", "")
        small = not number.endswith("%") and value.isdigit() and int(value) <= _SMALL
        if number not in allowed and digits not in allowed and not small:
            out.append(number)
    return out


def merge(data: dict[str, Any], answer: PeopleLLM) -> PeopleResult:
    """Synthetic contacts and bounded drafts; numbers must come from ``data``.

    Raises ``LLMOutputInvalid`` when a draft states a number the data does not hold.
    """
    company = str(data["company"])
    allowed = {m.group(0).replace(" ", "") for m in _NUMBER.finditer(json.dumps(data))}
    allowed |= {n.rstrip("%") for n in allowed}
    contacts: list[Contact] = []
    drafts: list[OutreachDraft] = []
    for item in answer.contacts:
        label = clip(one_line(item.role), _LABEL_CHARS)
        if not label or any(c.name.lower() == label.lower() for c in contacts):
            continue
        bodies = (item.linkedin_note, item.inmail, item.email)
        invented = [n for body in bodies for n in _unsupported_numbers(body, allowed)]
        if invented:
            raise LLMOutputInvalid(
                f"the draft to {label!r} states numbers the CV facts do not contain: "
                f"{', '.join(sorted(set(invented)))}"
            )
        why = first_sentences(item.why, 1, _ITEM_CHARS)
        contacts.append(
            Contact(
                name=label,
                title=f"{label} at {company}",
                why=f"{_SYNTHETIC} {why}".strip(),
                synthetic=True,
            )
        )
        drafts.append(
            OutreachDraft(
                contact=label,
                linkedin_note=clip(one_line(item.linkedin_note), LINKEDIN_NOTE_LIMIT),
                inmail_subject=clip(one_line(item.inmail_subject), _SUBJECT_CHARS),
                inmail=clip(item.inmail.strip(), _INMAIL_CHARS),
                email_subject=clip(one_line(item.email_subject), _SUBJECT_CHARS),
                email=clip(item.email.strip(), _EMAIL_CHARS),
            )
        )
        if len(contacts) == MAX_CONTACTS:
            break
    if not contacts:
        raise LLMOutputInvalid("the model proposed no contact with a usable role name")
    return PeopleResult(contacts=tuple(contacts), drafts=tuple(drafts))


async def llm(ctx: StageContext) -> PeopleResult:
    """Role-based contacts and drafts written by a model from the candidate's own facts."""
    data = prompt_data(
        ctx.result("ingest", Posting),
        ctx.result("extract", ExtractedJD),
        ctx.result("company", CompanyResearch),
        ctx.result("pain_points", PainPoints),
        ctx.cv,
    )
    answer = await ctx.require_llm().structured(
        load_prompt("people"),
        data,
        PeopleLLM,
        min_contacts=MIN_CONTACTS,
        max_contacts=MAX_CONTACTS,
        note_limit=LINKEDIN_NOTE_LIMIT,
    )
    return merge(data, answer)


STAGE = StageSpec(
    name="people",
    # extract gives the drafts the role's vocabulary and pain_points its needs; company is
    # the real need.
    needs=("company", "extract", "pain_points"),
    output=PeopleResult,
    deterministic=deterministic,
    llm=llm,
    description="Contacts and LinkedIn / InMail / email drafts",
)
