"""``evidence.json``: the machine-readable record of what a dossier's claims rest on."""

from __future__ import annotations

import json
from typing import Any

from jobintel.render.view import DossierInputs, stage_rows

SCHEMA = "jobintel.evidence/1"


def render_evidence_json(d: DossierInputs) -> str:
    """A stable JSON document (sorted keys, 2-space indent, trailing newline) for one posting.

    It holds the posting's metadata (not its text), the structured JD, pain points with
    quotes, research, the fit matrix with keyword coverage and score, contacts, the
    faithfulness reports of the CV and cover letter, and how each stage ran.
    """
    p = d.posting
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "run_id": d.run_id,
        "posting": {
            "title": p.title,
            "company": p.company,
            "location": p.location,
            "url": p.url,
            "source": p.source,
            "source_id": p.source_id,
            "posted_at": p.posted_at,
            "dedupe_key": p.dedupe_key,
        },
        "candidate": {
            "name": d.master_cv.name,
            "source": d.master_cv.source,
            "content_hash": d.master_cv.content_hash,
        },
        "jd": d.jd.model_dump(mode="json"),
        "pain_points": [pp.model_dump(mode="json") for pp in d.pain_points.items],
        "research": {
            "company": d.company.model_dump(mode="json"),
            "role": d.role.model_dump(mode="json"),
        },
        "fit": d.fit.model_dump(mode="json"),
        "contacts": [c.model_dump(mode="json") for c in d.people.contacts],
        "faithfulness": {
            "cv": {
                **d.cv.faithfulness.model_dump(mode="json"),
                "source_bullet_ids": [list(r.source_bullet_ids) for r in d.cv.roles],
            },
            "cover_letter": {
                **d.cover_letter.faithfulness.model_dump(mode="json"),
                "source_bullet_ids": list(d.cover_letter.source_bullet_ids),
            },
        },
        "stages": [
            {"stage": r.stage, "strategy": r.strategy, "degraded": r.degraded or None}
            for r in stage_rows(d)
        ],
        "strategies": dict(d.strategies),
        "degraded": dict(d.degraded),
    }
    # allow_nan=False: a NaN score is a bug upstream, not something to publish as invalid JSON.
    return (
        json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )
