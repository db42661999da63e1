"""evidence.json: a stable, complete, machine-readable record of a dossier's evidence."""

from __future__ import annotations

import json

from jobintel.models import FitAssessment, PainPoint
from jobintel.render import render_evidence_json
from tests.render import fixtures


def test_evidence_json_is_stable_and_sorted() -> None:
    """The document has sorted keys, 2-space indent, one trailing newline and equal bytes twice."""
    text = render_evidence_json(fixtures.dossier_inputs())
    assert text == render_evidence_json(fixtures.dossier_inputs())
    assert text.endswith("}\n")
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_evidence_json_holds_the_evidence() -> None:
    """Posting metadata, JD, pain points, fit, faithfulness, strategies and run id round-trip."""
    d = fixtures.dossier_inputs()
    data = json.loads(render_evidence_json(d))
    assert data["schema"] == "jobintel.evidence/1"
    assert data["run_id"] == d.run_id
    assert data["posting"]["dedupe_key"] == d.posting.dedupe_key
    assert data["posting"]["url"] == d.posting.url
    assert "description" not in data["posting"]
    assert data["jd"]["seniority"] == "senior"
    assert [PainPoint.model_validate(p) for p in data["pain_points"]] == list(d.pain_points.items)
    assert FitAssessment.model_validate(data["fit"]) == d.fit
    assert data["fit"]["keyword_coverage_pct"] == 75.0
    assert data["fit"]["score"] == 71
    assert data["faithfulness"]["cv"]["passed"] is True
    assert data["faithfulness"]["cv"]["source_bullet_ids"] == [["r0.b2", "r0.b3"]]
    assert data["faithfulness"]["cover_letter"]["rejected"] == ["employer 'Globex Corp'"]
    assert data["strategies"]["extract"] == "llm"
    assert data["degraded"] == {"pain_points": "budget exhausted: job budget $0.50 reached"}
    assert data["research"]["company"]["offline"] is True
    assert data["contacts"][0]["synthetic"] is True


def test_evidence_json_keeps_unicode_readable() -> None:
    """Non-ASCII text is written as itself, not as \\u escapes."""
    posting = fixtures.posting().model_copy(update={"company": "Señor Café — Zürich"})
    text = render_evidence_json(fixtures.dossier_inputs(posting=posting))
    assert '"company": "Señor Café — Zürich"' in text
