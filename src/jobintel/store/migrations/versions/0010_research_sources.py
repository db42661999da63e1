"""research sources, and an index for the latest guard event of a kind and subject

The web sources of a company are kept apart from its research, so a failed summary does
not pay for the search again. The alert engine reads the latest guard event of a kind
about a subject (a quiet spell of pricing anomalies across processes).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "research_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_guard_events_kind_subject_at", "guard_events", ["kind", "subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_guard_events_kind_subject_at", table_name="guard_events")
    op.drop_table("research_sources")
