"""Persistence: SQLAlchemy 2 on SQLite (WAL) or PostgreSQL, migrated by Alembic."""

from jobintel.store.database import create_db_engine, schema_is_current, upgrade_to_head
from jobintel.store.repository import (
    ArtifactRecord,
    EventRecord,
    JobInfo,
    RunInfo,
    StageRecord,
    Store,
)
from jobintel.store.research_cache import ResearchCache, ResearchLease, SourceCache, company_key

__all__ = [
    "ArtifactRecord",
    "EventRecord",
    "JobInfo",
    "ResearchCache",
    "ResearchLease",
    "RunInfo",
    "SourceCache",
    "StageRecord",
    "Store",
    "company_key",
    "create_db_engine",
    "schema_is_current",
    "upgrade_to_head",
]
