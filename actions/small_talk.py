"""Greetings, thanks, goodbyes, and a yes or no that answers nothing in particular."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import latest_intent, say

RESPONSES = {
    "greet": "utter_greet_again",
    "thank": "utter_you_are_welcome",
    "goodbye": "utter_goodbye",
    "affirm": "utter_how_can_i_help",
    "deny": "utter_ok_here_if_needed",
}


def user_turns(tracker: Tracker) -> int:
    return sum(1 for event in tracker.events if event.get("event") == "user")


class ActionSmallTalk(HotlineAction):
    def name(self) -> Text:
        return "action_small_talk"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        intent = latest_intent(tracker) or "affirm"
        if intent == "greet" and user_turns(tracker) <= 1:
            # The first-contact notice was just sent: invite the person to say what is going on.
            say(dispatcher, "utter_how_can_i_help")
            return []
        say(dispatcher, RESPONSES.get(intent, "utter_how_can_i_help"))
        if intent == "goodbye":
            say(dispatcher, "utter_delete_thread_tip")
        return []
