"""The handoff summary and the wrap-up sealed at rest: the person's words (evidence quotes,
screening answers) and the counselor's referral move to sealed columns; the clear ones keep only
categories (danger, indicator names; outcome, follow-up). ``hotline db upgrade`` seals the rows
written before this revision (it holds the key; a migration does not).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as table:
        table.add_column(sa.Column("summary_sealed", sa.Text, nullable=True))
        table.add_column(sa.Column("wrapup_sealed", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as table:
        table.drop_column("wrapup_sealed")
        table.drop_column("summary_sealed")
