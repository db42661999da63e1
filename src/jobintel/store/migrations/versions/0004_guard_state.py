"""guard state: rate-limit windows, queues and daily quotas; circuit breakers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.Column("limit_requests", sa.Integer(), nullable=True),
        sa.Column("limit_tokens", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "rate_limit_grants",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_rate_limit_grants_key_at", "rate_limit_grants", ["key", "at"])
    op.create_table(
        "rate_limit_waiters",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_rate_limit_waiters_key_id", "rate_limit_waiters", ["key", "id"])
    op.create_table(
        "rate_limit_daily",
        sa.Column("service", sa.String(100), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "breaker_states",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=True),
        sa.Column("next_probe_at", sa.Float(), nullable=True),
        sa.Column("probe_id", sa.String(32), nullable=True),
        sa.Column("probe_expires_at", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_table(
        "breaker_calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_breaker_calls_key_at", "breaker_calls", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_breaker_calls_key_at", table_name="breaker_calls")
    op.drop_table("breaker_calls")
    op.drop_table("breaker_states")
    op.drop_table("rate_limit_daily")
    op.drop_index("ix_rate_limit_waiters_key_id", table_name="rate_limit_waiters")
    op.drop_table("rate_limit_waiters")
    op.drop_index("ix_rate_limit_grants_key_at", table_name="rate_limit_grants")
    op.drop_table("rate_limit_grants")
    op.drop_table("rate_limit_keys")
