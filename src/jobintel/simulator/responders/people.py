"""The simulated model's answer to the people prompt: role-based contacts and short drafts."""

from __future__ import annotations

from typing import Any

from jobintel.pipeline.stages.people import ContactLLM, PeopleLLM
from jobintel.simulator.responders import ResponderInput, responder

_NOTE_LIMIT = 300


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def _text(value: Any, default: str) -> str:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else default


def _note(greeting: str, fact: str, ask: str) -> str:
    note = f"{greeting} {fact} {ask}" if fact else f"{greeting} {ask}"
    if len(note) <= _NOTE_LIMIT:
        return note
    return f"{greeting} {ask}"[:_NOTE_LIMIT]


@responder("people")
def answer_people(inp: ResponderInput) -> PeopleLLM:
    """A hiring manager, a recruiter and a peer, each with a note, an InMail and an email."""
    company = _text(_get(inp.data, "company"), "the company")
    title = _text(_get(inp.data, "title"), "open")
    candidate = _get(inp.data, "candidate")
    name = _text(_get(candidate, "name"), "[Your name]")
    headline = _text(_get(candidate, "headline"), "")
    facts_raw = _get(candidate, "facts")
    facts = [_text(f, "") for f in facts_raw] if isinstance(facts_raw, list) else []
    facts = [f for f in facts if f]
    needs_raw = _get(inp.data, "needs")
    needs = [_text(n, "") for n in needs_raw] if isinstance(needs_raw, list) else []
    need = next((n for n in needs if n), "")
    where = "the team" if _get(inp.data, "posted_by_recruiter") else company
    roles = (
        (
            "Hiring manager",
            f"Decides on the hire for the {title} role and owns what it must deliver.",
        ),
        ("Technical recruiter", "Runs the process and can confirm its status and next steps."),
        ("Peer engineer", f"Can describe how {where} works day to day."),
    )
    contacts: list[ContactLLM] = []
    about = f" I'm currently {headline}." if headline else ""
    example = f" One example from my CV: {facts[0]}" if facts else ""
    focus = f" I noticed the focus on {need[:1].lower() + need[1:]}." if need else ""
    for label, why in roles:
        greeting = f"Hi [Name], I'm {name}, interested in the {title} role at {company}."
        body = (
            f"Hi [Name],\n\nI'm {name}, writing about the {title} role at {company}.{about}"
            f"{focus}{example}\n\nWould you be open to a short conversation?"
            f"\n\nBest regards,\n{name}"
        )
        contacts.append(
            ContactLLM(
                role=f"{label}, {title}"[:80],
                why=why,
                linkedin_note=_note(
                    greeting, f"From my CV: {facts[0]}" if facts else "", "Could we connect?"
                ),
                inmail_subject=f"{title} role at {company}"[:120],
                inmail=body,
                email_subject=f"{title} role at {company}: {name}"[:150],
                email=body.replace(
                    "short conversation?", "short conversation? Thank you for your time."
                ),
            )
        )
    return PeopleLLM(contacts=contacts)
