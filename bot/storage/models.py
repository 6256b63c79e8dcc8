"""Tables of the project's own data. Changed only through Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

if TYPE_CHECKING:  # SQLAlchemy 1.4 types its declarative base only through its mypy plugin

    class Base:
        metadata: sa.MetaData
        __table__: sa.Table

        def __init__(self, **columns: Any) -> None: ...

else:
    Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Escalation(Base):
    """A request for a counselor: who is waiting, how urgent, and what the bot learned so far.

    ``conversation_id`` is the channel's conversation key (for phone channels an HMAC of the
    address, never the number). ``priority`` 1 is the most urgent (see ``bot.handoff.escalation.Priority``).
    """

    __tablename__ = "escalations"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    channel = sa.Column(sa.String(32), nullable=False, default="unknown")
    status = sa.Column(sa.String(16), nullable=False, default="queued", index=True)  # bot.handoff.queue.QueueState
    priority = sa.Column(sa.Integer, nullable=False)
    reason = sa.Column(sa.String(32), nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    jurisdiction = sa.Column(sa.String(8), nullable=True)
    # In clear only what the queue shows and sorts by (danger, concern, a child, indicator names);
    # the whole summary, with the person's words, sealed (bot.crypto.Sealer).
    summary = sa.Column(sa.JSON, nullable=False, default=dict)
    summary_sealed = sa.Column(sa.Text, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # the queue (see bot.handoff.queue): status queued -> with_counselor -> closed, or returned to the bot
    queued_at = sa.Column(sa.DateTime, nullable=True, default=utcnow)
    # the queue's order within a priority: queued_at moved earlier by the danger evidence's strength
    ranked_at = sa.Column(sa.DateTime, nullable=True, default=utcnow)
    claimed_at = sa.Column(sa.DateTime, nullable=True)
    closed_at = sa.Column(sa.DateTime, nullable=True)
    counselor_id = sa.Column(sa.Integer, nullable=True, index=True)
    hotline_number = sa.Column(sa.String(64), nullable=True)
    last_person_at = sa.Column(sa.DateTime, nullable=True, default=utcnow)
    wait_notice_at = sa.Column(sa.DateTime, nullable=True)
    wait_notice_position = sa.Column(sa.Integer, nullable=True)
    closed_reason = sa.Column(sa.String(32), nullable=True)
    wrapup = sa.Column(sa.JSON, nullable=True)  # outcome and follow-up only
    wrapup_sealed = sa.Column(sa.Text, nullable=True)  # the whole wrap-up, with the referral
    # a counselor turned machine translation off for this conversation (bot/translation)
    translation_off = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())


class Counselor(Base):
    """A console account. ``role`` is one of the roles in ``console/permissions.yml``;
    ``languages`` a comma-separated list of ISO 639-1 codes the person answers in.
    The password is an argon2 hash; the TOTP secret is stored sealed."""

    __tablename__ = "counselors"

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(64), nullable=False, unique=True)
    display_name = sa.Column(sa.String(128), nullable=False)
    role = sa.Column(sa.String(16), nullable=False)
    languages = sa.Column(sa.String(128), nullable=False, default="")
    password_hash = sa.Column(sa.String(255), nullable=False)
    must_change_password = sa.Column(sa.Boolean, nullable=False, default=True)
    totp_secret_sealed = sa.Column(sa.Text, nullable=True)
    totp_enrolled = sa.Column(sa.Boolean, nullable=False, default=False)
    totp_last_step = sa.Column(sa.Integer, nullable=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    failed_logins = sa.Column(sa.Integer, nullable=False, default=0)
    locked_until = sa.Column(sa.DateTime, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_seen_at = sa.Column(sa.DateTime, nullable=True)
    alert_sound = sa.Column(sa.Boolean, nullable=False, default=True)  # the queue's sound for a new danger


class ConsoleSession(Base):
    """A signed-in browser: only a hash of the cookie's token is stored."""

    __tablename__ = "console_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    counselor_id = sa.Column(sa.Integer, nullable=False, index=True)
    csrf_token = sa.Column(sa.String(64), nullable=False)
    second_factor_done = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_seen_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class CaseNote(Base):
    """An internal note on an escalation: counselors only, never sent to the person (sealed)."""

    __tablename__ = "case_notes"

    id = sa.Column(sa.Integer, primary_key=True)
    escalation_id = sa.Column(sa.Integer, nullable=False, index=True)
    counselor_id = sa.Column(sa.Integer, nullable=False)
    body_sealed = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class AuditEntry(Base):
    """One entry of the append-only audit log; ``entry_hash`` chains it to the one before."""

    __tablename__ = "audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    actor = sa.Column(sa.String(64), nullable=False)
    action = sa.Column(sa.String(64), nullable=False)
    target = sa.Column(sa.String(128), nullable=False)
    detail = sa.Column(sa.Text, nullable=False, default="{}")
    prev_hash = sa.Column(sa.String(64), nullable=False)
    entry_hash = sa.Column(sa.String(64), nullable=False, unique=True)


