"""The dossier as one self-contained, print-friendly HTML page."""

from __future__ import annotations

import functools

import jinja2

from jobintel.render.markdown_text import one_line
from jobintel.render.view import (
    PAIN_KIND_LABELS,
    REQUIREMENT_KIND_LABELS,
    SYNTHETIC_MARK,
    DossierInputs,
    best_evidence_score,
    label,
    ranked_pain_points,
    safe_url,
    source_text,
    stage_rows,
    status_counts,
)

TEMPLATE = "dossier.html.j2"


@functools.cache
def _environment() -> jinja2.Environment:
    # Autoescape everything: posting, research and CV text are untrusted input.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("jobintel.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_dossier_html(d: DossierInputs) -> str:
    """The dossier for one posting as a standalone HTML page (inline CSS, no external assets)."""
    rows = stage_rows(d)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            d=d,
            stages=rows,
            degraded_stages=[r.stage for r in rows if r.degraded],
            pains=ranked_pain_points(d.pain_points),
            counts=status_counts(d.fit),
            pain_labels=PAIN_KIND_LABELS,
            req_labels=REQUIREMENT_KIND_LABELS,
            synthetic_mark=SYNTHETIC_MARK,
            label=label,
            safe_url=safe_url,
            best_score=best_evidence_score,
            source_text=source_text,
            same=lambda a, b: one_line(a) == one_line(b),
        )
    )
