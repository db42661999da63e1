"""A job posting as jobintel sees it after ingestion."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RawPosting(BaseModel):
    """A posting as read from a file, before the ingest stage normalises it.

    ``source`` names where it came from (``path`` or ``path:line``) so that every
    error and report can point the user at the exact input.
    """

    model_config = ConfigDict(frozen=True)

    source: str
    title: str = ""
    company: str = ""
    location: str = ""
    url: str = ""
    criteria: str = ""
    description: str
    source_id: str = ""
    posted_at: str = ""


class Posting(BaseModel):
    """A normalised posting: the output of the ingest stage."""

    model_config = ConfigDict(frozen=True)

    source: str
    title: str
    company: str
    location: str = ""
    url: str = ""
    description: str
    criteria: str = ""
    source_id: str = ""
    posted_at: str = ""
    dedupe_key: str = Field(description="Stable key: two postings with the same key are one")
