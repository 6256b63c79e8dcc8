"""Counselor messages through the person's channel, and the queue's rare notices (bot/handoff/notices.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.crypto import Sealer, new_master_key
from bot.dialogue.nlg import Notices
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.handoff.notices import sweep
from bot.inbox import DeliveryBlock, MessageStore
from bot.opening_hours import Schedule
from bot.storage.db import engine_for
from bot.storage.models import utcnow

ALWAYS = {"default": Schedule.always_open()}


@pytest.fixture()
def store(database_url: str) -> MessageStore:
    import base64

    return MessageStore(database_url, Sealer(base64.urlsafe_b64decode(new_master_key())))


def person_writes(store: MessageStore, channel: str, address: str, text: str = "hello", sid: str = "") -> str:
    inbound = store.record_inbound(sid or f"SM{abs(hash((address, text))):032d}", channel, address, "+15550100001", text)
    store.complete_turn(inbound, [])
    return inbound.conversation_key


def queued(url: str, key: str, language: str = "en") -> int:
    return int(escalate(url, key, reason="requested", language=language, jurisdiction="US",
                        summary=HandoffSummary(), requested=True, channel="web").id)


def test_a_counselor_message_goes_out_by_the_persons_channel(store: MessageStore) -> None:
    web = person_writes(store, "web", "tab-1")
    sms = person_writes(store, "sms", "+15550111111")
    assert store.queue_outbound(web, "Hi, I'm Ana, a counselor.", "counselor", 3).blocked is None
    result = store.queue_outbound(sms, "word " * 80, "counselor", 3)
    assert result.blocked is None and len(result.ids) == 3  # cut into SMS-sized parts
    [entry] = [e for e in store.transcript(web, 0, 0) if e["kind"] == "counselor"]
    assert entry["text"] == "Hi, I'm Ana, a counselor." and entry["status"] == "sent"  # the web page shows it now
    assert set(store.pending_from_people(("sms", "whatsapp"))) == set(result.ids)  # the Twilio channel sends these


def test_outside_whatsapps_window_or_after_stop_nothing_is_sent_and_the_counselor_is_told_why(store: MessageStore) -> None:
    whatsapp = person_writes(store, "whatsapp", "whatsapp:+15550122222")
    engine = engine_for(store._url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE channel_addresses SET last_inbound_at = :t"), {"t": utcnow() - timedelta(hours=25)})
    result = store.queue_outbound(whatsapp, "Are you still there?", "counselor", 3)
    assert result.blocked is DeliveryBlock.WHATSAPP_WINDOW_CLOSED
    assert store.pending_from_people(("whatsapp",)) == []
    [entry] = [e for e in store.transcript(whatsapp, 0, 0, unsent=True) if e["kind"] == "counselor"]
    assert entry["status"] == "suppressed" and entry["error"] == DeliveryBlock.WHATSAPP_WINDOW_CLOSED.value
    assert [e for e in store.transcript(whatsapp, 0, 0) if e["kind"] == "counselor"] == []  # never shown as sent

    sms = person_writes(store, "sms", "+15550133333")
    store.set_opted_out(sms, True)
    assert store.queue_outbound(sms, "Hello?", "counselor", 3).blocked is DeliveryBlock.OPTED_OUT


def test_a_silent_person_is_closed_with_a_notice_but_someone_waiting_in_the_queue_never_is(
    store: MessageStore, database_url: str
) -> None:
    settings = load_settings()
    notices = Notices(settings)
    talking, waiting = person_writes(store, "web", "tab-talking"), person_writes(store, "web", "tab-waiting")
    talking_id, waiting_id = queued(database_url, talking), queued(database_url, waiting)
    handoff_queue.claim(database_url, talking_id, counselor_id=1)
    store.queue_outbound(talking, "Are you safe to talk?", "counselor", 1)
    now = utcnow()
    assert sweep(settings, store, notices, ALWAYS, now=now + timedelta(minutes=5)).closed == []
    result = sweep(settings, store, notices, ALWAYS, now=now + timedelta(minutes=16))
    assert result.closed == [talking_id]
    assert handoff_queue.get(database_url, talking_id).status == "closed"
    assert handoff_queue.get(database_url, waiting_id).status == "queued"
    notice = [e for e in store.transcript(talking, 0, 0) if e["kind"] == "line"]
    assert len(notice) == 1 and "closed" in notice[0]["text"]
    assert sweep(settings, store, notices, ALWAYS, now=now + timedelta(minutes=40)).closed == []  # never twice


def test_a_person_the_counselor_has_not_answered_yet_is_not_closed(store: MessageStore, database_url: str) -> None:
    settings = load_settings()
    key = person_writes(store, "web", "tab-unanswered")
    escalation = queued(database_url, key)
    handoff_queue.claim(database_url, escalation, counselor_id=1)
    result = sweep(settings, store, Notices(settings), ALWAYS, now=utcnow() + timedelta(hours=1))
    assert result.closed == []


def test_waiting_people_hear_their_new_place_rarely_and_in_their_language(store: MessageStore, database_url: str) -> None:
    settings = load_settings()
    notices = Notices(settings)
    keys = [person_writes(store, "web", f"tab-{i}") for i in range(4)]
    ids = [queued(database_url, key, language="es") for key in keys]
    start = utcnow()
    for place, escalation_id in enumerate(ids, start=1):  # what the bot told each at the handoff
        handoff_queue.record_wait_notice(database_url, escalation_id, place, start)
    for escalation_id in ids[:2]:
        handoff_queue.claim(database_url, escalation_id, counselor_id=1, now=start)
    assert sweep(settings, store, notices, ALWAYS, now=start + timedelta(minutes=2)).told_place == []  # too soon
    result = sweep(settings, store, notices, ALWAYS, now=start + timedelta(minutes=6))
    assert result.told_place == [ids[2], ids[3]]  # 3rd -> 1st, 4th -> 2nd
    [notice] = [e["text"] for e in store.transcript(keys[2], 0, 0) if e["kind"] == "line"]
    assert notice.startswith("Tienes el lugar 1 en la fila")
    assert sweep(settings, store, notices, ALWAYS, now=start + timedelta(minutes=20)).told_place == []  # no change


def test_nobody_is_told_a_place_out_of_hours(store: MessageStore, database_url: str) -> None:
    settings = load_settings()
    closed = {"default": Schedule("UTC", {}, frozenset())}
    keys = [person_writes(store, "web", f"tab-{i}") for i in range(3)]
    ids = [queued(database_url, key) for key in keys]
    start = utcnow()
    handoff_queue.record_wait_notice(database_url, ids[2], 3, start)
    handoff_queue.claim(database_url, ids[0], 1, now=start)
    handoff_queue.claim(database_url, ids[1], 1, now=start)
    assert sweep(settings, store, Notices(settings), closed, now=start + timedelta(minutes=10)).told_place == []
