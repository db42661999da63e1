"""The dossier shows, for the CV and the letter, who wrote it and why a model draft was refused."""

from __future__ import annotations

from jobintel.render import DossierInputs, render_dossier_html, render_dossier_markdown
from tests.render import fixtures

REASON = (
    "FaithfulnessRejected: the faithfulness gate rejected the cv written by openai:m twice: "
    "employer 'Globex Corp' is not in the master CV"
)


def _inputs() -> DossierInputs:
    strategies = {**fixtures.dossier_inputs().strategies, "cover_letter": "llm:openai:m"}
    return fixtures.dossier_inputs(strategies=strategies, degraded={"cv": REASON})


def test_markdown_names_the_strategy_and_the_refusal_reason_per_document() -> None:
    """Each faithfulness section says which strategy wrote it; a refused CV draft says why."""
    md = render_dossier_markdown(_inputs())
    cv_part, letter_part = md.split("## Cover letter faithfulness")
    assert "Written by the `deterministic` strategy." in cv_part.split("## CV faithfulness")[1]
    assert f"> **Model draft not used:** {REASON}" in cv_part
    assert "Written by the `llm:openai:m` strategy." in letter_part
    assert "Model draft not used" not in letter_part


def test_html_shows_the_refusal_reason_escaped() -> None:
    """The HTML dossier shows the reason as text, with a rejected line's markup escaped."""
    reason = REASON + ": <b>Led</b> 6 engineers at Globex Corp"
    page = render_dossier_html(fixtures.dossier_inputs(degraded={"cv": reason}))
    assert "Model draft not used:</strong> FaithfulnessRejected" in page
    assert "&lt;b&gt;Led&lt;/b&gt;" in page and "<b>Led</b>" not in page
