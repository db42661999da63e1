"""The dossier as Markdown: everything jobintel learned about one posting, in one file."""

from __future__ import annotations

from jobintel.models import FaithfulnessReport, MasterCV, PeopleResult
from jobintel.render.markdown_text import blockquote, bullets, cell, inline, link, one_line
from jobintel.render.view import (
    PAIN_KIND_LABELS,
    REQUIREMENT_KIND_LABELS,
    SYNTHETIC_MARK,
    DossierInputs,
    best_evidence_score,
    label,
    ranked_pain_points,
    source_text,
    stage_rows,
    status_counts,
)

__all__ = ["DossierInputs", "render_dossier_markdown"]


def render_dossier_markdown(d: DossierInputs) -> str:
    """The full dossier for one posting as CommonMark + GFM tables; same input, same bytes."""
    sections = [
        _header(d),
        _jd_summary(d),
        _requirements(d),
        _pain_points(d),
        _company(d),
        _role(d),
        _fit(d),
        _contacts(d.people),
        _faithfulness(d),
    ]
    return "\n\n".join("\n".join(lines).strip("\n") for lines in sections) + "\n"


def _header(d: DossierInputs) -> list[str]:
    p = d.posting
    out = [f"# {inline(p.title) or 'Untitled role'} — {inline(p.company) or 'Unknown company'}", ""]
    out.append(f"- **Location:** {inline(p.location) or 'not stated'}")
    if p.url.strip():
        out.append(f"- **Posting:** {link(p.url, p.url)}")
    if p.posted_at.strip():
        out.append(f"- **Posted:** {inline(p.posted_at)}")
    out.append(f"- **Source:** {inline(p.source)}")
    out.append(f"- **Run:** `{_code(d.run_id)}`")
    out.append(f"- **Posting key:** `{_code(p.dedupe_key)}`")
    out.append(f"- **Candidate:** {inline(d.master_cv.name)}")
    rows = stage_rows(d)
    if rows:
        out += ["", "| stage | strategy | degraded |", "| --- | --- | --- |"]
        out += [f"| {cell(r.stage)} | {cell(r.strategy)} | {cell(r.degraded)} |" for r in rows]
    degraded = [r for r in rows if r.degraded]
    if degraded:
        names = ", ".join(r.stage for r in degraded)
        out += ["", f"> **Degraded:** {inline(names)} fell back to the deterministic strategy."]
    return out


def _jd_summary(d: DossierInputs) -> list[str]:
    jd = d.jd
    years = f"{jd.years_experience}+" if jd.years_experience is not None else "not specified"
    out = ["## Job description summary", ""]
    out.append(f"- **Role category:** {label(jd.role_category)}")
    out.append(f"- **Seniority:** {label(jd.seniority)}")
    out.append(f"- **Remote policy:** {label(jd.remote_policy)}")
    out.append(f"- **Years of experience:** {years}")
    out.append(f"- **Education:** {inline(jd.education or '') or 'not specified'}")
    out.append(f"- **Industry:** {inline(jd.industry or '') or 'not specified'}")
    out.append(f"- **Technical skills:** {_joined(jd.technical_skills)}")
    out.append(f"- **Soft skills:** {_joined(jd.soft_skills)}")
    out.append(f"- **Top keywords:** {_joined(jd.top_keywords)}")
    return out


def _requirements(d: DossierInputs) -> list[str]:
    jd = d.jd
    out = ["## Responsibilities", "", *bullets(jd.responsibilities)]
    out += ["", "## Qualifications", "", *bullets(jd.qualifications)]
    out += ["", "## Nice to have", "", *bullets(jd.nice_to_haves)]
    if jd.benefits:
        out += ["", "## Benefits", "", *bullets(jd.benefits)]
    return out


def _pain_points(d: DossierInputs) -> list[str]:
    out = ["## Pain points, ranked", ""]
    ranked = ranked_pain_points(d.pain_points)
    if not ranked:
        return [*out, "_No pain points found in the posting._"]
    for rank, point in enumerate(ranked, start=1):
        kind = PAIN_KIND_LABELS.get(point.kind, label(point.kind))
        out.append(f"{rank}. **{kind}** (score {point.score:.2f}): {inline(point.text)}")
        if point.quote.strip():
            out += ["", blockquote(point.quote, indent=" " * (len(str(rank)) + 2)), ""]
    return out


def _company(d: DossierInputs) -> list[str]:
    c = d.company
    title = f"## Company research: {inline(c.company) or 'unknown company'}"
    out = [title, ""]
    if c.offline:
        out += ["_Offline: from the posting only._", ""]
    out.append(inline(c.summary) or "_No summary._")
    if c.signals:
        out += ["", "| signal | detail | date | source |", "| --- | --- | --- | --- |"]
        for s in c.signals:
            source = link(s.source_url, s.source_url) if s.source_url else ""
            out.append(
                f"| {cell(s.type)} | {cell(s.text)} | {cell(s.date or '')} | "
                f"{source.replace('|', chr(92) + '|') or '—'} |"
            )
    if c.sources:
        out += ["", "Sources:", "", *(f"- {link(u, u)}" for u in c.sources)]
    return out


