"""Tables of the project's own data. Changed only through Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Escalation(Base):
    """A request for a counselor: who is waiting, how urgent, and what the bot learned so far.

    ``conversation_id`` is the channel's conversation key (for phone channels an HMAC of the
    address, never the number). ``priority`` 1 is the most urgent (see ``bot.escalation.Priority``).
    """

    __tablename__ = "escalations"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    channel = sa.Column(sa.String(32), nullable=False, default="unknown")
    status = sa.Column(sa.String(16), nullable=False, default="queued", index=True)
    priority = sa.Column(sa.Integer, nullable=False)
    reason = sa.Column(sa.String(32), nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    jurisdiction = sa.Column(sa.String(8), nullable=True)
    summary = sa.Column(sa.JSON, nullable=False, default=dict)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
