"""Languages: a request for another one, and a person writing in one the bot cannot write.

``action_change_language`` confirms a switch (made by ``action_track_context`` before it runs,
so the confirmation is already in the new language: a language named, or picked by number from
the menu), says honestly that a named language is not available, or opens the numbered language
menu (:mod:`bot.language_menu`) for "LANGUAGE", "1", a flag.
``action_other_language`` answers a message in a language the bot recognises but cannot write
(``written_language``) and has no translation model into (else the conversation goes on,
machine-translated: ``bot.dialogue.nlg``): it says a counselor will be asked to help, with the
emergency number, in English and in the language of the line's number, and puts the conversation
in the queue carrying the person's language, so a counselor who reads it is offered it first.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import HotlineAction
from actions.common import language_of, say
from actions.handoff import hand_over
from bot.language_menu import MENU_OPEN, MENU_SLOT, is_bare_number, menu_entries, menu_replies, picked_language
from bot.language_names import requested_language
from bot.translation.replies import ENGLISH


class ActionChangeLanguage(HotlineAction):
    def name(self) -> Text:
        return "action_change_language"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        configured = self.settings.languages
        if tracker.get_slot(MENU_SLOT) == MENU_OPEN and is_bare_number(text):
            if picked_language(text, configured):
                say(dispatcher, "utter_language_changed")
                return [SlotSet(MENU_SLOT, None)]
            return self._menu(dispatcher, tracker)
        asked_for = requested_language(text)
        if asked_for in configured:
            say(dispatcher, "utter_language_changed")
            return [SlotSet(MENU_SLOT, None)]
        if asked_for:
            say(dispatcher, "utter_language_unavailable")
            return [SlotSet(MENU_SLOT, None)]
        return self._menu(dispatcher, tracker)

    def _menu(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The numbered menu: the header in the conversation's language, each entry in its own."""
        header = self.catalogs.render(language_of(tracker, self.settings), "utter_language_menu", {}) or ""
        for reply in menu_replies(header, menu_entries(self.catalogs, self.settings.languages)):
            dispatcher.utter_message(text=reply)
        return [SlotSet(MENU_SLOT, MENU_OPEN)]


class ActionOtherLanguage(HotlineAction):
    sends_first_contact_notice = False  # the person cannot read it: one short message instead

    def name(self) -> Text:
        return "action_other_language"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        line_language = language_of(tracker, self.settings)
        if line_language == ENGLISH or ENGLISH not in self.settings.languages:
            return hand_over(self, dispatcher, tracker, "utter_other_language", "language")
        # Two chances to be read: English, then the line's language. The place in line is left to
        # the next wait notice (three texts in one turn is the SMS budget); closed hours are still said.
        say(dispatcher, "utter_other_language", language=ENGLISH)
        return hand_over(self, dispatcher, tracker, "utter_other_language", "language", place_in_line=False)
