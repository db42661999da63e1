"""budgets: scope limits and totals, and reservations held against them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from typing import Any

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _money() -> sa.types.TypeEngine[Any]:
    # Exact decimals: NUMERIC on PostgreSQL; a decimal string on SQLite, whose driver
    # would round-trip NUMERIC through float.
    return sa.Numeric(18, 9).with_variant(sa.String(40), "sqlite")


def upgrade() -> None:
    op.create_table(
        "budget_scopes",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("limit_usd", _money(), nullable=True),
        sa.Column("limit_tokens", sa.BigInteger(), nullable=True),
        sa.Column("spent_usd", _money(), nullable=False),
        sa.Column("spent_tokens", sa.BigInteger(), nullable=False),
        sa.Column("reserved_usd", _money(), nullable=False),
        sa.Column("reserved_tokens", sa.BigInteger(), nullable=False),
        sa.Column("thresholds_fired", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_budget_scopes_kind_updated_at", "budget_scopes", ["kind", "updated_at"])
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scope_keys", sa.JSON(), nullable=False),
        sa.Column("amount_usd", _money(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_budget_reservations_state_expires_at",
        "budget_reservations",
        ["state", "expires_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_budget_reservations_state_expires_at", table_name="budget_reservations")
    op.drop_table("budget_reservations")
    op.drop_index("ix_budget_scopes_kind_updated_at", table_name="budget_scopes")
    op.drop_table("budget_scopes")
