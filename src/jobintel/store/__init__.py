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

__all__ = [
    "ArtifactRecord",
    "EventRecord",
    "JobInfo",
    "RunInfo",
    "StageRecord",
    "Store",
    "create_db_engine",
    "schema_is_current",
    "upgrade_to_head",
]
