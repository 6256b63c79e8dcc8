"""Escalation queue states, counselor accounts, console sessions, notes and the audit log.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as table:
        table.add_column(sa.Column("queued_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("claimed_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("closed_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("counselor_id", sa.Integer, nullable=True))
        table.add_column(sa.Column("hotline_number", sa.String(64), nullable=True))
        table.add_column(sa.Column("last_person_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("wait_notice_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("wait_notice_position", sa.Integer, nullable=True))
        table.add_column(sa.Column("closed_reason", sa.String(32), nullable=True))
        table.add_column(sa.Column("wrapup", sa.JSON, nullable=True))
    op.execute("UPDATE escalations SET queued_at = created_at, last_person_at = updated_at")
    op.create_index("ix_escalations_queue_order", "escalations", ["status", "priority", "queued_at"])
    op.create_index("ix_escalations_counselor_id", "escalations", ["counselor_id"])

    with op.batch_alter_table("outbound_messages") as table:
        table.add_column(sa.Column("author", sa.String(16), nullable=False, server_default="bot"))
        table.add_column(sa.Column("counselor_id", sa.Integer, nullable=True))

    op.create_table(
        "counselors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("languages", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("totp_secret_sealed", sa.Text, nullable=True),
        sa.Column("totp_enrolled", sa.Boolean, nullable=False),
        sa.Column("totp_last_step", sa.Integer, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("counselor_id", sa.Integer, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("second_factor_done", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_console_sessions_counselor_id", "console_sessions", ["counselor_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("escalation_id", sa.Integer, nullable=False),
        sa.Column("counselor_id", sa.Integer, nullable=False),
        sa.Column("body_sealed", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_case_notes_escalation_id", "case_notes", ["escalation_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("case_notes")
    op.drop_index("ix_console_sessions_counselor_id", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("counselors")
    with op.batch_alter_table("outbound_messages") as table:
        table.drop_column("counselor_id")
        table.drop_column("author")
    op.drop_index("ix_escalations_counselor_id", table_name="escalations")
    op.drop_index("ix_escalations_queue_order", table_name="escalations")
    with op.batch_alter_table("escalations") as table:
        for column in ("wrapup", "closed_reason", "wait_notice_position", "wait_notice_at", "last_person_at",
                       "hotline_number", "counselor_id", "closed_at", "claimed_at", "queued_at"):
            table.drop_column(column)
