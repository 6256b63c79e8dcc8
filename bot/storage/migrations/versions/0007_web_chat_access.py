"""The web chat's ids stop being permanent passwords: a conversation can be ended ("End chat"),
and one left idle expires; ``last_seen_at`` is when the person's page last asked to follow it.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_addresses") as table:
        table.add_column(sa.Column("last_seen_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("ended_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_addresses") as table:
        table.drop_column("ended_at")
        table.drop_column("last_seen_at")
