"""A person describing their own situation: acknowledge, reflect back in plain words, offer options.

The reflection names at most two of the indicators seen so far, in the catalog's plain words
(``indicator_<key>``), never a label such as "trafficking victim". Then the person is offered a
counselor (HELP), a few yes/no questions (YES) or their rights (RIGHTS).

A request for help that also describes the situation ("they took my passport, what can I do?")
is ``request_help``: it gets the same reflection before the options, so it serves both.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say

REFLECTED_INDICATORS = 2


def reflect(dispatcher: CollectingDispatcher, tracker: Tracker, only_this_message: bool = False) -> bool:
    """Name up to two indicators (this message's first, then earlier ones); False if none."""
    current = [item["key"] for item in tracker.latest_message.get("indicators") or []]
    seen = [] if only_this_message else [item["key"] for item in tracker.get_slot("indicators_seen") or []]
    keys = (current + [key for key in seen if key not in current])[:REFLECTED_INDICATORS]
    if len(keys) == 2:
        say(dispatcher, "utter_reflect_two", first_key=f"indicator_{keys[0]}", second_key=f"indicator_{keys[1]}")
    elif keys:
        say(dispatcher, "utter_reflect_one", first_key=f"indicator_{keys[0]}")
    return bool(keys)


class ActionAcknowledgeSituation(HotlineAction):
    def name(self) -> Text:
        return "action_acknowledge_situation"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if not reflect(dispatcher, tracker):
            say(dispatcher, "utter_situation_heard")
        say(dispatcher, "utter_offer_options")
        return []


class ActionOfferOptions(HotlineAction):
    """A request for help: the same three ways forward, after a reflection of what this message
    describes (if anything)."""

    def name(self) -> Text:
        return "action_offer_options"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if not reflect(dispatcher, tracker, only_this_message=True):
            say(dispatcher, "utter_here_to_help")
        say(dispatcher, "utter_offer_options")
        return []
