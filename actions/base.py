"""Base class of every action that answers a person.

The first answer of a conversation begins with the first-contact notice (its confidentiality and
limits, the emergency number), whatever the person wrote first; except an emergency, whose first
reply must be the emergency number itself. The notice is short: a first turn, notice included,
fits three SMS (``tests/bot/test_catalogs.py``).
"""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Configured, say

WELCOMED_SLOT = "welcomed"


class HotlineAction(Configured, Action, metaclass=abc.ABCMeta):
    """Sends the first-contact notice once per conversation, then the action's own answer."""

    #: False for actions whose first message must not be delayed by the notice (emergency).
    sends_first_contact_notice = True
    #: True for actions whose own answer gives the emergency number: the notice then leaves it out.
    gives_emergency_number = False

    @abc.abstractmethod
    def name(self) -> Text:
        ...

    @abc.abstractmethod
    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        """The action's own messages and events."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = []
        if not tracker.get_slot(WELCOMED_SLOT):
            events.append(SlotSet(WELCOMED_SLOT, True))
            if self.sends_first_contact_notice:
                say(dispatcher, "utter_welcome")
                if not self.gives_emergency_number:
                    say(dispatcher, "utter_welcome_safety")
        return events + await self.respond(dispatcher, tracker, domain)
