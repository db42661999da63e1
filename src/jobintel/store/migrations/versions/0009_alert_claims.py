"""alert claims: episode owner, one firing episode per fingerprint

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Processes sharing one database (the service and ``jobintel run``) claim alert episodes
atomically: the partial unique index lets only one insert a firing episode per
fingerprint. Duplicates left by the older read-then-insert code are resolved first
(the newest firing row per fingerprint stays firing).
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_FIRING = sa.text("state = 'firing'")


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("owner", sa.String(100), nullable=True))
    op.execute(
        "UPDATE alerts SET state = 'resolved', resolved_at = last_sent_at "
        "WHERE state = 'firing' AND id < ("
        "SELECT MAX(newer.id) FROM alerts AS newer "
        "WHERE newer.fingerprint = alerts.fingerprint AND newer.state = 'firing')"
    )
    op.create_index(
        "uq_alerts_firing_fingerprint",
        "alerts",
        ["fingerprint"],
        unique=True,
        sqlite_where=_FIRING,
        postgresql_where=_FIRING,
    )


def downgrade() -> None:
    op.drop_index("uq_alerts_firing_fingerprint", table_name="alerts")
    # In place, never by batch mode's copy-and-drop: on SQLite dropping the old ``alerts``
    # table would cascade to every ``alert_deliveries`` row (SQLite 3.35+ drops columns).
    op.execute("ALTER TABLE alerts DROP COLUMN owner")
