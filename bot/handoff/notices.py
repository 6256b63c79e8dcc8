"""What the line tells people in the queue without being asked, and when: both rare on purpose.

:func:`sweep` runs every few seconds in the console process:

* a conversation with a counselor whose person stopped answering (no message for
  ``HOTLINE_SILENCE_CLOSE`` seconds after a counselor's last message) is closed with a short
  notice; the line never writes first after that;

and :func:`tell_ended` is the one way the person hears that their conversation with a counselor
ended (closed by the counselor, handed back to the bot, or closed for silence): once, in their
language, saying how to reach the line again.
* a person waiting in the queue hears their new place and wait (with the other ways to get help
  when the wait is long) when it changed meaningfully
  (next in line, or half-way closer), never more often than ``HOTLINE_HANDOFF_NOTICE_INTERVAL``,
  and not out of hours (they were told the request waits for the next shift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, List, Mapping, Optional

from bot import inbox
from bot.config import Settings
from bot.crypto import Sealer
from bot.dialogue.nlg import Notices
from bot.handoff import queue as handoff_queue
from bot.opening_hours import Schedule, is_open
from bot.storage.models import utcnow

AuditHook = Callable[[str, str, dict], None]  # (action, target, detail)

CLOSED_BY_COUNSELOR = "utter_conversation_closed"
RETURNED_TO_BOT = "utter_conversation_returned"
CLOSED_FOR_SILENCE = "utter_conversation_closed_silence"
LONG_WAIT_NOTICE = "utter_queue_place_long"


@dataclass(frozen=True)
class PlaceNotice:
    """Where someone stands in the queue, as a catalog key and its values (the same words whether
    the bot says it at the handoff or the console's sweeper sends it later)."""

    key: str
    values: Dict[str, int]


def place_notice(url: str, place: int, long_wait_s: float, now: Optional[datetime] = None) -> PlaceNotice:
    """The place and, when the queue's recent pace allows an honest estimate, the wait in minutes;
    a wait over ``long_wait_s`` comes with the other ways to get help (the emergency number,
    another help line) and that writing later keeps their place, in the same two SMS."""
    wait = handoff_queue.estimated_wait_seconds(url, place, now)
    if wait is None:
        return PlaceNotice("utter_queue_place_no_estimate", {"position": place})
    key = LONG_WAIT_NOTICE if wait > long_wait_s else "utter_queue_place"
    return PlaceNotice(key, {"position": place, "wait": max(1, math.ceil(wait / 60))})


def tell_ended(url: str, sealer: Sealer, notices: Notices, item: handoff_queue.QueueItem, key: str) -> Optional[inbox.DeliveryBlock]:
    """Send the person the notice ``key`` (:data:`CLOSED_BY_COUNSELOR`, :data:`RETURNED_TO_BOT`,
    :data:`CLOSED_FOR_SILENCE`) by their channel; why it could not go (STOP, erased, WhatsApp's
    window), or None. After STOP it is kept in the transcript as not sent, never delivered."""
    text = notices.text(key, item.language, item.jurisdiction)
    return inbox.queue_outbound(url, sealer, item.conversation_id, text, author="line").blocked


@dataclass
class SweepResult:
    closed: List[int] = field(default_factory=list)
    told_place: List[int] = field(default_factory=list)


def sweep(
    settings: Settings,
    sealer: Sealer,
    notices: Notices,
    schedules: Mapping[str, Schedule],
    audit: Optional[AuditHook] = None,
    now: Optional[datetime] = None,
) -> SweepResult:
    """One pass over the queue (see the module docstring); what it did."""
    now = now or utcnow()
    url = settings.database_url
    result = SweepResult()
    for item in handoff_queue.silent_since(url, settings.silence_close_s, now):
        counselor_wrote = inbox.last_counselor_message_at(url, item.conversation_id)
        if counselor_wrote is None or (item.last_person_at and counselor_wrote < item.last_person_at):
            continue  # the person is waiting for the counselor, not the other way round
        if (now - counselor_wrote).total_seconds() < settings.silence_close_s:
            continue
        if handoff_queue.close(url, sealer, item.id, {"outcome": "no_response"}, reason="silence", now=now):
            tell_ended(url, sealer, notices, item, CLOSED_FOR_SILENCE)
            result.closed.append(item.id)
            if audit:
                audit("conversation.close_for_silence", f"escalation:{item.id}", {"silence_s": settings.silence_close_s})
    waiting = handoff_queue.waiting(url)
    for place, item in enumerate(waiting, start=1):
        if not is_open(schedules, item.hotline_number, now):
            continue
        due = handoff_queue.wait_notice_due(
            item.wait_notice_at, item.wait_notice_position, place, settings.handoff_notice_interval_s, now
        )
        if not due or item.wait_notice_at is None:  # the first notice is the bot's, at the handoff
            continue
        if not handoff_queue.take_wait_notice(url, item.id, item.wait_notice_at, place, now):
            continue  # another console server has just told them
        notice = place_notice(url, place, settings.long_wait_s, now)
        text = notices.text(notice.key, item.language, item.jurisdiction, **notice.values)
        inbox.queue_outbound(url, sealer, item.conversation_id, text, author="line")
        result.told_place.append(item.id)
    return result
