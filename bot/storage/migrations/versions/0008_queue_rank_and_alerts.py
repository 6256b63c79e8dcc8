"""The queue ranks by evidence as well as arrival (``ranked_at``: the arrival time moved earlier
by the strength of the danger evidence, ``bot.handoff.escalation.ranked_time``), and each console
account keeps whether the queue announces a new danger with a sound.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as table:
        table.add_column(sa.Column("ranked_at", sa.DateTime, nullable=True))
    op.execute("UPDATE escalations SET ranked_at = COALESCE(queued_at, created_at)")
    op.create_index("ix_escalations_rank_order", "escalations", ["status", "priority", "ranked_at"])
    with op.batch_alter_table("counselors") as table:
        table.add_column(sa.Column("alert_sound", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("counselors") as table:
        table.drop_column("alert_sound")
    op.drop_index("ix_escalations_rank_order", table_name="escalations")
    with op.batch_alter_table("escalations") as table:
        table.drop_column("ranked_at")
