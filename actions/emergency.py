"""Emergency: the emergency number first, a safety check, and the most urgent escalation.

Runs whenever a message is flagged as danger (``bot.dialogue.safety_policy``), whatever the
conversation was doing: any open form is closed. A witness (the message reports someone else,
intent ``report_suspicion``) is told not to confront anyone instead of being asked whether it is
safe for them to keep texting; the number comes first and the escalation is as urgent.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import latest_intent, say
from actions.handoff import HANDOFF_QUEUED, record_request, tell_place_in_line
from bot.handoff import queue as handoff_queue

# The intent of a message about someone else ("the girls next door never go out").
WITNESS_INTENT = "report_suspicion"


class ActionEmergency(HotlineAction):
    sends_first_contact_notice = False  # the emergency number comes first, always

    def name(self) -> Text:
        return "action_emergency"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_emergency")
        if latest_intent(tracker) == WITNESS_INTENT:
            say(dispatcher, "utter_community_do_not_confront")
        else:
            say(dispatcher, "utter_emergency_safety_check")
        already_handed_over = tracker.get_slot("handoff")
        escalation_id = record_request(self, tracker, "emergency", dispatcher, danger=True)
        if not already_handed_over:
            say(dispatcher, "utter_handoff_urgent")
            tell_place_in_line(self.settings, dispatcher, tracker, escalation_id, only_if_closed=True)
        else:  # this reply told them they are first in line: the notice clock starts again
            handoff_queue.record_wait_notice(self.settings.database_url, escalation_id)
        events: List[EventType] = [
            SlotSet("danger_seen", True),
            SlotSet("handoff", already_handed_over or HANDOFF_QUEUED),
        ]
        if tracker.active_loop.get("name"):
            events = [ActiveLoop(None), SlotSet("requested_slot", None)] + events
        return events