class OpeningHoursVersion(Base):
    """Opening hours as an admin saved them in the console (YAML as in ``opening_hours.yml``).
    Every version is kept; the newest applies; with none, the file applies."""

    __tablename__ = "opening_hours_versions"

    id = sa.Column(sa.Integer, primary_key=True)
    text = sa.Column(sa.Text, nullable=False)
    counselor_id = sa.Column(sa.Integer, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ChannelAddress(Base):
    """Where to reply for a conversation: the address is stored only encrypted, only to reply.

    ``conversation_key`` is the HMAC the conversation is known by everywhere else.
    ``last_inbound_at`` bounds WhatsApp's 24-hour reply window; ``opted_out`` is set by STOP.
    """

    __tablename__ = "channel_addresses"

    conversation_key = sa.Column(sa.String(64), primary_key=True)
    channel = sa.Column(sa.String(16), nullable=False)
    address_sealed = sa.Column(sa.Text, nullable=False)
    hotline_number = sa.Column(sa.String(64), nullable=False)
    last_inbound_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    opted_out = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    # web chat only (channels.webchat_access): when the page last followed it, when it was ended
    last_seen_at = sa.Column(sa.DateTime, nullable=True)
    ended_at = sa.Column(sa.DateTime, nullable=True)


class InboundMessage(Base):
    """A message received from a provider, committed before the webhook answers (durable inbox).

    ``provider_sid`` is unique: a provider's retry of the same message is recognised and not
    processed twice. ``processed_at`` is set once the bot's turn and its replies are stored.
    """

    __tablename__ = "inbound_messages"

    id = sa.Column(sa.Integer, primary_key=True)
    provider_sid = sa.Column(sa.String(64), nullable=False, unique=True)
    conversation_key = sa.Column(sa.String(64), nullable=False, index=True)
    body_sealed = sa.Column(sa.Text, nullable=False)
    media_sealed = sa.Column(sa.Text, nullable=True)
    received_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    processed_at = sa.Column(sa.DateTime, nullable=True, index=True)


class SeenMessage(Base):
    """A provider message id already received, as a keyed hash that cannot be linked back to a
    conversation: erasure leaves it, so a replay after an erasure is still refused. Purged after
    the retention period (``bot.retention``)."""

    __tablename__ = "seen_messages"

    fingerprint = sa.Column(sa.String(64), primary_key=True)
    seen_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


class OutboundMessage(Base):
    """A reply waiting to be sent, sent, or finally failed (outbox); visible to counselors later.

    ``status``: pending -> sending -> sent -> delivered | undelivered | failed; ``suppressed``
    after STOP or outside WhatsApp's reply window.
    """

    __tablename__ = "outbound_messages"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_key = sa.Column(sa.String(64), nullable=False, index=True)
    inbound_id = sa.Column(sa.Integer, nullable=True)
    channel = sa.Column(sa.String(16), nullable=False)
    address_sealed = sa.Column(sa.Text, nullable=False)
    hotline_number = sa.Column(sa.String(64), nullable=False)
    body_sealed = sa.Column(sa.Text, nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="pending", index=True)
    provider_sid = sa.Column(sa.String(64), nullable=True, index=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.String(255), nullable=True)
    author = sa.Column(sa.String(16), nullable=False, default="bot", server_default="bot")  # bot | counselor
    counselor_id = sa.Column(sa.Integer, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # a counselor's reply sent machine-translated: what they wrote, in their language (first part only)
    original_sealed = sa.Column(sa.Text, nullable=True)
    original_language = sa.Column(sa.String(8), nullable=True)


class MessageTranslation(Base):
    """A person's message machine-translated for counselors: one row per message and language,
    the text sealed, or the reason there is none (``problem``, a ``bot.translation.engine.Problem``).
    Erased with the conversation (``conversation_key``)."""

    __tablename__ = "message_translations"
    __table_args__ = (sa.UniqueConstraint("inbound_id", "language", name="uq_message_translations_message_language"),)

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_key = sa.Column(sa.String(64), nullable=False, index=True)
    inbound_id = sa.Column(sa.Integer, nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    body_sealed = sa.Column(sa.Text, nullable=True)
    problem = sa.Column(sa.String(16), nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
