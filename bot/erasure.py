"""Erasure: everything stored about one conversation, deleted in one transaction.

A person's "delete my data" (``action_delete_data``) and the console's erase button both call
:func:`erase_conversation`. Every table of the database is listed below under exactly one of
three headings, and a test fails when a table appears that is not (a new table holding
conversation data must say here how it is erased):

* ``ERASED_BY_CONVERSATION_KEY``: rows keyed by the conversation key (for phone channels an
  HMAC of the number; for the web chat its conversation id): Rasa's tracker events, requests for
  a counselor, the channel's inbox and outbox, the reply address, machine translations of the
  person's messages;
* ``ERASED_WITH_ESCALATION``: rows that belong to one of the conversation's escalations
  (counselors' case notes);
* ``HOLDS_NO_CONVERSATION_DATA``: counselors' accounts and sessions, opening hours, the migration
  version, and the audit log, whose entries say which counselor opened which escalation number
  and never hold a message or the conversation key.

The tracker store also drops the erasing turn's own events when Rasa saves it
(``bot.storage.tracker_store``): they are still in memory while the action runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Dict, Mapping

import sqlalchemy as sa

from bot.storage import TRACKER_EVENTS_TABLE
from bot.storage.db import checkpoint, engine_for, sessions

logger = logging.getLogger(__name__)

# Table -> the column that holds the conversation key.
ERASED_BY_CONVERSATION_KEY: Mapping[str, str] = {
    TRACKER_EVENTS_TABLE: "sender_id",  # Rasa's SQLTrackerStore, on the same database
    "escalations": "conversation_id",
    "inbound_messages": "conversation_key",
    "outbound_messages": "conversation_key",
    "channel_addresses": "conversation_key",
    "message_translations": "conversation_key",
}
# Table -> the column that holds an escalation's id.
ERASED_WITH_ESCALATION: Mapping[str, str] = {
    "case_notes": "escalation_id",
}
# Table -> why it is kept.
HOLDS_NO_CONVERSATION_DATA: Mapping[str, str] = {
    "alembic_version": "the schema version",
    "audit_log": "who did what to which escalation number; no message, no conversation key",
    "console_sessions": "counselors' sign-ins",
    "counselors": "counselors' accounts",
    "opening_hours_versions": "opening hours as admins saved them",
    "seen_messages": "keyed hashes of provider message ids, refusing replays; unlinkable to a conversation",
}


@dataclass(frozen=True)
class ErasureReport:
    """How many rows went from each table."""

    rows: Dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def erase_conversation(database_url: str, conversation_key: str) -> ErasureReport:
    """Delete every row of one conversation from every table, all or nothing."""
    if not conversation_key:
        raise ValueError("erasure needs a conversation key")
    sessions(database_url)  # the schema is up to date (migrated once per process)
    engine = engine_for(database_url)
    metadata = sa.MetaData()
    present = set(sa.inspect(engine).get_table_names())
    metadata.reflect(bind=engine, only=[name for name in (*ERASED_BY_CONVERSATION_KEY, *ERASED_WITH_ESCALATION) if name in present])
    rows: Dict[str, int] = {}
    with engine.begin() as connection:
        escalations = metadata.tables["escalations"]
        escalation_ids = sa.select(escalations.c.id).where(escalations.c.conversation_id == conversation_key)
        for name, column in ERASED_WITH_ESCALATION.items():
            table = metadata.tables[name]
            rows[name] = connection.execute(sa.delete(table).where(table.c[column].in_(escalation_ids))).rowcount
        for name, column in ERASED_BY_CONVERSATION_KEY.items():
            if name not in metadata.tables:  # Rasa creates its events table on first use
                continue
            table = metadata.tables[name]
            rows[name] = connection.execute(sa.delete(table).where(table.c[column] == conversation_key)).rowcount
    checkpoint(database_url)  # the erased rows leave SQLite's write-ahead log too
    report = ErasureReport(rows)
    logger.info("Erased a conversation (%d stored records).", report.total)
    return report
