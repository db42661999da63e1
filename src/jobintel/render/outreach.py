"""Contacts and outreach drafts for one posting, as Markdown ready to copy from."""

from __future__ import annotations

from jobintel.models import Contact, OutreachDraft, PeopleResult, Posting
from jobintel.render.markdown_text import inline, link
from jobintel.render.view import SYNTHETIC_MARK

LINKEDIN_NOTE_LIMIT = 300


def render_outreach_markdown(people: PeopleResult, posting: Posting) -> str:
    """``outreach.md``: who to contact and, per contact, the LinkedIn note, InMail and email.

    Draft bodies are written as indented code blocks, so they copy out exactly as drafted
    (line breaks kept, nothing interpreted as Markdown).
    """
    role = inline(posting.title) or "Untitled role"
    company = inline(posting.company) or "Unknown company"
    out = [f"# Outreach — {role} at {company}", ""]
    if posting.url.strip():
        out += [f"Posting: {link(posting.url, posting.url)}", ""]
    out += ["## Contacts", ""]
    if people.contacts:
        out += [_contact_line(c) for c in people.contacts]
    else:
        out.append("_No contacts._")
    by_name = {c.name: c for c in people.contacts}
    for draft in people.drafts:
        out += ["", *_draft(draft, by_name.get(draft.contact))]
    if not people.drafts:
        out += ["", "_No drafts._"]
    return "\n".join(out).rstrip("\n") + "\n"


def _contact_line(c: Contact) -> str:
    name = link(c.name, c.profile_url) if c.profile_url else inline(c.name)
    mark = f" {SYNTHETIC_MARK}" if c.synthetic else ""
    return f"- **{name}**{mark}, {inline(c.title)}: {inline(c.why)}"


def _draft(d: OutreachDraft, contact: Contact | None) -> list[str]:
    mark = f" {SYNTHETIC_MARK}" if contact is not None and contact.synthetic else ""
    note_chars = len(d.linkedin_note)
    out = [f"## To {inline(d.contact)}{mark}", ""]
    out += [f"### LinkedIn connection note ({note_chars}/{LINKEDIN_NOTE_LIMIT} characters)", ""]
    out += [*_verbatim(d.linkedin_note), ""]
    out += ["### LinkedIn InMail", "", f"**Subject:** {inline(d.inmail_subject)}", ""]
    out += [*_verbatim(d.inmail), ""]
    out += ["### Email", "", f"**Subject:** {inline(d.email_subject)}", ""]
    out += _verbatim(d.email)
    return out


def _verbatim(text: str) -> list[str]:
    """``text`` as an indented code block: shown exactly, never parsed as Markdown or HTML."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    if not any(line.strip() for line in lines):
        return ["_(empty)_"]
    return [f"    {line}".rstrip() for line in lines]
