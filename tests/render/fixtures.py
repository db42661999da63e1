"""Hand-built instances of every stage-output model, for the render tests.

They describe one plausible posting (an applied-AI lead at a logistics company) and the
good-fit sample candidate, so the renderers see realistic shapes without running stages.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from jobintel.models import (
    Bullet,
    CompanyResearch,
    Contact,
    CoverLetter,
    EvidenceLink,
    ExtractedJD,
    FaithfulnessReport,
    FitAssessment,
    MasterCV,
    OutreachDraft,
    PainPoint,
    PainPoints,
    PeopleResult,
    Posting,
    RequirementEvidence,
    Role,
    RoleResearch,
    Signal,
    SkillGroup,
    TailoredCV,
    TailoredRole,
)
from jobintel.render.view import DossierInputs

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"

B_RAG = (
    "Designed a retrieval-augmented document assistant over 3.1M freight documents "
    "(PostgreSQL + pgvector, hybrid BM25/embedding retrieval) that cut manual "
    "customs-document handling time by 43%."
)
B_EVAL = (
    "Introduced an evaluation harness (golden sets, LLM-as-judge with human calibration) "
    "that gates every prompt and model change in CI."
)
B_SPEND = "Cut LLM spend by 58% (from EUR 41k to EUR 17k per month) through prompt caching."
B_ETA = "Led the ETA-prediction platform serving 25M predictions per day at p99 under 80 ms."


def posting() -> Posting:
    """A posting for an applied-AI lead."""
    return Posting(
        source="jobs.jsonl:7",
        title="Lead AI Engineer",
        company="Acme Logistics GmbH",
        location="Berlin, Germany",
        url="https://www.linkedin.com/jobs/view/lead-ai-engineer-at-acme-4012345678",
        description=(
            "We are scaling our AI platform. Key Responsibilities * Own the LLM roadmap. "
            "* Build evaluation for every model change. Required Qualifications * 7+ years "
            "of Python. * Experience with RAG in production."
        ),
        criteria="Seniority level: Mid-Senior level; Employment type: Full-time",
        source_id="4012345678",
        posted_at="2025-11-20",
        dedupe_key="3f9a1c2be4d5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5",
    )


def jd() -> ExtractedJD:
    """The structured description of ``posting()``."""
    return ExtractedJD(
        title="Lead AI Engineer",
        company="Acme Logistics GmbH",
        location="Berlin, Germany",
        role_category="tech_lead",
        seniority="senior",
        remote_policy="hybrid",
        responsibilities=("Own the LLM roadmap.", "Build evaluation for every model change."),
        qualifications=("7+ years of Python.", "Experience with RAG in production."),
        nice_to_haves=("Kubernetes experience.",),
        benefits=("30 days of holiday.",),
        technical_skills=("Python", "RAG", "Kubernetes", "LLM"),
        soft_skills=("communication",),
        top_keywords=("llm", "evaluation", "python", "rag"),
        years_experience=7,
        education="Bachelor's degree in Computer Science or similar",
        industry="Logistics",
        sentences=(
            "We are scaling our AI platform.",
            "Own the LLM roadmap.",
            "Build evaluation for every model change.",
        ),
    )


def pain_points() -> PainPoints:
    """Two pain points, deliberately out of rank order."""
    return PainPoints(
        items=(
            PainPoint(
                text="Model changes ship without evaluation",
                kind="risk_if_unfilled",
                quote="Build evaluation for every model change.",
                score=0.6,
            ),
            PainPoint(
                text="The AI platform must scale",
                kind="strategic_need",
                quote="We are scaling our AI platform.",
                score=0.9,
            ),
        )
    )


def company() -> CompanyResearch:
    """Offline company research (from the posting only)."""
    return CompanyResearch(
        company="Acme Logistics GmbH",
        summary="A logistics company scaling an AI platform.",
        signals=(Signal(type="growth", text="We are scaling our AI platform."),),
        offline=True,
    )


def role() -> RoleResearch:
    """Offline role research."""
    return RoleResearch(
        summary="Leads the LLM roadmap and its evaluation.",
        business_impact="Safer, faster model changes.",
        why_now="The AI platform is scaling.",
        offline=True,
    )


def fit() -> FitAssessment:
    """An evidence matrix with one met, one partial and one gap requirement."""
    return FitAssessment(
        matrix=(
            RequirementEvidence(
                requirement="Experience with RAG in production.",
                kind="qualification",
                evidence=(EvidenceLink(bullet_id="r0.b2", text=B_RAG, score=0.82),),
                status="met",
            ),
            RequirementEvidence(
                requirement="Build evaluation for every model change.",
                kind="responsibility",
                evidence=(
                    EvidenceLink(bullet_id="r0.b3", text=B_EVAL, score=0.55),
                    EvidenceLink(bullet_id="r0.b4", text=B_SPEND, score=0.31),
                ),
                status="partial",
            ),
            RequirementEvidence(
                requirement="Kubernetes experience.", kind="nice_to_have", status="gap"
            ),
        ),
        keyword_coverage_pct=75.0,
        matched_keywords=("llm", "python", "rag"),
        missing_keywords=("kubernetes",),
        score=71,
        rationale="Strong RAG and evaluation evidence; no Kubernetes evidence.",
    )


def people() -> PeopleResult:
    """One synthetic contact and its outreach draft."""
    return PeopleResult(
        contacts=(
            Contact(
                name="Hiring manager, AI platform",
                title="Head of AI",
                why="Owns the team this role joins.",
                synthetic=True,
            ),
        ),
        drafts=(
            OutreachDraft(
                contact="Hiring manager, AI platform",
                linkedin_note="Hi — I lead an applied-AI team and saw the Lead AI Engineer role.",
                inmail_subject="Lead AI Engineer: evaluation and RAG",
                inmail="Hello,\n\nI built an evaluation harness that gates model changes.",
                email_subject="Lead AI Engineer application",
                email="Hello,\n\nI would like to talk about the role.\n\nJordan",
            ),
        ),
    )


def master_cv() -> MasterCV:
    """A short master CV with the bullets the fit and CV fixtures cite."""
    return MasterCV(
        source="master-cv.md",
        name="Jordan Reyes",
        contact="Berlin, Germany · jordan.reyes@example.org",
        roles=(
            Role(
                title="Head of Applied AI",
                employer="Lumen Freight GmbH",
                start="2022-03",
                end="present",
                bullets=(
                    Bullet(id="r0.b2", text=B_RAG),
                    Bullet(id="r0.b3", text=B_EVAL),
                    Bullet(id="r0.b4", text=B_SPEND),
                ),
            ),
            Role(
                title="Staff Machine Learning Engineer",
                employer="Lumen Freight GmbH",
                start="2020-01",
                end="2022-02",
                bullets=(Bullet(id="r1.b1", text=B_ETA),),
            ),
        ),
        skills=(SkillGroup(name="Languages", items=("Python", "SQL")),),
        education=("M.Sc. Computer Science — Universidad Politécnica de Madrid · 2014",),
    )


def tailored_cv() -> TailoredCV:
    """A tailored CV that passed the gate, with a mapping and its Markdown."""
    markdown = (
        "# Jordan Reyes\n\nBerlin, Germany · jordan.reyes@example.org\n\n## Experience\n\n"
        f"### Head of Applied AI — Lumen Freight GmbH · 2022-03 – present\n\n- {B_RAG}\n"
        f"- {B_EVAL}\n"
    )
    return TailoredCV(
        name="Jordan Reyes",
        contact="Berlin, Germany · jordan.reyes@example.org",
        skills=("Python",),
        roles=(
            TailoredRole(
                title="Head of Applied AI",
                employer="Lumen Freight GmbH",
                start="2022-03",
                end="present",
                bullets=(B_RAG, B_EVAL),
                source_bullet_ids=("r0.b2", "r0.b3"),
            ),
        ),
        faithfulness=FaithfulnessReport(passed=True, mapping={B_RAG: "r0.b2", B_EVAL: "r0.b3"}),
        markdown=markdown,
    )


def cover_letter() -> CoverLetter:
    """A cover letter whose gate rejected one invented claim."""
    paragraphs = ("I built an evaluation harness that gates every model change.",)
    return CoverLetter(
        paragraphs=paragraphs,
        source_bullet_ids=("r0.b3",),
        faithfulness=FaithfulnessReport(
            passed=False,
            mapping={paragraphs[0]: "r0.b3"},
            rejected=("employer 'Globex Corp'",),
        ),
        markdown="Dear hiring team,\n\n" + paragraphs[0] + "\n",
    )


def dossier_inputs(**changes: Any) -> DossierInputs:
    """A complete ``DossierInputs``; ``changes`` replace any field."""
    base = DossierInputs(
        run_id="run-20251120-0001",
        posting=posting(),
        jd=jd(),
        pain_points=pain_points(),
        company=company(),
        role=role(),
        fit=fit(),
        people=people(),
        cv=tailored_cv(),
        cover_letter=cover_letter(),
        master_cv=master_cv(),
        strategies={
            "ingest": "deterministic",
            "extract": "llm",
            "pain_points": "deterministic",
            "company": "deterministic",
            "role": "deterministic",
            "fit": "deterministic",
            "people": "deterministic",
            "cv": "deterministic",
            "cover_letter": "deterministic",
        },
        degraded={"pain_points": "budget exhausted: job budget $0.50 reached"},
    )
    return replace(base, **changes)
