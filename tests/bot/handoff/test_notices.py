"""Counselor messages through the person's channel, and the queue's rare notices (bot/handoff/notices.py)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot import inbox
from bot.config import Settings
from bot.crypto import Sealer
from bot.dialogue.nlg import Notices
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.handoff.notices import CLOSED_BY_COUNSELOR, RETURNED_TO_BOT, place_notice, sweep, tell_ended
from bot.inbox import DeliveryBlock
from bot.opening_hours import Schedule
from bot.sms import segment_count, to_gsm7
from bot.storage.db import engine_for
from bot.storage.models import utcnow

ALWAYS = {"default": Schedule.always_open()}


# A test key for rows whose sealed parts these tests never open.
SEALER = Sealer(b"test key of thirty-two bytes ...")


def person_writes(url: str, sealer: Sealer, channel: str, address: str, text: str = "hello", sid: str = "") -> str:
    inbound = inbox.record_inbound(url, sealer, sid or f"SM{abs(hash((address, text))):032d}", channel, address, "+15550100001", text)
    inbox.complete_turn(url, sealer, inbound, [])
    return inbound.conversation_key


def queued(url: str, key: str, language: str = "en") -> int:
    return int(escalate(url, SEALER, key, reason="requested", language=language, jurisdiction="US",
                        summary=HandoffSummary(), requested=True, channel="web").id)


def test_a_counselor_message_goes_out_by_the_persons_channel(database_url: str, sealer: Sealer) -> None:
    web = person_writes(database_url, sealer, "web", "tab-1")
    sms = person_writes(database_url, sealer, "sms", "+15550111111")
    assert inbox.queue_outbound(database_url, sealer, web, "Hi, I'm Ana, a counselor.", "counselor", 3).blocked is None
    result = inbox.queue_outbound(database_url, sealer, sms, "word " * 80, "counselor", 3)
    assert result.blocked is None and len(result.ids) == 3  # cut into SMS-sized parts
    [entry] = [e for e in inbox.transcript(database_url, sealer, web, 0, 0) if e["kind"] == "counselor"]
    assert entry["text"] == "Hi, I'm Ana, a counselor." and entry["status"] == "sent"  # the web page shows it now
    assert set(inbox.pending_from_people(database_url, ("sms", "whatsapp"))) == set(result.ids)  # the Twilio channel sends these


def test_outside_whatsapps_window_or_after_stop_nothing_is_sent_and_the_counselor_is_told_why(database_url: str, sealer: Sealer) -> None:
    whatsapp = person_writes(database_url, sealer, "whatsapp", "whatsapp:+15550122222")
    engine = engine_for(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE channel_addresses SET last_inbound_at = :t"), {"t": utcnow() - timedelta(hours=25)})
    result = inbox.queue_outbound(database_url, sealer, whatsapp, "Are you still there?", "counselor", 3)
    assert result.blocked is DeliveryBlock.WHATSAPP_WINDOW_CLOSED
    assert inbox.pending_from_people(database_url, ("whatsapp",)) == []
    [entry] = [e for e in inbox.transcript(database_url, sealer, whatsapp, 0, 0, unsent=True) if e["kind"] == "counselor"]
    assert entry["status"] == "suppressed" and entry["error"] == DeliveryBlock.WHATSAPP_WINDOW_CLOSED.value
    assert [e for e in inbox.transcript(database_url, sealer, whatsapp, 0, 0) if e["kind"] == "counselor"] == []  # never shown as sent

    sms = person_writes(database_url, sealer, "sms", "+15550133333")
    inbox.set_opted_out(database_url, sms, True)
    assert inbox.queue_outbound(database_url, sealer, sms, "Hello?", "counselor", 3).blocked is DeliveryBlock.OPTED_OUT


def test_a_silent_person_is_closed_with_a_notice_but_someone_waiting_in_the_queue_never_is(
    settings: Settings, sealer: Sealer
) -> None:
    database_url = settings.database_url
    notices = Notices(settings)
    talking, waiting = person_writes(database_url, sealer, "web", "tab-talking"), person_writes(database_url, sealer, "web", "tab-waiting")
    talking_id, waiting_id = queued(database_url, talking), queued(database_url, waiting)
    handoff_queue.claim(database_url, talking_id, counselor_id=1)
    inbox.queue_outbound(database_url, sealer, talking, "Are you safe to talk?", "counselor", 1)
    now = utcnow()
    assert sweep(settings, sealer, notices, ALWAYS, now=now + timedelta(minutes=5)).closed == []
    result = sweep(settings, sealer, notices, ALWAYS, now=now + timedelta(minutes=16))
    assert result.closed == [talking_id]
    assert handoff_queue.get(database_url, talking_id).status == "closed"
    assert handoff_queue.get(database_url, waiting_id).status == "queued"
    notice = [e for e in inbox.transcript(database_url, sealer, talking, 0, 0) if e["kind"] == "line"]
    assert len(notice) == 1 and "closed" in notice[0]["text"]
    assert sweep(settings, sealer, notices, ALWAYS, now=now + timedelta(minutes=40)).closed == []  # never twice


def test_a_person_the_counselor_has_not_answered_yet_is_not_closed(settings: Settings, sealer: Sealer) -> None:
    database_url = settings.database_url
    key = person_writes(database_url, sealer, "web", "tab-unanswered")
    escalation = queued(database_url, key)
    handoff_queue.claim(database_url, escalation, counselor_id=1)
    result = sweep(settings, sealer, Notices(settings), ALWAYS, now=utcnow() + timedelta(hours=1))
    assert result.closed == []


def test_waiting_people_hear_their_new_place_rarely_and_in_their_language(settings: Settings, sealer: Sealer) -> None:
    database_url = settings.database_url
    notices = Notices(settings)
    keys = [person_writes(database_url, sealer, "web", f"tab-{i}") for i in range(4)]
    ids = [queued(database_url, key, language="es") for key in keys]
    start = utcnow()
    for place, escalation_id in enumerate(ids, start=1):  # what the bot told each at the handoff
        handoff_queue.record_wait_notice(database_url, escalation_id, place, start)
    for escalation_id in ids[:2]:
        handoff_queue.claim(database_url, escalation_id, counselor_id=1, now=start)
    assert sweep(settings, sealer, notices, ALWAYS, now=start + timedelta(minutes=2)).told_place == []  # too soon
    result = sweep(settings, sealer, notices, ALWAYS, now=start + timedelta(minutes=6))
    assert result.told_place == [ids[2], ids[3]]  # 3rd -> 1st, 4th -> 2nd
    [notice] = [e["text"] for e in inbox.transcript(database_url, sealer, keys[2], 0, 0) if e["kind"] == "line"]
    assert notice.startswith("Tienes el lugar 1 en la fila")
    assert sweep(settings, sealer, notices, ALWAYS, now=start + timedelta(minutes=20)).told_place == []  # no change


def test_nobody_is_told_a_place_out_of_hours(settings: Settings, sealer: Sealer) -> None:
    database_url = settings.database_url
    closed = {"default": Schedule("UTC", {}, frozenset())}
    keys = [person_writes(database_url, sealer, "web", f"tab-{i}") for i in range(3)]
    ids = [queued(database_url, key) for key in keys]
    start = utcnow()
    handoff_queue.record_wait_notice(database_url, ids[2], 3, start)
    handoff_queue.claim(database_url, ids[0], 1, now=start)
    handoff_queue.claim(database_url, ids[1], 1, now=start)
    assert sweep(settings, sealer, Notices(settings), closed, now=start + timedelta(minutes=10)).told_place == []


def test_a_long_wait_comes_with_the_emergency_number_another_help_line_and_a_kept_place(settings: Settings, sealer: Sealer) -> None:
    database_url = settings.database_url
    keys = [person_writes(database_url, sealer, "sms", f"+1555012000{i}") for i in range(6)]
    ids = [queued(database_url, key) for key in keys]
    now = utcnow()
    for escalation_id in ids[:3]:  # one taken every 20 minutes in the last hour
        handoff_queue.claim(database_url, escalation_id, 1, now=now - timedelta(minutes=10))
    short, long = place_notice(database_url, 1, settings.long_wait_s, now), place_notice(database_url, 2, settings.long_wait_s, now)
    assert (short.key, short.values) == ("utter_queue_place", {"position": 1, "wait": 20})
    assert (long.key, long.values) == ("utter_queue_place_long", {"position": 2, "wait": 40})
    text = Notices(settings).text(long.key, "en", "US", **long.values)
    assert "40 min" in text and "911" in text and "1-888-373-7888" in text and "keep your place" in text
    assert segment_count(to_gsm7(text)) <= 2


def test_closing_or_returning_tells_the_person_once_in_their_language_and_never_after_stop(settings: Settings, sealer: Sealer) -> None:
    database_url = settings.database_url
    notices = Notices(settings)
    web = person_writes(database_url, sealer, "web", "tab-closing")
    escalation = escalate(database_url, SEALER, web, reason="requested", language="es", jurisdiction="US",
                          summary=HandoffSummary(), requested=True, channel="web")
    item = handoff_queue.get(database_url, escalation.id)
    assert tell_ended(database_url, sealer, notices, item, CLOSED_BY_COUNSELOR) is None
    [notice] = [e["text"] for e in inbox.transcript(database_url, sealer, web, 0, 0) if e["kind"] == "line"]
    assert "cerró esta conversación" in notice and "911" in notice

    sms = person_writes(database_url, sealer, "sms", "+15550144444")
    inbox.set_opted_out(database_url, sms, True)
    stopped = handoff_queue.get(database_url, queued(database_url, sms))
    assert tell_ended(database_url, sealer, notices, stopped, RETURNED_TO_BOT) is DeliveryBlock.OPTED_OUT
    assert inbox.pending_from_people(database_url, ("sms",)) == []  # nothing goes out after STOP
