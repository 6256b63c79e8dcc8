"""Runs before every turn (Rasa custom slot mapping): keeps the conversation's context up to date.

It sets the language (kept per conversation, see ``bot.language``) and, when the person writes
in a language the bot does not, that language (``written_language``: the bot then asks a
counselor to help, or, with a translation model into it, ``machine_translation``: the bot answers
in machine-translated English), the jurisdiction (from the channel, or a place the person names), the
indicators, danger and concern seen so far, whether a child
was mentioned, and the misunderstanding count; and it follows the escalation queue (``handoff``:
``queued`` or ``with_counselor`` while a person handles the conversation, cleared once a counselor
returned it to the bot or closed it). It sends nothing: Rasa drops messages from slot mapping
actions (the first-contact notice is sent by ``actions.base.HotlineAction``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Configured, latest_intent, latest_user_metadata, place_word_languages
from bot.handoff import queue as handoff_queue
from bot.language import Detection, conversation_language, written_language
from bot.language_menu import MENU_OPEN, MENU_SLOT, is_bare_number, picked_language
from bot.language_names import requested_language
from bot.nlu.keywords import keywords
from bot.safety import mentions_child
from bot.translation.replies import translated_replies_into

MISUNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
DELETE_CONFIRMATION_INTENTS = frozenset({"affirm", "deny", "delete_data"})


def merge_indicators(seen: List[Dict[str, Any]], new: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Indicators of the whole conversation: one entry per key, first evidence kept, best confidence."""
    merged = {item["key"]: dict(item) for item in seen}
    for item in new:
        key = item.get("key")
        if not key:
            continue
        if key not in merged:
            merged[key] = {"key": key, "confidence": item.get("confidence", 0.0), "evidence": item.get("evidence", "")}
        else:
            merged[key]["confidence"] = max(merged[key].get("confidence", 0.0), item.get("confidence", 0.0))
            merged[key]["evidence"] = merged[key].get("evidence") or item.get("evidence", "")
    return sorted(merged.values(), key=lambda item: item["confidence"], reverse=True)


class ActionTrackContext(Configured, Action):
    def name(self) -> Text:
        return "action_track_context"

    def _jurisdiction(self, tracker: Tracker, text: str) -> Optional[str]:
        from_channel = latest_user_metadata(tracker).get("jurisdiction")
        if from_channel in self.knowledge.jurisdictions:
            return from_channel
        named = self.knowledge.jurisdiction_in(text, place_word_languages(tracker, self.settings))
        return named or tracker.get_slot("jurisdiction") or self.settings.default_jurisdiction

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        config = self.settings
        message = tracker.latest_message
        text = message.get("text") or ""
        intent = latest_intent(tracker)
        events: List[EventType] = []

        def update(slot: str, value: Any) -> None:
            if tracker.get_slot(slot) != value:
                events.append(SlotSet(slot, value))

        detection = Detection(message.get("language") or config.default_language, float(message.get("language_confidence") or 0.0))
        asked_for = requested_language(text) if intent == "change_language" else None
        menu_answer = tracker.get_slot(MENU_SLOT) == MENU_OPEN and is_bare_number(text)
        if menu_answer:
            asked_for = picked_language(text, config.languages)
        elif intent != "change_language":
            update(MENU_SLOT, None)
        number_language = latest_user_metadata(tracker).get("language")
        default_language = number_language if number_language in config.languages else config.default_language
        if tracker.get_slot("language") is None and default_language in keywords().languages_of(text):
            # A first message that is one of the number's language's keywords ("अधिकार" is Hindi
            # and Nepali, "стоп" Russian and Bulgarian) is taken in the number's language.
            detection = Detection(default_language, 1.0)
        language = conversation_language(
            tracker.get_slot("language"), detection, text, asked_for, config.languages, default_language
        )
        update("language", language)
        # Under way, or to a number set to a language: an unsure guess of another language (a
        # Bulgarian writing in Latin letters read as Polish) does not hand the person over.
        established = tracker.get_slot("language") is not None or number_language in config.languages
        written = written_language(tracker.get_slot("written_language"), detection, text, config.languages, established)
        update("written_language", written)
        update(
            "machine_translation",
            translated_replies_into(written, config.translation_models_dir, config.languages, config.default_language),
        )
        jurisdiction = self._jurisdiction(tracker, text)
        update("jurisdiction", jurisdiction)

        new_indicators = message.get("indicators") or []
        if new_indicators:
            update("indicators_seen", merge_indicators(tracker.get_slot("indicators_seen") or [], new_indicators))
        danger = bool(message.get("danger"))
        if danger:
            update("danger_seen", True)
        if message.get("concern"):
            update("concern_seen", True)
        if mentions_child(text):
            update("child_mentioned", True)

        misunderstandings = int(tracker.get_slot("fallback_count") or 0)
        update("fallback_count", float(misunderstandings + 1 if intent in MISUNDERSTOOD_INTENTS else 0))
        if tracker.get_slot("delete_pending") and intent not in DELETE_CONFIRMATION_INTENTS:
            update("delete_pending", False)
        if tracker.get_slot("handoff"):
            handled = handoff_queue.open_for(config.database_url, tracker.sender_id)
            update("handoff", handled.status if handled is not None else None)
        return events
