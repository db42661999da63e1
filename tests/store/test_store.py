"""The store on real SQLite and real PostgreSQL: migrations, checkpoints, events."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from jobintel.pipeline import PipelineRunner
from jobintel.settings import Settings, load_settings
from jobintel.store import Store, create_db_engine, schema_is_current, upgrade_to_head
from jobintel.store.tables import Base
from tests.conftest import EXAMPLES, plan_and_execute

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"jobintel_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _diff(url: str) -> list[object]:
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    assert schema_is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    return list(diff)


def test_sqlite_migrations_create_exactly_the_orm_schema(tmp_path: Path) -> None:
    """Alembic's head on SQLite matches the ORM tables with no difference."""
    assert _diff(f"sqlite:///{tmp_path / 'j.db'}") == []


def test_postgres_migrations_create_exactly_the_orm_schema(pg_url: str) -> None:
    """Alembic's head on PostgreSQL matches the ORM tables with no difference."""
    assert _diff(pg_url) == []


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    """The embedded default runs in WAL mode so readers never block a run."""
    store = Store.open(f"sqlite:///{tmp_path / 'j.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def _run_examples(settings: Settings) -> tuple[Store, str]:
    store = Store.open(settings.effective_database_url)
    planned, summary = plan_and_execute(
        store, settings, [EXAMPLES / "postings"], EXAMPLES / "master-cv.md"
    )
    assert summary.status == "succeeded"
    return store, planned.run_id


def test_pipeline_runs_on_postgres(pg_url: str, tmp_path: Path) -> None:
    """The examples run end to end with PostgreSQL as the store, checkpoints included."""
    settings = load_settings(database_url=pg_url, data_dir=tmp_path, out_dir=tmp_path / "out")
    store, run_id = _run_examples(settings)
    jobs = store.jobs(run_id)
    assert len(jobs) == 4
    assert all(len(store.stage_results(j.id)) == 10 for j in jobs)
    kinds = [e.kind for e in store.events(run_id)]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    store.close()


def test_rerun_repeats_only_the_stage_and_its_dependents(tmp_path: Path) -> None:
    """Re-running `fit` redoes fit, cv, cover_letter and publish, and restores the rest."""
    settings = load_settings(data_dir=tmp_path / "d", out_dir=tmp_path / "out")
    store, run_id = _run_examples(settings)
    cutoff = store.events(run_id)[-1].id
    runner = PipelineRunner(store, settings)
    summary = asyncio.run(runner.rerun(run_id, "fit"))
    assert summary.status == "succeeded"
    after = store.events(run_id, after_id=cutoff)
    started = {e.stage for e in after if e.kind == "stage_started"}
    restored = {e.stage for e in after if e.kind == "stage_restored"}
    assert started == {"fit", "cv", "cover_letter", "publish"}
    assert restored == {"ingest", "extract", "pain_points", "company", "role", "people"}
    records = store.stage_results(store.jobs(run_id)[0].id)
    assert records["fit"].started_at > records["role"].finished_at
    assert len(store.artifacts(run_id)) == 4 * 7
    store.close()


def _alert_deliveries_after_downgrade(url: str) -> tuple[int, int]:
    """Deliveries stored at head, then after stepping back below migration 0009."""
    from alembic import command

    from jobintel.store.database import alembic_config

    engine = create_db_engine(url)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (fingerprint, rule, subject, severity, state, first_at, "
                "last_sent_at, sends, message, owner) VALUES ('breaker_open:openai', "
                "'breaker_open', 'openai', 'critical', 'firing', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 1, 'open', 'h:1')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO alert_deliveries (alert_id, at, notification, channel, outcome, "
                "attempts) SELECT id, CURRENT_TIMESTAMP, 'firing', 'slack', 'ok', 1 FROM alerts"
            )
        )
    count = text("SELECT COUNT(*) FROM alert_deliveries")
    with engine.connect() as conn:
        before = int(conn.execute(count).scalar_one())
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    with engine.connect() as conn:
        after = int(conn.execute(count).scalar_one())
        columns = list(conn.execute(text("SELECT * FROM alerts")).keys())
    engine.dispose()
    assert "owner" not in columns
    return before, after


def test_sqlite_downgrade_below_alert_claims_keeps_the_deliveries(tmp_path: Path) -> None:
    """Undoing migration 0009 on SQLite drops the owner column in place: the cascade that a
    table copy would set off never deletes the alert deliveries."""
    assert _alert_deliveries_after_downgrade(f"sqlite:///{tmp_path / 'j.db'}") == (1, 1)


def test_postgres_downgrade_below_alert_claims_keeps_the_deliveries(pg_url: str) -> None:
    """Undoing migration 0009 on PostgreSQL keeps the alert deliveries too."""
    assert _alert_deliveries_after_downgrade(pg_url) == (1, 1)
