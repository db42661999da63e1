"""Request and response bodies of the runner API (they are its OpenAPI schema)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime as _datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(moment: _datetime) -> _datetime:
    # SQLite hands back naive datetimes; every time the store writes is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


#: A moment in time, always with its offset (UTC when the store gave none).
datetime = Annotated[_datetime, AfterValidator(_utc)]

#: Ids are database integers; larger numbers cannot name anything (and SQLite refuses them).
MAX_ID = 2**53 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
RunStrategy = Literal["auto", "deterministic", "llm"]
BudgetKind = Literal["call", "stage", "job", "run", "candidate", "day", "month"]
CostDimension = Literal["day", "provider", "model", "stage", "job", "run"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- postings ----------------------------------------------------------------------------


class PostingCreate(_In):
    """A posting from pasted text, from a URL, or one or more JSON records.

    Give exactly one of ``text``, ``url`` or ``records``. ``title``, ``company`` and
    ``location`` override what is read from the text or page.
    """

    text: str | None = Field(default=None, description="The posting as Markdown or plain text")
    url: str | None = Field(
        default=None, description="Fetch the posting from this address (needs a research service)"
    )
    records: list[dict[str, Any]] | None = Field(
        default=None,
        description="Postings as JSON objects shaped like jobs.jsonl rows "
        "(title, company, job_description, ...)",
    )
    title: str | None = Field(default=None, max_length=300)
    company: str | None = Field(default=None, max_length=300)
    location: str | None = Field(default=None, max_length=300)


class PostingSummary(BaseModel):
    id: int
    title: str
    company: str
    location: str
    url: str
    source: str
    created_at: datetime


class PostingOut(PostingSummary):
    description: str
    criteria: str
    dedupe_key: str
    runs: list[str] = Field(description="Runs that used this posting, newest first")


class PostingCreated(PostingSummary):
    created: bool = Field(description="False when the same posting was already stored")


class InputProblem(BaseModel):
    """One posting (or record, or line) that could not be read; the others were kept."""

    source: str
    problem: str
    fix: str


class PostingsCreated(BaseModel):
    postings: list[PostingCreated]
    errors: list[InputProblem] = Field(default_factory=list)


class PostingList(BaseModel):
    postings: list[PostingSummary]
    total: int


# --- candidates --------------------------------------------------------------------------


class CandidateVersion(BaseModel):
    id: int = Field(description="Use this id as a run's candidate_id")
    version: int = Field(description="1 for the first upload under this name, then 2, 3...")
    source: str
    content_hash: str
    roles: int
    bullets: int
    created_at: datetime


class Candidate(BaseModel):
    name: str
    latest_id: int
    versions: list[CandidateVersion]


class CandidateDetail(Candidate):
    id: int = Field(description="The version asked for")
    version: int
    cv: dict[str, Any] = Field(description="The parsed master CV of this version")


class CandidateList(BaseModel):
    candidates: list[Candidate]


# --- runs --------------------------------------------------------------------------------


class RunCreate(_In):
    """Run the pipeline over some stored postings (or all of them) for one candidate."""

    posting_ids: list[DbId] | None = Field(default=None, max_length=10_000)
    all: bool = Field(default=False, description="Every stored posting (instead of posting_ids)")
    candidate_id: DbId = Field(description="A candidate version id from /api/candidates")
    concurrency: int | None = Field(default=None, ge=1, le=64, description="Jobs at once")
    budget: dict[BudgetKind, Decimal | None] = Field(
        default_factory=dict,
        description='Budget overrides in USD for this run, e.g. {"run": "2.50", "job": "0.40"}; '
        "null: unlimited",
    )
    strategy: RunStrategy | None = Field(default=None, description="Default: the server's setting")


class RerunRequest(_In):
    stage: str = Field(description="The stage to run again, with every stage that depends on it")
    job_ids: list[DbId] | None = Field(
        default=None, max_length=10_000, description="Only these jobs (default: all)"
    )


class RunAccepted(BaseModel):
    id: str
    status: str
    location: str = Field(description="Where to follow the run")
    events: str = Field(description="Server-Sent Events stream of the run's progress")


class RunOptionsOut(BaseModel):
    postings: int
    concurrency: int | None = None
    strategy: str | None = None
    budget: dict[str, str | None] = Field(default_factory=dict)


class RunSummaryOut(BaseModel):
    id: str
    status: str
    candidate_id: int
    job_count: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class StageOut(BaseModel):
    status: str
    strategy: str
    started_at: datetime
    finished_at: datetime
    duration_ms: float
    attempts: int
    reason: str | None = None
    error: str | None = None


class JobOut(BaseModel):
    id: int
    posting_id: int
    position: int
    title: str
    company: str
    status: str
    cost_usd: Decimal
    stages: dict[str, StageOut]


class RunDetail(RunSummaryOut):
    options: RunOptionsOut
    cost_usd: Decimal
    jobs: list[JobOut] = Field(description="The run's jobs in order, with stage checkpoints")
    problems: list[str] = Field(
        default_factory=list, description="Why the run could not start or stopped, if it did"
    )
    trace_id: str | None = Field(
        default=None,
        description="OpenTelemetry trace id (32 hex digits) of the run's latest traced "
        "execution; null when it was never traced (tracing off or not sampled)",
    )


class RunList(BaseModel):
    runs: list[RunSummaryOut]


# --- progress ----------------------------------------------------------------------------


class StageProgress(BaseModel):
    done: int = Field(description="Jobs whose stage completed (succeeded or degraded)")
    total: int
    running: int
    failed: int
    degraded: int
    skipped: int
    p50_ms: float | None = Field(description="Median duration of the completed ones")


class JobProgress(BaseModel):
    id: int
    title: str
    company: str
    status: str
    stages: dict[str, str] = Field(
        description="pending, running, succeeded, degraded, failed or skipped per stage"
    )
    cost_usd: Decimal


class Progress(BaseModel):
    run_id: str
    status: str
    percent: float = Field(ge=0, le=100)
    stages: dict[str, StageProgress]
    jobs: list[JobProgress]


# --- artifacts ---------------------------------------------------------------------------


class ArtifactOut(BaseModel):
    id: int
    job_id: int
    kind: str
    filename: str
    content_type: str
    bytes: int
    sha256: str
    url: str


class ArtifactList(BaseModel):
    artifacts: list[ArtifactOut]


# --- costs, budgets, health, alerts ------------------------------------------------------


class CostRowOut(BaseModel):
    key: str
    calls: int
    failed: int
    input_tokens: int
    output_tokens: int
    credits: int
    cost_usd: Decimal


class CostReport(BaseModel):
    by: CostDimension
    rows: list[CostRowOut]
    total_usd: Decimal


class BudgetOut(BaseModel):
    key: str
    kind: str
    limit_usd: Decimal | None
    spent_usd: Decimal
    reserved_usd: Decimal
    remaining_usd: Decimal | None
    pct: float | None
    limit_tokens: int | None = None
    spent_tokens: int = 0


class BudgetReport(BaseModel):
    timezone: str
    limits: dict[str, Decimal | None] = Field(description="Configured USD limit per scope kind")
    budgets: list[BudgetOut]


class BreakerOut(BaseModel):
    key: str
    state: str
    failures: int
    opened_at: datetime | None
    next_probe_at: datetime | None
    reason: str


class LimiterOut(BaseModel):
    key: str
    rpm: int | None
    tpm: int | None
    requests_last_minute: int
    tokens_last_minute: int
    requests_headroom: int | None
    tokens_headroom: int | None
    daily_requests: int | None = None
    requests_today: int | None = None
    backoff_until: datetime | None = None


class HealthReport(BaseModel):
    breakers: list[BreakerOut]
    limiter: list[LimiterOut]


class GuardEventOut(BaseModel):
    id: int
    at: datetime
    kind: str
    subject: str
    severity: str
    message: str


class GuardEventList(BaseModel):
    events: list[GuardEventOut]


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
