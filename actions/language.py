"""A request for another language: confirm the switch, or say honestly which languages there are.

The switch itself is made by ``action_track_context`` before this runs (so the confirmation is
already in the new language).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say, settings
from bot.language import requested_language


class ActionChangeLanguage(HotlineAction):
    def name(self) -> Text:
        return "action_change_language"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        asked_for = requested_language(tracker.latest_message.get("text") or "")
        configured = settings().languages
        if asked_for in configured:
            say(dispatcher, "utter_language_changed")
        else:
            say(dispatcher, "utter_language_unavailable")
        return []