def _role(d: DossierInputs) -> list[str]:
    r = d.role
    out = ["## Role research", ""]
    if r.offline:
        out += ["_Offline: from the posting only._", ""]
    out.append(f"- **Summary:** {inline(r.summary) or 'not available'}")
    out.append(f"- **Business impact:** {inline(r.business_impact) or 'not available'}")
    out.append(f"- **Why now:** {inline(r.why_now) or 'not available'}")
    return out


def _fit(d: DossierInputs) -> list[str]:
    f = d.fit
    counts = status_counts(f)
    out = [
        "## Fit",
        "",
        f"**Fit score: {f.score}/100**",
        "",
        inline(f.rationale) or "_No rationale._",
    ]
    out += [
        "",
        f"Requirements: {counts['met']} met, {counts['partial']} partial, "
        f"{_count(counts['gap'], 'gap')}.",
    ]
    out += ["", "### Keyword coverage", ""]
    out.append(
        f"Keyword coverage: **{f.keyword_coverage_pct:.1f}%** "
        "(a deterministic keyword match, reported separately from the fit score)."
    )
    out += ["", f"- **Matched:** {_joined(f.matched_keywords)}"]
    out.append(f"- **Missing:** {_joined(f.missing_keywords)}")
    out += ["", "### Evidence matrix", ""]
    if not f.matrix:
        return [*out, "_No requirements were extracted._"]
    out += ["| requirement | kind | status | evidence | score |", "| --- | --- | --- | --- | --- |"]
    for req in f.matrix:
        evidence = "; ".join(f"`{_code(e.bullet_id)}` {inline(e.text)}" for e in req.evidence)
        best = best_evidence_score(req)
        status = f"**{req.status}**" if req.status == "gap" else req.status
        out.append(
            f"| {cell(req.requirement)} | {REQUIREMENT_KIND_LABELS.get(req.kind, req.kind)} | "
            f"{status} | {evidence.replace('|', chr(92) + '|') or '—'} | "
            f"{'—' if best is None else f'{best:.2f}'} |"
        )
    return out


def _contacts(people: PeopleResult) -> list[str]:
    out = ["## Contacts", ""]
    if not people.contacts:
        return [*out, "_No contacts._"]
    for c in people.contacts:
        name = link(c.name, c.profile_url) if c.profile_url else inline(c.name)
        mark = f" {SYNTHETIC_MARK}" if c.synthetic else ""
        out.append(f"- **{name}**{mark}, {inline(c.title)}: {inline(c.why)}")
    out += ["", f"Outreach drafts: {len(people.drafts)}, in `outreach.md`."]
    return out


def _faithfulness(d: DossierInputs) -> list[str]:
    out = ["## CV faithfulness", ""]
    out += _written_by(d, "cv")
    out += _report("Tailored CV", d.cv.faithfulness, d.master_cv)
    out += ["", "## Cover letter faithfulness", ""]
    out += _written_by(d, "cover_letter")
    out += _report("Cover letter", d.cover_letter.faithfulness, d.master_cv)
    return out


def _written_by(d: DossierInputs, stage: str) -> list[str]:
    """Which strategy wrote the document and, when the model's draft was refused, why."""
    out: list[str] = []
    if stage in d.strategies:
        out += [f"Written by the `{_code(d.strategies[stage])}` strategy.", ""]
    if d.degraded.get(stage):
        out += [f"> **Model draft not used:** {inline(d.degraded[stage])}", ""]
    return out


def _report(what: str, report: FaithfulnessReport, cv: MasterCV) -> list[str]:
    verdict = "passed" if report.passed else "**did not pass**"
    traced = _count(len(report.mapping), "line")
    out = [f"{what}: faithfulness gate {verdict}; {traced} traced to the master CV."]
    if report.mapping:
        out += ["", "| output line | master-CV id | master-CV text |", "| --- | --- | --- |"]
        for line, unit in report.mapping.items():
            source = source_text(cv, unit)
            shown = "(same text)" if one_line(source) == one_line(line) else cell(source)
            out.append(f"| {cell(line)} | `{_code(unit)}` | {shown} |")
    out += ["", "Rejected claims:", ""]
    out += bullets(report.rejected, empty="_None: nothing was rejected._")
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _joined(items: tuple[str, ...]) -> str:
    return ", ".join(inline(i) for i in items if i.strip()) or "none"


def _code(text: str) -> str:
    """Text for a one-backtick code span: no backticks, pipes or newlines can leak out."""
    return one_line(text).replace("`", "'").replace("|", "/") or "-"
