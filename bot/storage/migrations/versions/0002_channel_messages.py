"""Durable inbox, outbox and encrypted reply addresses for the phone channels.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_addresses",
        sa.Column("conversation_key", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address_sealed", sa.Text, nullable=False),
        sa.Column("hotline_number", sa.String(64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime, nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("body_sealed", sa.Text, nullable=False),
        sa.Column("media_sealed", sa.Text, nullable=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("processed_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_inbound_messages_conversation_key", "inbound_messages", ["conversation_key"])
    op.create_index("ix_inbound_messages_processed_at", "inbound_messages", ["processed_at"])
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("inbound_id", sa.Integer, nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address_sealed", sa.Text, nullable=False),
        sa.Column("hotline_number", sa.String(64), nullable=False),
        sa.Column("body_sealed", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider_sid", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_outbound_messages_conversation_key", "outbound_messages", ["conversation_key"])
    op.create_index("ix_outbound_messages_status", "outbound_messages", ["status"])
    op.create_index("ix_outbound_messages_provider_sid", "outbound_messages", ["provider_sid"])


def downgrade() -> None:
    op.drop_table("outbound_messages")
    op.drop_table("inbound_messages")
    op.drop_table("channel_addresses")
