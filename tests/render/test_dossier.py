"""The dossier in Markdown and HTML: every section present, untrusted text kept inert."""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt

from jobintel.models import (
    CompanyResearch,
    EvidenceLink,
    FitAssessment,
    RequirementEvidence,
)
from jobintel.render import render_dossier_html, render_dossier_markdown
from tests.render import fixtures

XSS = '<script>alert("x")</script>'


class _Tags(HTMLParser):
    """Collects start tags, their attributes and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse_html(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def _gfm() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def test_markdown_has_every_section() -> None:
    """The Markdown dossier has a heading for each part of the brief, in reading order."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    headings = [
        "# Lead AI Engineer — Acme Logistics GmbH",
        "## Job description summary",
        "## Responsibilities",
        "## Qualifications",
        "## Nice to have",
        "## Pain points, ranked",
        "## Company research: Acme Logistics GmbH",
        "## Role research",
        "## Fit",
        "### Keyword coverage",
        "### Evidence matrix",
        "## Contacts",
        "## CV faithfulness",
        "## Cover letter faithfulness",
    ]
    positions = [md.find(f"\n{h}\n") if i else md.find(f"{h}\n") for i, h in enumerate(headings)]
    assert -1 not in positions, [h for h, p in zip(headings, positions, strict=True) if p < 0]
    assert positions == sorted(positions)


def test_markdown_header_names_run_strategies_and_degradation() -> None:
    """The header shows the run id, each stage's strategy and why a stage degraded."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    assert "`run-20251120-0001`" in md
    assert "| extract | llm | — |" in md
    assert "| pain_points | deterministic | budget exhausted: job budget $0.50 reached |" in md
    assert "**Degraded:** pain_points" in md


def test_markdown_jd_summary_lists_facts() -> None:
    """Seniority, remote policy, years, education and skills appear in the JD summary."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    for line in [
        "- **Seniority:** senior",
        "- **Remote policy:** hybrid",
        "- **Years of experience:** 7+",
        "- **Education:** Bachelor's degree in Computer Science or similar",
        "- **Technical skills:** Python, RAG, Kubernetes, LLM",
    ]:
        assert line in md


def test_pain_points_are_ranked_with_their_quotes() -> None:
    """Pain points come highest score first, each followed by its quote as a block quote."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    first = md.index("1. **Strategic need** (score 0.90): The AI platform must scale")
    second = md.index("2. **Risk if unfilled** (score 0.60)")
    assert first < md.index("   > We are scaling our AI platform.") < second
    tokens = _gfm().parse(md)
    assert sum(t.type == "blockquote_open" for t in tokens) >= 2


def test_offline_research_is_marked() -> None:
    """Company and role research from the posting alone say so."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    assert md.count("_Offline: from the posting only._") == 2
    online = fixtures.company().model_copy(
        update={"offline": False, "sources": ("https://acme.example/about",)}
    )
    md_online = render_dossier_markdown(fixtures.dossier_inputs(company=online))
    assert md_online.count("_Offline: from the posting only._") == 1
    assert "[https://acme.example/about](https://acme.example/about)" in md_online


