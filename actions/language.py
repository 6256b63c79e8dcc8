"""Languages: a request for another one, and a person writing in one the bot cannot write.

``action_change_language`` confirms a switch (made by ``action_track_context`` before it runs,
so the confirmation is already in the new language) or says honestly which languages there are.
``action_other_language`` answers a message in a language the bot recognises but cannot write
(``written_language``): in the default language it says a counselor will be asked to help, with
the emergency number, and puts the conversation in the queue carrying the person's language, so
a counselor who reads it is offered it first.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import say
from actions.handoff import hand_over
from bot.language import requested_language


class ActionChangeLanguage(HotlineAction):
    def name(self) -> Text:
        return "action_change_language"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        asked_for = requested_language(tracker.latest_message.get("text") or "")
        configured = self.settings.languages
        if asked_for in configured:
            say(dispatcher, "utter_language_changed")
        else:
            say(dispatcher, "utter_language_unavailable")
        return []


class ActionOtherLanguage(HotlineAction):
    sends_first_contact_notice = False  # the person cannot read it: one short message instead

    def name(self) -> Text:
        return "action_other_language"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return hand_over(self, dispatcher, tracker, "utter_other_language", "language")
