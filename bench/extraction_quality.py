"""Extraction quality against the LLM reference extractions in the shared samples.

For every sample posting that carries an ``extracted_jd``, compare our deterministic
``technical_skills`` with the reference's, both sides alias-normalised through
``canonical_skill`` (a reference skill the taxonomy cannot name stays as its own
lower-cased spelling, so it counts as a miss). Prints one row per posting, then the
micro-averaged precision and recall; the last line is one JSON object.

    .venv/bin/python bench/extraction_quality.py [path/to/jobs.jsonl]
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobintel.analysis.extraction import extract_jd
from jobintel.analysis.fit import assess_fit
from jobintel.analysis.pain_points import find_pain_points
from jobintel.analysis.skills import canonical_skill
from jobintel.inputs import load_cv
from jobintel.models import ExtractedJD, Posting

DEFAULT_SAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "jobs.jsonl"


@dataclass(frozen=True)
class SkillScore:
    """Skill overlap for one posting."""

    source: str
    title: str
    ours: frozenset[str]
    reference: frozenset[str]

    @property
    def hits(self) -> int:
        return len(self.ours & self.reference)


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def posting_from_row(i: int, row: dict[str, Any]) -> Posting:
    return Posting(
        source=f"jobs.jsonl:{i}",
        title=row["title"],
        company=row["company"],
        location=row["location"],
        url=row["url"],
        description=row["job_description"],
        criteria=row["job_criteria"],
        source_id=row["source_id"],
        dedupe_key=row["source_id"],
    )


def normalise(skill: str) -> str:
    return canonical_skill(skill) or " ".join(skill.lower().split())


def skill_scores(rows: list[dict[str, Any]], extracted: list[ExtractedJD]) -> list[SkillScore]:
    scores = []
    for i, (row, jd) in enumerate(zip(rows, extracted, strict=True)):
        reference = row.get("extracted_jd")
        if not reference:
            continue
        scores.append(
            SkillScore(
                source=f"jobs.jsonl:{i}",
                title=row["title"],
                ours=frozenset(normalise(s) for s in jd.technical_skills),
                reference=frozenset(normalise(s) for s in reference["technical_skills"]),
            )
        )
    return scores


def skill_figures(scores: list[SkillScore], *, verbose: bool = True) -> dict[str, float | int]:
    """Print per-posting rows; return micro-averaged precision and recall."""
    if verbose:
        print(f"{'posting':<16} {'P':>5} {'R':>5}  ours/ref  title")
    for s in scores:
        p = s.hits / len(s.ours) if s.ours else 0.0
        r = s.hits / len(s.reference) if s.reference else 0.0
        if verbose:
            print(
                f"{s.source:<16} {p:5.2f} {r:5.2f}  {len(s.ours):>3}/{len(s.reference):<3}  {s.title[:50]}"
            )
            print(f"{'':16}   missed: {sorted(s.reference - s.ours)}")
            print(f"{'':16}   extra:  {sorted(s.ours - s.reference)}")
    hits = sum(s.hits for s in scores)
    ours = sum(len(s.ours) for s in scores)
    ref = sum(len(s.reference) for s in scores)
    return {
        "skill_precision": round(hits / ours, 3) if ours else 0.0,
        "skill_recall": round(hits / ref, 3) if ref else 0.0,
        "postings": len(scores),
    }


def fit_separation(extracted: list[ExtractedJD], samples_dir: Path) -> dict[str, float | int]:
    """Share of postings where master-cv.md scores a higher fit than master-cv-frontend.md."""
    leader = load_cv(samples_dir / "master-cv.md")
    frontend = load_cv(samples_dir / "master-cv-frontend.md")
    wins = 0
    leader_scores: list[int] = []
    frontend_scores: list[int] = []
    for jd in extracted:
        pains = find_pain_points(jd)
        a = assess_fit(jd, pains, leader).score
        b = assess_fit(jd, pains, frontend).score
        leader_scores.append(a)
        frontend_scores.append(b)
        wins += a > b
    n = len(extracted)
    print(
        f"fit separation: master-cv.md > master-cv-frontend.md on {wins}/{n} postings; "
        f"median scores {statistics.median(leader_scores)} vs {statistics.median(frontend_scores)}"
    )
    return {
        "fit_separation": round(wins / n, 3) if n else 0.0,
        "fit_postings": n,
        "fit_median_leader": statistics.median(leader_scores),
        "fit_median_frontend": statistics.median(frontend_scores),
    }


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_SAMPLES
    rows = load_rows(path)
    extracted = [extract_jd(posting_from_row(i, row)) for i, row in enumerate(rows)]
    figures: dict[str, float | int] = {}
    figures.update(skill_figures(skill_scores(rows, extracted)))
    figures.update(fit_separation(extracted, path.parent))
    print(
        f"micro-averaged over {figures['postings']} postings: "
        f"precision {figures['skill_precision']:.3f}, recall {figures['skill_recall']:.3f}"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
