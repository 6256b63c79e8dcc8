"""Retention: nothing is kept longer than the help line needs it.

:func:`purge` (``hotline purge``; the console server runs it once a day) erases, through
``bot.erasure``, every conversation whose last sign of life (a message either way, a change to
its request for a counselor, a tracker event) is older than the retention period
(``HOTLINE_RETENTION_DAYS``, 30 by default), or, while a request for a counselor is still open,
older than the longer bound for unfinished ones (``HOTLINE_RETENTION_UNFINISHED_DAYS``, 90). It
also removes console sessions past their idle timeout, message-id fingerprints past the retention
period, and replies left behind by an erasure once they have gone out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional

import sqlalchemy as sa

from bot.config import Settings
from bot.erasure import erase_conversation
from bot.storage import TRACKER_EVENTS_TABLE
from bot.storage.db import checkpoint, engine_for, sessions
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("queued", "with_counselor")
FINAL_DELIVERY = ("sent", "delivered", "undelivered", "failed", "suppressed")
# A reply confirming an erasure is stored after the conversation's address is gone; once it has
# gone out (or finally failed) it is removed after this long.
LEFT_BEHIND_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class RetentionPolicy:
    days: int = 30
    unfinished_days: int = 90
    console_idle_timeout_s: int = 30 * 60
    console_max_session_s: int = 12 * 3600


@dataclass
class PurgeReport:
    conversations: int = 0
    rows: Dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        if count:
            self.rows[table] = self.rows.get(table, 0) + count


def last_activity(url: str) -> Dict[str, datetime]:
    """Every conversation key in any store, with its latest sign of life (naive UTC)."""
    engine = engine_for(url)
    metadata = sa.MetaData()
    present = set(sa.inspect(engine).get_table_names())
    wanted = ["inbound_messages", "outbound_messages", "escalations", "channel_addresses"]
    metadata.reflect(bind=engine, only=[name for name in (*wanted, TRACKER_EVENTS_TABLE) if name in present])
    tables = metadata.tables
    latest: Dict[str, datetime] = {}

    def seen(key: str, moment: Optional[datetime]) -> None:
        if moment is not None and (key not in latest or moment > latest[key]):
            latest[key] = moment

    queries = [
        sa.select(tables["inbound_messages"].c.conversation_key, sa.func.max(tables["inbound_messages"].c.received_at)),
        sa.select(tables["outbound_messages"].c.conversation_key, sa.func.max(tables["outbound_messages"].c.created_at)),
        sa.select(tables["escalations"].c.conversation_id, sa.func.max(tables["escalations"].c.updated_at)),
        sa.select(tables["channel_addresses"].c.conversation_key, sa.func.max(tables["channel_addresses"].c.last_inbound_at)),
    ]
    with engine.connect() as connection:
        for query in queries:
            for key, moment in connection.execute(query.group_by(query.selected_columns[0])):
                seen(key, moment)
        if TRACKER_EVENTS_TABLE in tables:
            events = tables[TRACKER_EVENTS_TABLE]
            for key, stamp in connection.execute(
                sa.select(events.c.sender_id, sa.func.max(events.c.timestamp)).group_by(events.c.sender_id)
            ):
                if stamp is not None:
                    seen(key, datetime.fromtimestamp(float(stamp), tz=timezone.utc).replace(tzinfo=None))
    return latest


def _unfinished(url: str) -> set:
    engine = engine_for(url)
    escalations = sa.Table("escalations", sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        return set(connection.execute(
            sa.select(escalations.c.conversation_id).where(escalations.c.status.in_(OPEN_STATUSES))
        ).scalars())


def expired_conversations(url: str, policy: RetentionPolicy, now: Optional[datetime] = None) -> List[str]:
    """Conversation keys whose retention has run out."""
    now = now or utcnow()
    unfinished = _unfinished(url)
    expired = []
    for key, moment in last_activity(url).items():
        bound = policy.unfinished_days if key in unfinished else policy.days
        if now - moment > timedelta(days=bound):
            expired.append(key)
    return sorted(expired)


def policy_of(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        settings.retention_days, settings.retention_unfinished_days, settings.console_idle_timeout_s,
        settings.console_max_session_s,
    )


def remove_left_behind(url: str, now: Optional[datetime] = None) -> int:
    """Replies stored for a conversation erased meanwhile (the erasing turn's own confirmation, a
    turn that was running), once they have gone out or finally failed; how many."""
    now = now or utcnow()
    engine = engine_for(url)
    metadata = sa.MetaData()
    metadata.reflect(bind=engine, only=["outbound_messages", "channel_addresses"])
    outbound, addresses = metadata.tables["outbound_messages"], metadata.tables["channel_addresses"]
    with engine.begin() as connection:
        removed = connection.execute(
            sa.delete(outbound).where(
                outbound.c.status.in_(FINAL_DELIVERY),
                outbound.c.updated_at < now - LEFT_BEHIND_AFTER,
                ~sa.exists().where(addresses.c.conversation_key == outbound.c.conversation_key),
            )
        ).rowcount or 0
    if removed:
        checkpoint(url)
    return removed


def purge(url: str, policy: RetentionPolicy, now: Optional[datetime] = None) -> PurgeReport:
    """Erase what has been kept long enough (see the module docstring); what went."""
    now = now or utcnow()
    sessions(url)  # the schema is up to date
    report = PurgeReport()
    for key in expired_conversations(url, policy, now):
        erased = erase_conversation(url, key)
        report.conversations += 1
        for table, count in erased.rows.items():
            report.add(table, count)
    engine = engine_for(url)
    metadata = sa.MetaData()
    metadata.reflect(bind=engine, only=["console_sessions", "seen_messages"])
    tables = metadata.tables
    with engine.begin() as connection:
        idle = tables["console_sessions"]
        report.add("console_sessions", connection.execute(
            sa.delete(idle).where(sa.or_(
                idle.c.last_seen_at < now - timedelta(seconds=policy.console_idle_timeout_s),
                idle.c.created_at < now - timedelta(seconds=policy.console_max_session_s),
            ))
        ).rowcount)
        seen = tables["seen_messages"]
        report.add("seen_messages", connection.execute(
            sa.delete(seen).where(seen.c.seen_at < now - timedelta(days=policy.days))
        ).rowcount)
    report.add("outbound_messages", remove_left_behind(url, now))
    if report.rows:
        checkpoint(url)
    logger.info("Retention purge: %d conversations, rows %s.", report.conversations, report.rows)
    return report
