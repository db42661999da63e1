"""Write transactions the guard's shared state (budgets, rate limits, breakers) runs in.

On SQLite a transaction that reads, decides and writes must hold the database's write
lock from its first statement (``BEGIN IMMEDIATE``): otherwise two processes both read
the old state and both act on it. On PostgreSQL each store adds its own lock (a row lock
on the key, or an advisory lock) inside the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite


@contextmanager
def locked_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that holds SQLite's write lock from its first statement;
    committed when the block ends, rolled back if it raises."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def insert_ignoring_conflict(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    """Insert a row unless one with the same primary key exists (SQLite or PostgreSQL)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())
