"""cost ledger: one row per attempt at an external call

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cost_ledger",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(32), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        # Whole nano-dollars: exact rows and sums on SQLite and PostgreSQL alike.
        sa.Column("cost_nanousd", sa.BigInteger(), nullable=False),
        sa.Column("cost_source", sa.String(16), nullable=False),
        sa.Column("reserved_nanousd", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("breaker_state", sa.String(16), nullable=True),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("anomaly", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_cost_ledger_day", "cost_ledger", ["day"])
    op.create_index("ix_cost_ledger_run_id_job_id", "cost_ledger", ["run_id", "job_id"])


def downgrade() -> None:
    op.drop_index("ix_cost_ledger_run_id_job_id", table_name="cost_ledger")
    op.drop_index("ix_cost_ledger_day", table_name="cost_ledger")
    op.drop_table("cost_ledger")
