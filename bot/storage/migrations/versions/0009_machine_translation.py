"""Machine translation for counselors: a person's messages translated (sealed, one row per
message and language), a counselor's own words kept beside a reply sent translated, and a
per-conversation switch to turn translation off.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_translations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_key", sa.String(64), nullable=False, index=True),
        sa.Column("inbound_id", sa.Integer, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("body_sealed", sa.Text, nullable=True),
        sa.Column("problem", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("inbound_id", "language", name="uq_message_translations_message_language"),
    )
    with op.batch_alter_table("outbound_messages") as table:
        table.add_column(sa.Column("original_sealed", sa.Text, nullable=True))
        table.add_column(sa.Column("original_language", sa.String(8), nullable=True))
    with op.batch_alter_table("escalations") as table:
        table.add_column(sa.Column("translation_off", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as table:
        table.drop_column("translation_off")
    with op.batch_alter_table("outbound_messages") as table:
        table.drop_column("original_language")
        table.drop_column("original_sealed")
    op.drop_table("message_translations")
