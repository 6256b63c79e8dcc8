"""Screening: at most eight short yes/no questions, one per message, each skippable, stoppable.

Modelled on the question sets in the domain reference (US hotline, HHS/ACF 2018, Vera TVIT).
Answers are stored as ``yes``/``no``/``skipped``/``unclear`` (``not_asked`` after END) in the
``screen_*`` slots and become part of the handoff summary. An unclear answer is not asked again:
the questions must never feel like an interrogation.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import HotlineAction
from actions.common import SCREENING_SLOTS, say
from bot.nlu.keywords import keywords, normalise


def interpret_answer(text: str, intent: Optional[str]) -> str:
    """``yes``, ``no``, ``skipped``, ``end`` or ``unclear`` for one reply to a screening question."""
    answers = keywords()
    tokens = normalise(text).split()
    joined = " ".join(tokens)
    first = tokens[0] if tokens else ""
    if first in answers.end_words or joined in answers.end_phrases:
        return "end"
    if first in answers.skip_words or any(joined.startswith(phrase) for phrase in answers.skip_phrases):
        return "skipped"
    if intent == "affirm" or first in answers.yes_words:
        return "yes"
    if intent == "deny" or first in answers.no_words:
        return "no"
    return "unclear"


class ValidateScreeningForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_screening_form"

    def _answer(self, slot: str, tracker: Tracker) -> Dict[Text, Any]:
        answer = interpret_answer(tracker.latest_message.get("text") or "", (tracker.latest_message.get("intent") or {}).get("name"))
        if answer != "end":
            return {slot: answer}
        # END: every question not answered yet is marked, which completes the form.
        return {name: (tracker.get_slot(name) or "not_asked") for name in SCREENING_SLOTS} | {slot: "not_asked"}


def _validator(slot: str):
    def validate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._answer(slot, tracker)

    validate.__name__ = f"validate_{slot}"
    return validate


for _slot in SCREENING_SLOTS:
    setattr(ValidateScreeningForm, f"validate_{_slot}", _validator(_slot))


class ActionScreeningDone(HotlineAction):
    """After the last question (or END): thank, say the answers are kept for a counselor, offer one."""

    def name(self) -> Text:
        return "action_screening_done"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        answers = [tracker.get_slot(slot) for slot in SCREENING_SLOTS]
        if "not_asked" in answers:
            say(dispatcher, "utter_screening_stopped")
        else:
            say(dispatcher, "utter_screening_thanks")
        say(dispatcher, "utter_offer_counselor")
        return []
