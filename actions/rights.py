"""Rights: short answers from the knowledge base, with source and review date; MORE for detail.

When the jurisdiction is not known, ``country_form`` asks for the country first. A place the
knowledge base does not cover gets the international baseline, and the person is told so.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import HotlineAction
from actions.common import Configured, jurisdiction_of, language_of, place_word_languages, say
from bot.knowledge import FALLBACK_JURISDICTION, RightsEntry


def last_rights_question(tracker: Tracker) -> str:
    """Text of the person's latest ``ask_rights`` message (the question being answered)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data", {}).get("intent") or {}).get("name") == "ask_rights":
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


def send_entry(dispatcher: CollectingDispatcher, entry: RightsEntry, language: str, detail: bool) -> None:
    texts = entry.detail if detail else entry.short
    say(dispatcher, "utter_rights_text", text=texts[language])
    say(
        dispatcher,
        "utter_rights_source_more" if not detail else "utter_rights_source",
        source=entry.source.cite(),
        reviewed=entry.source.last_reviewed,
    )


class ValidateCountryForm(Configured, FormValidationAction):
    def name(self) -> Text:
        return "validate_country_form"

    def validate_country_reply(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        place = self.knowledge.jurisdiction_in(str(value or ""), place_word_languages(tracker, self.settings)) or FALLBACK_JURISDICTION
        return {"country_reply": "given", "jurisdiction": place}


class ActionAnswerRights(HotlineAction):
    def name(self) -> Text:
        return "action_answer_rights"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        jurisdiction: Optional[str] = jurisdiction_of(tracker, self.settings)
        topic = self.knowledge.topic_in(last_rights_question(tracker))
        if jurisdiction == FALLBACK_JURISDICTION:
            say(dispatcher, "utter_rights_no_local_info")
        send_entry(dispatcher, self.knowledge.rights(jurisdiction, topic), language_of(tracker, self.settings), detail=False)
        return [SlotSet("rights_topic", topic), SlotSet("country_reply", None)]


class ActionRightsDetail(HotlineAction):
    """MORE after a rights answer: the longer text of the same entry."""

    def name(self) -> Text:
        return "action_rights_detail"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        topic = tracker.get_slot("rights_topic") or "overview"
        jurisdiction = jurisdiction_of(tracker, self.settings)
        send_entry(dispatcher, self.knowledge.rights(jurisdiction, topic), language_of(tracker, self.settings), detail=True)
        return []
