"""Do the fit stage's two strategies score on one scale?

For each shared sample posting (and each sample CV), the rules' matrix is handed to the
LLM strategy's scoring as if a model had judged every requirement exactly as the rules
did. If the strategies share a scale, the two scores agree; a job whose fit stage degraded
to the rules then ranks fairly among jobs a model scored. The figures compare the current
scoring with scoring the statuses alone (met 1, partial 0.5, gap 0, times 100), which is
what the LLM strategy did before both used one formula.

    .venv/bin/python bench/fit_scale.py [path/to/jobs.jsonl]

The last line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from extraction_quality import DEFAULT_SAMPLES, load_rows, posting_from_row  # sibling bench
from jobintel.analysis.extraction import extract_jd
from jobintel.analysis.fit import assess_fit
from jobintel.analysis.matching import evidence_units
from jobintel.analysis.pain_points import find_pain_points
from jobintel.inputs import load_cv
from jobintel.models import MasterCV
from jobintel.pipeline.stages.fit import FitLLM, RequirementJudgment, merge, requirements

#: How the LLM strategy scored before: the weighted share of met (1) and partial (0.5).
_STATUS_SHARE = {"met": 1.0, "partial": 0.5, "gap": 0.0}


def differences(path: Path, cv: MasterCV) -> tuple[list[int], list[int]]:
    """Per posting: (current LLM score - rules' score, status-share score - rules' score)."""
    now: list[int] = []
    before: list[int] = []
    for i, row in enumerate(load_rows(path)):
        jd = extract_jd(posting_from_row(i, row))
        pains = find_pain_points(jd)
        rules = assess_fit(jd, pains, cv)
        reqs = requirements(jd, pains)
        if not reqs:
            continue
        by_text = {(r.requirement, r.kind): r for r in rules.matrix}
        rows = [by_text[(req.text, req.kind)] for req in reqs]
        # The model may cite any CV evidence the rules found; the stage shows it all here.
        cited = {e.bullet_id for r in rows for e in r.evidence}
        shown = [u for u in evidence_units(cv) if u.id in cited]
        answer = FitLLM(
            requirements=[
                RequirementJudgment(
                    i=k, status=r.status, bullet_ids=[e.bullet_id for e in r.evidence]
                )
                for k, r in enumerate(rows)
            ],
            rationale="Agrees with the rules.",
        )
        now.append(merge(jd, pains, cv, reqs, shown, answer).score - rules.score)
        total = sum(req.weight for req in reqs)
        share = sum(req.weight * _STATUS_SHARE[r.status] for req, r in zip(reqs, rows, strict=True))
        before.append(round(100 * share / total) - rules.score)
    return now, before


def summary(diffs: list[int]) -> dict[str, float | int]:
    return {
        "mean_diff": round(statistics.mean(diffs), 1),
        "mean_abs_diff": round(statistics.mean(abs(d) for d in diffs), 1),
        "max_abs_diff": max(abs(d) for d in diffs),
    }


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_SAMPLES
    figures: dict[str, object] = {}
    for name in ("master-cv.md", "master-cv-frontend.md"):
        cv_path = path.parent / name
        if not cv_path.is_file():
            continue
        now, before = differences(path, load_cv(cv_path))
        current, old = summary(now), summary(before)
        figures[name] = {"postings": len(now), "now": current, "status_share": old}
        print(
            f"{name}, {len(now)} postings, LLM minus rules score: now mean "
            f"{current['mean_diff']:+} (mean |d| {current['mean_abs_diff']}, max "
            f"{current['max_abs_diff']}); statuses alone mean {old['mean_diff']:+} "
            f"(mean |d| {old['mean_abs_diff']}, max {old['max_abs_diff']})"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
