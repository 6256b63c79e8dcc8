"""Handoff to a person: record the request through ``bot.escalation`` and pause the bot.

``action_handoff`` escalates (talk_to_human, HELP/AYUDA, a yes to an offer of a counselor).
``action_handoff_turn`` answers while the conversation waits for a person: the bot stays quiet,
updates the request with what the person adds, thanks them once for the first thing they add
after the handoff (so an answer to the safety check is not met with silence), and repeats the
status at most once per ``HOTLINE_HANDOFF_NOTICE_INTERVAL`` seconds (SMS costs money and can be
seen by others), or straight away when the person asks for a person again.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import (
    handoff_summary,
    jurisdiction_of,
    language_of,
    last_bot_response,
    latest_intent,
    say,
    settings,
)
from bot.escalation import escalate

HANDOFF_QUEUED = "queued"
ASKING_FOR_PERSON_INTENTS = frozenset({"talk_to_human", "request_help"})
# The handoff messages after which the person's next message is thanked for once.
HANDOFF_ANNOUNCEMENTS = frozenset({"utter_handoff_urgent", "utter_handoff_recorded", "utter_emergency_safety_check"})


def notice_time() -> float:
    return time.time()


def record_request(tracker: Tracker, reason: str) -> None:
    escalate(
        settings().database_url,
        tracker.sender_id,
        reason=reason,
        language=language_of(tracker),
        jurisdiction=jurisdiction_of(tracker),
        summary=handoff_summary(tracker),
        requested=True,
        channel=tracker.get_latest_input_channel() or "unknown",
    )


class ActionHandoff(HotlineAction):
    def name(self) -> Text:
        return "action_handoff"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        record_request(tracker, reason="requested")
        say(dispatcher, "utter_handoff_recorded")
        events: List[EventType] = [SlotSet("handoff", HANDOFF_QUEUED), SlotSet("handoff_notice_at", notice_time())]
        if tracker.active_loop.get("name"):
            events = [ActiveLoop(None), SlotSet("requested_slot", None)] + events
        return events


class ActionHandoffTurn(HotlineAction):
    def name(self) -> Text:
        return "action_handoff_turn"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        record_request(tracker, reason="requested")
        last_notice = float(tracker.get_slot("handoff_notice_at") or 0.0)
        asked_again = latest_intent(tracker) in ASKING_FOR_PERSON_INTENTS
        if asked_again or notice_time() - last_notice >= settings().handoff_notice_interval_s:
            say(dispatcher, "utter_handoff_waiting")
            return [SlotSet("handoff_notice_at", notice_time())]
        if last_bot_response(tracker) in HANDOFF_ANNOUNCEMENTS:
            say(dispatcher, "utter_handoff_noted")
        return []
