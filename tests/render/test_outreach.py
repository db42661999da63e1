"""outreach.md: contacts and every draft, copyable exactly, synthetic contacts marked."""

from __future__ import annotations

from markdown_it import MarkdownIt

from jobintel.models import Contact, OutreachDraft, PeopleResult
from jobintel.render import render_outreach_markdown
from tests.render import fixtures


def test_outreach_lists_contacts_and_every_draft_part() -> None:
    """Each contact is listed and each draft shows note (with its length), InMail and email."""
    people = fixtures.people()
    md = render_outreach_markdown(people, fixtures.posting())
    draft = people.drafts[0]
    assert md.startswith("# Outreach — Lead AI Engineer at Acme Logistics GmbH\n")
    assert "- **Hiring manager, AI platform** (role-based, not a real person), Head of AI" in md
    assert f"### LinkedIn connection note ({len(draft.linkedin_note)}/300 characters)" in md
    assert "**Subject:** Lead AI Engineer: evaluation and RAG" in md
    assert "**Subject:** Lead AI Engineer application" in md
    assert md.index("### LinkedIn connection note") < md.index("### LinkedIn InMail")
    assert md.index("### LinkedIn InMail") < md.index("### Email")


def test_draft_bodies_copy_out_exactly() -> None:
    """Draft bodies render as code blocks whose content equals the draft, line breaks kept."""
    people = fixtures.people()
    md = render_outreach_markdown(people, fixtures.posting())
    blocks = [t.content for t in MarkdownIt("commonmark").parse(md) if t.type == "code_block"]
    draft = people.drafts[0]
    assert blocks == [draft.linkedin_note + "\n", draft.inmail + "\n", draft.email + "\n"]


def test_real_contact_is_not_marked_synthetic_and_markup_is_inert() -> None:
    """A found person is not labelled role-based, and Markdown in a draft is not interpreted."""
    people = PeopleResult(
        contacts=(
            Contact(
                name="Dana Smith",
                title="VP Engineering",
                why="Signs off the hire.",
                synthetic=False,
                profile_url="https://www.linkedin.com/in/dana-smith-example",
            ),
        ),
        drafts=(
            OutreachDraft(
                contact="Dana Smith",
                linkedin_note="# Hi Dana <b>",
                inmail_subject="Hello",
                inmail="* not a list",
                email_subject="Hello",
                email="[x](javascript:alert(1))",
            ),
        ),
    )
    md = render_outreach_markdown(people, fixtures.posting())
    assert "(role-based, not a real person)" not in md
    assert "[Dana Smith](https://www.linkedin.com/in/dana-smith-example)" in md
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "<b>" not in html
    assert 'href="javascript' not in html
    assert "<ul>\n<li>not a list" not in html


def test_no_contacts_or_drafts_says_so() -> None:
    """An empty people result renders explicit notes rather than empty sections."""
    md = render_outreach_markdown(PeopleResult(contacts=(), drafts=()), fixtures.posting())
    assert "_No contacts._" in md
    assert "_No drafts._" in md
    assert md.endswith("\n")
    assert not md.endswith("\n\n")
