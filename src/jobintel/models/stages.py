"""Typed outputs of every pipeline stage.

Each stage reads the outputs of the stages it needs and returns exactly one of these
models; the runner checkpoints it as JSON and reloads it on resume, so every model must
round-trip through ``model_dump(mode="json")`` / ``model_validate``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RemotePolicy = Literal["fully_remote", "hybrid", "onsite", "not_specified"]
Seniority = Literal[
    "junior",
    "mid",
    "senior",
    "staff",
    "principal",
    "manager",
    "director",
    "vp",
    "c_level",
    "not_specified",
]
RoleCategory = Literal[
    "ic_engineer",
    "senior_engineer",
    "staff_principal_engineer",
    "tech_lead",
    "engineering_manager",
    "head_of_engineering",
    "architect",
    "data_ml_engineer",
    "devops_platform",
    "product_manager",
    "project_manager",
    "other",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- extract -----------------------------------------------------------------------------


class ExtractedJD(_Frozen):
    """A structured job description (deterministic or LLM-made)."""

    title: str
    company: str
    location: str = ""
    role_category: RoleCategory = "other"
    seniority: Seniority = "not_specified"
    remote_policy: RemotePolicy = "not_specified"
    responsibilities: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()
    nice_to_haves: tuple[str, ...] = ()
    benefits: tuple[str, ...] = ()
    technical_skills: tuple[str, ...] = Field(default=(), description="Canonical skill names")
    soft_skills: tuple[str, ...] = ()
    top_keywords: tuple[str, ...] = ()
    years_experience: int | None = None
    education: str | None = None
    industry: str | None = None
    sentences: tuple[str, ...] = Field(
        default=(), description="The posting's cleaned sentences, for quoting evidence"
    )


# --- pain_points -------------------------------------------------------------------------


class PainPoint(_Frozen):
    """An employer need, with the posting sentence it rests on."""

    text: str
    kind: Literal["pain_point", "strategic_need", "risk_if_unfilled", "success_metric"]
    quote: str = Field(description="The posting sentence this rests on, verbatim")
    score: float = Field(ge=0, description="Rank score; higher is more pressing")


class PainPoints(_Frozen):
    items: tuple[PainPoint, ...] = ()


# --- company / role ----------------------------------------------------------------------


class Signal(_Frozen):
    type: str
    text: str
    date: str | None = None
    source_url: str | None = None


class CompanyResearch(_Frozen):
    company: str
    summary: str
    signals: tuple[Signal, ...] = ()
    offline: bool = Field(description="True when only the posting itself was used")
    sources: tuple[str, ...] = ()


class RoleResearch(_Frozen):
    summary: str
    business_impact: str
    why_now: str
    offline: bool


# --- fit ---------------------------------------------------------------------------------


class EvidenceLink(_Frozen):
    bullet_id: str
    text: str
    score: float = Field(ge=0, le=1)


class RequirementEvidence(_Frozen):
    requirement: str
    kind: Literal["qualification", "responsibility", "nice_to_have", "skill"]
    evidence: tuple[EvidenceLink, ...] = ()
    status: Literal["met", "partial", "gap"]


class FitAssessment(_Frozen):
    """Evidence matrix, keyword coverage and a fit score, kept apart."""

    matrix: tuple[RequirementEvidence, ...]
    keyword_coverage_pct: float = Field(ge=0, le=100)
    matched_keywords: tuple[str, ...] = ()
    missing_keywords: tuple[str, ...] = ()
    score: int = Field(ge=0, le=100)
    rationale: str


# --- people ------------------------------------------------------------------------------


class Contact(_Frozen):
    name: str
    title: str
    why: str
    synthetic: bool = Field(description="True when this is a role, not a person we found")
    profile_url: str | None = None


class OutreachDraft(_Frozen):
    contact: str
    linkedin_note: str = Field(max_length=300)
    inmail_subject: str
    inmail: str
    email_subject: str
    email: str


class PeopleResult(_Frozen):
    contacts: tuple[Contact, ...]
    drafts: tuple[OutreachDraft, ...]


# --- cv / cover_letter -------------------------------------------------------------------


class TailoredRole(_Frozen):
    title: str
    employer: str
    location: str = ""
    start: str = ""
    end: str = ""
    bullets: tuple[str, ...] = ()
    source_bullet_ids: tuple[str, ...] = Field(
        default=(), description="Master-CV bullet id for each bullet, same order"
    )


class FaithfulnessReport(_Frozen):
    """What the faithfulness gate checked and what it rejected."""

    passed: bool
    mapping: dict[str, str] = Field(
        default_factory=dict, description="Output line → master-CV bullet id it traces to"
    )
    rejected: tuple[str, ...] = Field(default=(), description="Claims not in the master CV")


class TailoredCV(_Frozen):
    name: str
    contact: str = ""
    headline: str = ""
    summary: str = ""
    skills: tuple[str, ...] = ()
    roles: tuple[TailoredRole, ...] = ()
    education: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    faithfulness: FaithfulnessReport
    markdown: str


class CoverLetter(_Frozen):
    paragraphs: tuple[str, ...]
    source_bullet_ids: tuple[str, ...] = ()
    faithfulness: FaithfulnessReport
    markdown: str


# --- publish -----------------------------------------------------------------------------


ArtifactKind = Literal[
    "dossier_md",
    "dossier_html",
    "cv_md",
    "cv_pdf",
    "cover_letter_md",
    "outreach_md",
    "evidence_json",
]


class ArtifactRef(_Frozen):
    kind: ArtifactKind
    path: str
    sha256: str
    bytes: int


class Published(_Frozen):
    directory: str
    artifacts: tuple[ArtifactRef, ...]
