"""Erasure: confirm once, then delete everything stored for the conversation, and say so.

Escalation records and the channel's stored messages and address are deleted here (the reply
confirming it still reaches the person: the channel holds the address for the turn); the
tracker events are deleted by the tracker store when it sees the ``conversation_erased`` marker
this action sets (``bot.storage.tracker_store``).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say, settings
from bot.escalation import erase_conversation
from bot.inbox import erase_channel_data
from bot.storage import ERASURE_SLOT

logger = logging.getLogger(__name__)


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
        removed = erase_conversation(settings().database_url, tracker.sender_id)
        removed += erase_channel_data(settings().database_url, tracker.sender_id)
        logger.info("Erased a conversation on request (%d stored records).", removed)
        say(dispatcher, "utter_data_deleted")
        return [SlotSet("delete_pending", False), SlotSet(ERASURE_SLOT, True)]


class ActionCancelDelete(HotlineAction):
    def name(self) -> Text:
        return "action_cancel_delete"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "utter_delete_cancelled")
        return [SlotSet("delete_pending", False)]
