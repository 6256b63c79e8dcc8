"""Handoff to a person: record the request through ``bot.handoff.escalation`` and pause the bot.

``action_handoff`` escalates (talk_to_human, HELP/AYUDA, a yes to an offer of a counselor) and
tells the person honestly where they stand: their place in line and the expected wait (or that
it cannot be estimated), or, out of the team's opening hours, that the request waits for the next
shift, with the emergency number and the other help lines of the knowledge base.
``action_handoff_turn`` answers while the conversation waits for a person: the bot stays quiet,
updates the request with what the person adds, thanks them once for the first thing they add
after the handoff (so an answer to the safety check is not met with silence), and repeats the
status at most once per ``HOTLINE_HANDOFF_NOTICE_INTERVAL`` seconds (SMS costs money and can be
seen by others), or straight away when the person asks for a person again.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import (
    Configured,
    handoff_summary,
    jurisdiction_of,
    last_bot_response,
    latest_intent,
    latest_user_metadata,
    say,
    written_language_of,
)
from bot.config import Settings
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import escalate
from bot.handoff.notices import LONG_WAIT_NOTICE, place_notice
from bot.opening_hours import Schedule, current_schedules, is_open
from bot.storage.models import utcnow

HANDOFF_QUEUED = handoff_queue.QueueState.QUEUED.value
FIRST_CONTACT_NOTICE = "utter_welcome"  # actions.base says it first in a conversation's first answer
# Announcements a place in line already implies ("you are number 3 in line" says it was passed on).
IMPLIED_BY_A_PLACE = frozenset({"utter_handoff_recorded"})
ASKING_FOR_PERSON_INTENTS = frozenset({"talk_to_human", "request_help"})
# The handoff messages after which the person's next message is thanked for once.
HANDOFF_ANNOUNCEMENTS = frozenset(
    {"utter_handoff_urgent", "utter_handoff_recorded", "utter_emergency_safety_check", "utter_other_language"}
)


def schedules(settings: Settings) -> Dict[str, Schedule]:
    """The team's opening hours in force (as saved in the console, else ``opening_hours.yml``)."""
    return current_schedules(settings.database_url, settings.opening_hours_file)


def hotline_number_of(tracker: Tracker) -> Optional[str]:
    """The number (or ``web``) the person wrote to, as the channel reported it."""
    return latest_user_metadata(tracker).get("hotline_number")


def record_request(
    action: Configured,
    tracker: Tracker, reason: str, dispatcher: CollectingDispatcher, danger: Optional[bool] = None
) -> int:
    """Open or update the conversation's escalation (with what the bot has said so far); its id."""
    settings = action.settings
    row = escalate(
        settings.database_url,
        action.sealer,
        tracker.sender_id,
        reason=reason,
        language=written_language_of(tracker, settings),
        jurisdiction=jurisdiction_of(tracker, settings),
        summary=handoff_summary(tracker, danger=danger, dispatcher=dispatcher),
        requested=True,
        channel=tracker.get_latest_input_channel() or "unknown",
        hotline_number=hotline_number_of(tracker),
    )
    return int(row.id)


def tell_place_in_line(
    settings: Settings,
    dispatcher: CollectingDispatcher, tracker: Tracker, escalation_id: int, only_if_closed: bool = False,
    announcement: Optional[str] = None,
) -> None:
    """Out of hours: say so, with the alternatives. Otherwise the place in line and the real wait
    (not after an emergency message, which already holds three texts and is first in line).
    Either way the person has just been told about their wait: the notice clock starts again.

    ``announcement`` (what the action says first, e.g. "your request is passed on") is said before
    it, except on a first contact whose wait is long: the long-wait notice already says they are in
    line, and with the first-contact notice the turn stays within its SMS budget."""
    url = settings.database_url
    if not is_open(schedules(settings), hotline_number_of(tracker)):
        if announcement:
            say(dispatcher, announcement)
        say(dispatcher, "utter_queue_out_of_hours")
        if not only_if_closed:  # (an emergency reply has just given the number)
            say(dispatcher, "utter_emergency")
    elif not only_if_closed:
        place = handoff_queue.position(url, escalation_id)
        notice = place_notice(url, place, settings.long_wait_s) if place is not None else None  # (None: with a counselor)
        first_contact = any(message.get("response") == FIRST_CONTACT_NOTICE for message in dispatcher.messages)
        said_by_the_notice = first_contact and notice is not None and notice.key == LONG_WAIT_NOTICE
        if announcement and not (said_by_the_notice and announcement in IMPLIED_BY_A_PLACE):
            say(dispatcher, announcement)
        if notice is not None:
            say(dispatcher, notice.key, **notice.values)
    elif announcement:
        say(dispatcher, announcement)
    handoff_queue.record_wait_notice(url, escalation_id)


def hand_over(
    action: Configured, dispatcher: CollectingDispatcher, tracker: Tracker, announcement: str, reason: str,
    place_in_line: bool = True,
) -> List[EventType]:
    """Put the conversation in the queue with ``reason``, say ``announcement`` and the place in
    line (or the opening hours; only those when ``place_in_line`` is False), close any open form
    and pause the bot."""
    escalation_id = record_request(action, tracker, reason, dispatcher)
    if place_in_line:
        tell_place_in_line(action.settings, dispatcher, tracker, escalation_id, announcement=announcement)
    else:
        say(dispatcher, announcement)
        tell_place_in_line(action.settings, dispatcher, tracker, escalation_id, only_if_closed=True)
    events: List[EventType] = [SlotSet("handoff", HANDOFF_QUEUED)]
    if tracker.active_loop.get("name"):
        events = [ActiveLoop(None), SlotSet("requested_slot", None)] + events
    return events


class ActionHandoff(HotlineAction):
    def name(self) -> Text:
        return "action_handoff"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return hand_over(self, dispatcher, tracker, "utter_handoff_recorded", "requested")


class ActionHandoffTurn(HotlineAction):
    def name(self) -> Text:
        return "action_handoff_turn"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        escalation_id = record_request(self, tracker, "requested", dispatcher)
        if tracker.get_slot("handoff") == handoff_queue.WITH_COUNSELOR:
            return []  # a counselor is answering: the bot says nothing at all
        item = handoff_queue.get(self.settings.database_url, escalation_id)
        last_notice = item.wait_notice_at if item else None
        asked_again = latest_intent(tracker) in ASKING_FOR_PERSON_INTENTS
        if asked_again or last_notice is None or (utcnow() - last_notice).total_seconds() >= self.settings.handoff_notice_interval_s:
            say(dispatcher, "utter_handoff_waiting")
            tell_place_in_line(self.settings, dispatcher, tracker, escalation_id)
            return []
        if last_bot_response(tracker) in HANDOFF_ANNOUNCEMENTS:
            say(dispatcher, "utter_handoff_noted")
        return []
