"""Emergency: the emergency number first, a safety check, and the most urgent escalation.

Runs whenever a message is flagged as danger (``bot.dialogue.safety_policy``), whatever the
conversation was doing: any open form is closed.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import handoff_summary, jurisdiction_of, language_of, say, settings
from actions.handoff import HANDOFF_QUEUED, notice_time
from bot.escalation import escalate


class ActionEmergency(HotlineAction):
    sends_first_contact_notice = False  # the emergency number comes first, always

    def name(self) -> Text:
        return "action_emergency"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_emergency")
        say(dispatcher, "utter_emergency_safety_check")
        already_handed_over = bool(tracker.get_slot("handoff"))
        escalate(
            settings().database_url,
            tracker.sender_id,
            reason="emergency",
            language=language_of(tracker),
            jurisdiction=jurisdiction_of(tracker),
            summary=handoff_summary(tracker, danger=True),
            requested=True,
            channel=tracker.get_latest_input_channel() or "unknown",
        )
        if not already_handed_over:
            say(dispatcher, "utter_handoff_urgent")
        events: List[EventType] = [
            SlotSet("danger_seen", True),
            SlotSet("handoff", HANDOFF_QUEUED),
            SlotSet("handoff_notice_at", notice_time()),
        ]
        if tracker.active_loop.get("name"):
            events = [ActiveLoop(None), SlotSet("requested_slot", None)] + events
        return events
