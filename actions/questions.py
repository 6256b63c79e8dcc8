"""The questions forms ask: ``action_ask_<slot>`` sends the catalog's ``utter_ask_<slot>``.

Rasa forms look for an ``action_ask_<slot>`` first; going through an action (instead of a domain
response) keeps every text in ``translations/`` and rendered by the catalog generator.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Type

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import SCREENING_SLOTS, say

ASKED_SLOTS = ("country_reply", *SCREENING_SLOTS)


def _ask_action(slot: str) -> Type[HotlineAction]:
    class AskForSlot(HotlineAction):
        def name(self) -> Text:
            return f"action_ask_{slot}"

        async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
            say(dispatcher, f"utter_ask_{slot}")
            return []

    AskForSlot.__name__ = AskForSlot.__qualname__ = f"ActionAsk_{slot}"
    AskForSlot.__doc__ = f"Asks for ``{slot}`` with the catalog's ``utter_ask_{slot}``."
    return AskForSlot


ASK_ACTIONS = [_ask_action(slot) for slot in ASKED_SLOTS]
