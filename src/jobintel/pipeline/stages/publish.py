"""publish: every artifact on disk (atomically) and referenced in the store."""

from __future__ import annotations

from jobintel.models import (
    CompanyResearch,
    CoverLetter,
    ExtractedJD,
    FitAssessment,
    PainPoints,
    PeopleResult,
    Posting,
    Published,
    RoleResearch,
    TailoredCV,
)
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.render import (
    DossierInputs,
    render_cv_pdf,
    render_dossier_html,
    render_dossier_markdown,
    render_evidence_json,
    render_outreach_markdown,
    write_artifact,
)


def deterministic(ctx: StageContext) -> Published:
    posting = ctx.result("ingest", Posting)
    tailored = ctx.result("cv", TailoredCV)
    people = ctx.result("people", PeopleResult)
    letter = ctx.result("cover_letter", CoverLetter)
    inputs = DossierInputs(
        run_id=ctx.run_id,
        posting=posting,
        jd=ctx.result("extract", ExtractedJD),
        pain_points=ctx.result("pain_points", PainPoints),
        company=ctx.result("company", CompanyResearch),
        role=ctx.result("role", RoleResearch),
        fit=ctx.result("fit", FitAssessment),
        people=people,
        cv=tailored,
        cover_letter=letter,
        master_cv=ctx.cv,
        strategies=dict(ctx.strategies),
        degraded=dict(ctx.degraded),
    )
    out = ctx.output_dir
    out.mkdir(parents=True, exist_ok=True)
    artifacts = (
        write_artifact(out, "dossier.md", render_dossier_markdown(inputs), "dossier_md"),
        write_artifact(out, "dossier.html", render_dossier_html(inputs), "dossier_html"),
        write_artifact(out, "cv.md", tailored.markdown, "cv_md"),
        write_artifact(out, "cv.pdf", render_cv_pdf(tailored.markdown), "cv_pdf"),
        write_artifact(out, "cover_letter.md", letter.markdown, "cover_letter_md"),
        write_artifact(
            out, "outreach.md", render_outreach_markdown(people, posting), "outreach_md"
        ),
        write_artifact(out, "evidence.json", render_evidence_json(inputs), "evidence_json"),
    )
    return Published(directory=str(out), artifacts=artifacts)


STAGE = StageSpec(
    name="publish",
    needs=("role", "people", "cv", "cover_letter"),
    output=Published,
    deterministic=deterministic,
    description="Dossier (Markdown, HTML), cv.md, cv.pdf, cover letter, outreach, evidence.json",
)
