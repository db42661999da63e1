"""The simulated model's answer to the extract prompt: the rules' reading of the posting."""

from __future__ import annotations

from typing import Any

from jobintel.analysis.extraction import extract_jd
from jobintel.models import Posting
from jobintel.pipeline.stages.extract import MAX_ITEMS, MAX_KEYWORDS, MAX_SKILLS, ExtractLLM
from jobintel.simulator.responders import ResponderInput, responder


def _text(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


@responder("extract")
def answer_extract(inp: ResponderInput) -> ExtractLLM:
    """The deterministic extraction of the posting in the data, as the model's answer."""
    posting = Posting(
        source="simulator",
        title=_text(inp.data, "title"),
        company=_text(inp.data, "company"),
        location=_text(inp.data, "location"),
        description=_text(inp.data, "text"),
        dedupe_key="simulator",
    )
    jd = extract_jd(posting)
    return ExtractLLM(
        role_category=jd.role_category,
        seniority=jd.seniority,
        remote_policy=jd.remote_policy,
        responsibilities=list(jd.responsibilities[:MAX_ITEMS]),
        qualifications=list(jd.qualifications[:MAX_ITEMS]),
        nice_to_haves=list(jd.nice_to_haves[:MAX_ITEMS]),
        benefits=list(jd.benefits[:MAX_ITEMS]),
        technical_skills=list(jd.technical_skills[:MAX_SKILLS]),
        soft_skills=list(jd.soft_skills[:MAX_ITEMS]),
        top_keywords=list(jd.top_keywords[:MAX_KEYWORDS]),
        years_experience=jd.years_experience,
        education=jd.education,
        industry=jd.industry,
    )