def test_fit_score_and_keyword_coverage_are_separate() -> None:
    """The fit score and the keyword coverage are shown in different places with their values."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    score_at = md.index("**Fit score: 71/100**")
    coverage_at = md.index("Keyword coverage: **75.0%**")
    assert md.index("### Keyword coverage") < coverage_at
    assert score_at < md.index("### Keyword coverage")
    assert "- **Missing:** kubernetes" in md


def test_evidence_matrix_is_a_valid_table_even_with_pipes() -> None:
    """Pipes and newlines in requirements and evidence stay inside their table cell."""
    fit = FitAssessment(
        matrix=(
            RequirementEvidence(
                requirement="Python | Go\nor Rust",
                kind="skill",
                evidence=(EvidenceLink(bullet_id="r0.b2", text="a|b \\| c", score=0.5),),
                status="partial",
            ),
            RequirementEvidence(requirement="Kubernetes", kind="skill", status="gap"),
        ),
        keyword_coverage_pct=50.0,
        score=40,
        rationale="mixed",
    )
    md = render_dossier_markdown(fixtures.dossier_inputs(fit=fit))
    tokens = _gfm().parse(md)
    matrix_at = next(
        i
        for i, t in enumerate(tokens)
        if t.type == "inline" and t.content == "requirement" and tokens[i - 1].type == "th_open"
    )
    rows: list[list[str]] = []
    row: list[str] = []
    for tok in tokens[matrix_at:]:
        if tok.type == "table_close":
            break
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline":
            row.append("".join(c.content for c in tok.children or ()))
        elif tok.type == "tr_close":
            rows.append(row)
    assert rows[0] == ["requirement", "kind", "status", "evidence", "score"]
    assert rows[1] == ["Python | Go or Rust", "skill", "partial", "r0.b2 a|b \\| c", "0.50"]
    assert rows[2] == ["Kubernetes", "skill", "gap", "—", "—"]


def test_contacts_mark_synthetic_ones() -> None:
    """A role-based contact is labelled as not a real person."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    assert "**Hiring manager, AI platform** (role-based, not a real person), Head of AI" in md


def test_faithfulness_shows_mapping_and_rejections() -> None:
    """Each traced line shows its master-CV id, and rejected claims are listed."""
    md = render_dossier_markdown(fixtures.dossier_inputs())
    assert "Tailored CV: faithfulness gate passed; 2 lines traced to the master CV." in md
    assert "| `r0.b2` | (same text) |" in md
    assert "Cover letter: faithfulness gate **did not pass**" in md
    assert "- employer 'Globex Corp'" in md
    assert (
        "| I built an evaluation harness that gates every model change. | `r0.b3` | Introduced"
        in md
    )


def test_markdown_is_deterministic_and_ends_with_one_newline() -> None:
    """Two renders of equal inputs are identical, end in exactly one newline, have no CR."""
    a = render_dossier_markdown(fixtures.dossier_inputs())
    b = render_dossier_markdown(fixtures.dossier_inputs())
    assert a == b
    assert a.endswith("\n")
    assert not a.endswith("\n\n")
    assert "\r" not in a


def test_markdown_keeps_posting_text_inert() -> None:
    """HTML, links and heading markers from a posting render as literal text."""
    posting = fixtures.posting().model_copy(
        update={
            "title": "# Evil [click](https://evil.example) " + XSS,
            "url": "javascript:alert(1)",
        }
    )
    jd = fixtures.jd().model_copy(update={"responsibilities": ("## not a heading", XSS)})
    md = render_dossier_markdown(fixtures.dossier_inputs(posting=posting, jd=jd))
    html = _gfm().render(md)
    parsed = _parse_html(html)
    assert [t for t, _ in parsed.tags].count("h1") == 1
    assert [t for t, _ in parsed.tags].count("h2") == md.count("\n## ")
    assert "script" not in [t for t, _ in parsed.tags]
    assert not [a for t, a in parsed.tags if t == "a" and "evil" in (a.get("href") or "")]
    assert not [a for t, a in parsed.tags if t == "a" and "javascript" in (a.get("href") or "")]
    assert XSS in "".join(parsed.text)


def test_html_escapes_script_in_posting() -> None:
    """A <script> in the posting comes out as text in the HTML dossier, never as a tag."""
    posting = fixtures.posting().model_copy(update={"title": XSS, "company": "A&B <i>Co</i>"})
    research = CompanyResearch(company="A&B", summary=XSS, offline=True)
    page = render_dossier_html(fixtures.dossier_inputs(posting=posting, company=research))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    parsed = _parse_html(page)
    assert "script" not in [t for t, _ in parsed.tags]
    assert "i" not in [t for t, _ in parsed.tags]
    assert XSS in "".join(parsed.text)


