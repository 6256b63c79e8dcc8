"""Misunderstandings: say what the bot can do and offer a person; the second in a row asks outright.

``fallback_count`` is kept by ``action_track_context`` (it counts consecutive ``nlu_fallback`` and
``out_of_scope`` turns), so this action only chooses the words.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say

OFFER_PERSON_AFTER = 2


class ActionFallback(HotlineAction):
    def name(self) -> Text:
        return "action_fallback"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if int(tracker.get_slot("fallback_count") or 0) >= OFFER_PERSON_AFTER:
            say(dispatcher, "utter_fallback_offer_person")
        else:
            say(dispatcher, "utter_fallback")
        return []
