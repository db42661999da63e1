"""What publish writes: the CV PDF a run produces carries every cv.md bullet, in order."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from jobintel.settings import Settings
from jobintel.store import Store
from tests.conftest import EXAMPLES, plan_and_execute


def _collapse(text: str) -> str:
    return " ".join(re.sub(r"\*\*|__|`", "", text).split())


def test_published_cv_pdf_round_trips_every_bullet_in_order(
    store: Store, settings: Settings
) -> None:
    """For each example posting, cv.md's bullets are found in cv.pdf's text in the same order."""
    planned, _ = plan_and_execute(
        store, settings, [EXAMPLES / "postings"], EXAMPLES / "master-cv.md"
    )
    pdfs = [Path(a.path) for a in store.artifacts(planned.run_id) if a.kind == "cv_pdf"]
    assert len(pdfs) == 4
    for pdf in pdfs:
        bullets = [
            _collapse(line[2:])
            for line in (pdf.parent / "cv.md").read_text().splitlines()
            if line.startswith("- ")
        ]
        assert len(bullets) >= 5
        text = _collapse(" ".join(page.extract_text() for page in PdfReader(pdf).pages))
        position = 0
        for bullet in bullets:
            found = text.find(bullet, position)
            assert found >= 0, f"{pdf}: bullet not found in order: {bullet!r}"
            position = found + len(bullet)
