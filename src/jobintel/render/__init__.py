"""Turn a job's stage outputs into files: dossier (Markdown, HTML), CV PDF, outreach, evidence."""

from jobintel.render.artifacts import ArtifactKind, atomic_write, write_artifact
from jobintel.render.dossier import render_dossier_markdown
from jobintel.render.evidence import render_evidence_json
from jobintel.render.html import render_dossier_html
from jobintel.render.outreach import render_outreach_markdown
from jobintel.render.paths import KEY_MARKER, job_output_dir, slugify
from jobintel.render.pdf import render_cv_pdf
from jobintel.render.view import DossierInputs

__all__ = [
    "KEY_MARKER",
    "ArtifactKind",
    "DossierInputs",
    "atomic_write",
    "job_output_dir",
    "render_cv_pdf",
    "render_dossier_html",
    "render_dossier_markdown",
    "render_evidence_json",
    "render_outreach_markdown",
    "slugify",
    "write_artifact",
]
