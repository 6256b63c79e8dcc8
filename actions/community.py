"""Community members and questions about the signs: what to look for, what to do, whom to call."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say


class ActionCommunityGuidance(HotlineAction):
    """Someone suspects another person is exploited: thank, don't confront, whom to call (with
    the emergency number for someone in danger now) and how to reach a person here."""

    gives_emergency_number = True

    def name(self) -> Text:
        return "action_community_guidance"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_suspicion_thanks")
        say(dispatcher, "utter_community_do_not_confront")
        say(dispatcher, "utter_community_contacts")
        return []


class ActionExplainSigns(HotlineAction):
    """What are the signs: the common indicators in plain words, then how to get help."""

    def name(self) -> Text:
        return "action_explain_signs"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_signs")
        say(dispatcher, "utter_signs_next")
        return []