def test_html_links_only_http_urls() -> None:
    """A javascript: posting URL is shown as text, never put into an href."""
    posting = fixtures.posting().model_copy(update={"url": "javascript:alert(1)"})
    parsed = _parse_html(render_dossier_html(fixtures.dossier_inputs(posting=posting)))
    hrefs = [a.get("href") or "" for t, a in parsed.tags if t == "a"]
    assert not [h for h in hrefs if not h.startswith(("http://", "https://"))]
    assert "javascript:alert(1)" in "".join(parsed.text)


def test_html_is_self_contained_and_has_every_section() -> None:
    """The HTML page has inline CSS, no external assets, and each dossier section."""
    page = render_dossier_html(fixtures.dossier_inputs())
    parsed = _parse_html(page)
    tags = [t for t, _ in parsed.tags]
    assert "style" in tags
    assert "link" not in tags and "script" not in tags and "img" not in tags
    assert "@media print" in page
    text = " ".join(" ".join(parsed.text).split())
    for needle in [
        "Lead AI Engineer — Acme Logistics GmbH",
        "Job description summary",
        "Pain points, ranked",
        "We are scaling our AI platform.",
        "Offline: from the posting only.",
        "Role research",
        "Keyword coverage (separate from the fit score)",
        "71 /100",
        "Evidence matrix",
        "(role-based, not a real person)",
        "CV faithfulness",
        "employer 'Globex Corp'",
        "budget exhausted: job budget $0.50 reached",
        "run-20251120-0001",
    ]:
        assert needle in text, needle


def test_html_is_deterministic() -> None:
    """Two renders of equal inputs give identical HTML."""
    assert render_dossier_html(fixtures.dossier_inputs()) == render_dossier_html(
        fixtures.dossier_inputs()
    )


def test_empty_stage_outputs_still_render() -> None:
    """A posting with no requirements, pain points or contacts renders with explicit notes."""
    d = fixtures.dossier_inputs(
        jd=fixtures.jd().model_copy(
            update={"responsibilities": (), "qualifications": (), "nice_to_haves": ()}
        ),
        pain_points=fixtures.pain_points().model_copy(update={"items": ()}),
        fit=fixtures.fit().model_copy(update={"matrix": ()}),
        people=fixtures.people().model_copy(update={"contacts": (), "drafts": ()}),
        strategies={},
        degraded={},
    )
    md = render_dossier_markdown(d)
    assert "_No pain points found in the posting._" in md
    assert "_No requirements were extracted._" in md
    assert "_No contacts._" in md
    assert "| stage |" not in md
    assert "No pain points found in the posting." in render_dossier_html(d)


def test_mapping_ids_resolve_to_master_cv_text() -> None:
    """Role-header, summary, skills-group and education ids show the master-CV text behind them."""
    report = fixtures.tailored_cv().faithfulness.model_copy(
        update={
            "mapping": {
                "Head of Applied AI — Lumen Freight GmbH": "r0",
                "Python and SQL": "skills.0",
                "M.Sc. Computer Science": "education.0",
                "Builds AI teams": "summary",
                "Unknown line": "zz.9",
            }
        }
    )
    cv = fixtures.tailored_cv().model_copy(update={"faithfulness": report})
    master = fixtures.master_cv().model_copy(update={"summary": "Engineering leader."})
    md = render_dossier_markdown(fixtures.dossier_inputs(cv=cv, master_cv=master))
    assert "| `r0` | Head of Applied AI — Lumen Freight GmbH · 2022-03 – present |" in md
    assert "| `skills.0` | Languages: Python, SQL |" in md
    assert (
        "| `education.0` | M.Sc. Computer Science — Universidad Politécnica de Madrid · 2014 |"
        in md
    )
    assert "| `summary` | Engineering leader. |" in md
    assert "| Unknown line | `zz.9` | — |" in md
