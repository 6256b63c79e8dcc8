"""Erasure: confirm once, then delete everything stored for the conversation, and say so.

Every store is erased here by ``bot.erasure.erase_conversation``, in one transaction (the reply
confirming it still reaches the person: the channel holds the address for the turn); the events
of this very turn, still in memory, are dropped by the tracker store when it sees the
``conversation_erased`` marker this action sets (``bot.storage.tracker_store``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say
from bot.erasure import erase_conversation
from bot.storage import ERASURE_SLOT


class ActionConfirmDelete(HotlineAction):
    def name(self) -> Text:
        return "action_confirm_delete"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_confirm_delete")
        return [SlotSet("delete_pending", True)]


class ActionDeleteData(HotlineAction):
    def name(self) -> Text:
        return "action_delete_data"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        erase_conversation(self.settings.database_url, tracker.sender_id)
        say(dispatcher, "utter_data_deleted")
        return [SlotSet("delete_pending", False), SlotSet(ERASURE_SLOT, True)]


class ActionCancelDelete(HotlineAction):
    def name(self) -> Text:
        return "action_cancel_delete"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_delete_cancelled")
        return [SlotSet("delete_pending", False)]
