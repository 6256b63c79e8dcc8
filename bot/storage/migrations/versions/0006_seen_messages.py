"""Keyed hashes of the provider message ids already received, kept apart from the conversation:
a provider's replay of a message is still refused after the conversation was erased.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_messages",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.DateTime, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("seen_messages")
