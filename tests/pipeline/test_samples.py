"""The whole pipeline over the 53 real sample postings, with both sample CVs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobintel.pipeline import PIPELINE
from jobintel.settings import Settings
from jobintel.store import Store
from tests.conftest import SAMPLES, plan_and_execute

ARTIFACTS = {
    "dossier.md",
    "dossier.html",
    "cv.md",
    "cv.pdf",
    "cover_letter.md",
    "outreach.md",
    "evidence.json",
}


@pytest.mark.slow
@pytest.mark.parametrize("cv_name", ["master-cv.md", "master-cv-frontend.md"])
def test_every_sample_posting_succeeds_in_every_stage(
    cv_name: str, store: Store, settings: Settings
) -> None:
    """All 53 samples run every stage to success and publish all seven artifacts each."""
    planned, summary = plan_and_execute(
        store, settings, [SAMPLES / "jobs.jsonl"], SAMPLES / cv_name
    )
    assert planned.jobs == 53 and not planned.input_errors
    assert summary.status == "succeeded"
    for outcome in summary.jobs:
        assert outcome.stage_status == {name: "succeeded" for name in PIPELINE.names}
        assert outcome.output_dir is not None
        folder = settings.out_dir.resolve()
        out = Path(outcome.output_dir)
        assert out.resolve().is_relative_to(folder)
        assert {p.name for p in out.iterdir()} >= ARTIFACTS
        evidence = json.loads((out / "evidence.json").read_text())
        assert evidence
    assert len(store.artifacts(planned.run_id)) == 53 * 7
    assert len({j.output_dir for j in store.jobs(planned.run_id)}) == 53
