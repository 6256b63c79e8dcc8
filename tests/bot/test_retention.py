"""Retention and what an erasure leaves: nothing is kept longer than the line needs it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Dict

import pytest
import sqlalchemy as sa

from bot import inbox
from bot.config import Settings
from bot.crypto import Sealer
from bot.erasure import erase_conversation
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.retention import RetentionPolicy, purge, remove_left_behind
from bot.storage.db import engine_for, new_session
from bot.storage.models import ConsoleSession, utcnow

POLICY = RetentionPolicy(days=30, unfinished_days=90, console_idle_timeout_s=1800)


def conversation(url: str, sealer: Sealer, address: str, *, escalation: str = "") -> str:
    """A web chat conversation: a message, the bot's reply, its tracker events, and (``open`` or
    ``closed``) a request for a counselor."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.storage.tracker_store import HotlineTrackerStore

    received = inbox.record_inbound(url, sealer, f"web-{address}", "web", address, "web", "they keep my passport")
    inbox.complete_turn(url, sealer, received, ["I'm sorry. You can talk to a counselor here."])
    store = HotlineTrackerStore(domain=Domain.empty(), database_url=url, sealer=sealer)
    asyncio.run(store.save(DialogueStateTracker.from_events(received.conversation_key, [UserUttered("they keep my passport")])))
    if escalation:
        row = escalate(url, sealer, received.conversation_key, reason="requested", language="en", jurisdiction="US",
                       summary=HandoffSummary(), requested=True, channel="web")
        if escalation == "closed":
            handoff_queue.claim(url, row.id, 1)
            handoff_queue.close(url, sealer, row.id, {"outcome": "information_given", "follow_up": False})
    return received.conversation_key


def age(url: str, key: str, days: int) -> None:
    """Make every trace of a conversation ``days`` old."""
    then = utcnow() - timedelta(days=days)
    with engine_for(url).begin() as connection:
        for table, column, stamp in (("inbound_messages", "conversation_key", "received_at"),
                                     ("outbound_messages", "conversation_key", "created_at"),
                                     ("escalations", "conversation_id", "updated_at"),
                                     ("channel_addresses", "conversation_key", "last_inbound_at")):
            connection.execute(sa.text(f"UPDATE {table} SET {stamp} = :t WHERE {column} = :k"), {"t": then, "k": key})
        connection.execute(sa.text("UPDATE events SET timestamp = :t WHERE sender_id = :k"),
                           {"t": (then - datetime(1970, 1, 1)).total_seconds(), "k": key})


def traces(url: str, key: str) -> Dict[str, int]:
    present = set(sa.inspect(engine_for(url)).get_table_names())
    with engine_for(url).connect() as connection:
        return {
            table: connection.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :k"), {"k": key}).scalar_one()
            for table, column in (("events", "sender_id"), ("escalations", "conversation_id"),
                                  ("inbound_messages", "conversation_key"), ("outbound_messages", "conversation_key"),
                                  ("channel_addresses", "conversation_key"))
            if table in present
        }


def test_conversations_past_retention_are_erased_and_open_requests_wait_longer(any_database_url: str, sealer: Sealer) -> None:
    url = any_database_url
    done = conversation(url, sealer, "a" * 32, escalation="closed")
    recent = conversation(url, sealer, "b" * 32, escalation="closed")
    waiting = conversation(url, sealer, "c" * 32, escalation="open")
    forgotten = conversation(url, sealer, "d" * 32, escalation="open")
    chatted = conversation(url, sealer, "e" * 32)
    age(url, done, 31)
    age(url, recent, 29)
    age(url, waiting, 31)
    age(url, forgotten, 91)
    age(url, chatted, 31)

    report = purge(url, POLICY)

    assert report.conversations == 3
    for gone in (done, forgotten, chatted):
        assert set(traces(url, gone).values()) == {0}, gone
    for kept in (recent, waiting):
        assert all(count > 0 for count in traces(url, kept).values()), kept
    assert purge(url, POLICY).conversations == 0  # nothing more to do


def test_expired_sessions_and_old_message_fingerprints_go_too(database_url: str, sealer: Sealer) -> None:
    url = database_url
    conversation(url, sealer, "f" * 32)
    with new_session(url) as session:
        session.add(ConsoleSession(token_hash="old", counselor_id=1, csrf_token="x", last_seen_at=utcnow() - timedelta(hours=1)))
        session.add(ConsoleSession(token_hash="new", counselor_id=1, csrf_token="y", last_seen_at=utcnow()))
        session.commit()
    report = purge(url, POLICY, now=utcnow() + timedelta(days=31))
    assert report.rows["console_sessions"] == 2 and report.rows["seen_messages"] == 1
    report = purge(url, POLICY)
    assert report.conversations == 0 and not report.rows


def test_a_replayed_message_is_refused_even_after_its_conversation_was_erased(database_url: str, sealer: Sealer) -> None:
    first = inbox.record_inbound(database_url, sealer, "SM" + "7" * 32, "sms", "+15550107777", "+15550100001", "help")
    assert first is not None
    erase_conversation(database_url, first.conversation_key)
    assert inbox.record_inbound(database_url, sealer, "SM" + "7" * 32, "sms", "+15550107777", "+15550100001", "help") is None
    assert inbox.unprocessed_ids(database_url, ("sms",)) == []  # the replay would have answered them again


def test_replies_an_erasure_left_behind_go_once_they_are_sent(database_url: str, sealer: Sealer) -> None:
    received = inbox.record_inbound(database_url, sealer, "SM" + "8" * 32, "sms", "+15550108888", "+15550100001", "delete my data")
    erase_conversation(database_url, received.conversation_key)  # the turn's action erased everything...
    sent, waiting = inbox.complete_turn(database_url, sealer, received, ["Done: deleted.", "Take care."])  # ...then replied
    inbox.mark_sent(database_url, sent, "SMx", 1)
    assert remove_left_behind(database_url) == 0  # just sent: kept a little while
    assert remove_left_behind(database_url, now=utcnow() + timedelta(minutes=11)) == 1  # the unsent one waits
    inbox.mark_failed(database_url, waiting, "HTTP 400", 3)
    assert remove_left_behind(database_url, now=utcnow() + timedelta(minutes=11)) == 1
    assert traces(database_url, received.conversation_key)["outbound_messages"] == 0


def test_the_purge_command_reports_what_went(settings: Settings, sealer: Sealer, capsys: pytest.CaptureFixture) -> None:
    from hotline.cli import main

    key = conversation(settings.database_url, sealer, "9" * 32)
    age(settings.database_url, key, 40)
    assert main(["purge"], settings) == 0
    assert "purged 1 conversations past retention" in capsys.readouterr().out
    assert set(traces(settings.database_url, key).values()) == {0}
