"""Alembic environment: runs on the connection that jobintel's ``upgrade_to_head`` hands over."""

from typing import Any

from alembic import context

from jobintel.store.tables import Base

config = context.config


def run_migrations(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("run migrations with `jobintel db upgrade`, which provides the connection")
run_migrations(_connection)
