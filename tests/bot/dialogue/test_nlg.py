"""The catalog NLG: replies machine-translated for a person the line has no catalog for."""

from __future__ import annotations

from typing import Dict, Optional

from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import Settings
from bot.dialogue.nlg import CatalogNLG
from bot.sms import fits_reply_limit
from bot.translation.marking import marker


def conversation(slots: Dict[str, Optional[str]]) -> DialogueStateTracker:
    made = [TextSlot(name, mappings=[], influence_conversation=False) for name in ("language", "jurisdiction", "machine_translation")]
    tracker = DialogueStateTracker("conversation-1", made)
    for name, value in slots.items():
        tracker.slots[name].value = value
    return tracker


async def text_of(nlg: CatalogNLG, key: str, tracker: DialogueStateTracker, **kwargs) -> str:
    generated = await nlg.generate(key, tracker, "rest", **kwargs)
    assert generated is not None
    return generated["text"]


async def test_a_reply_is_the_english_text_machine_translated_and_marked_in_the_persons_language(translating_settings: Settings) -> None:
    nlg = CatalogNLG(settings=translating_settings)
    english = await text_of(nlg, "utter_greet_again", conversation({"language": "en"}))
    swahili = await text_of(nlg, "utter_greet_again", conversation({"language": "en", "machine_translation": "sw"}))
    assert swahili.endswith(" (tafsiri ya mashine)") and marker("sw") == "(tafsiri ya mashine)"
    assert swahili != english and fits_reply_limit(swahili)
    emergency = await text_of(nlg, "utter_emergency", conversation({"language": "en", "jurisdiction": "US", "machine_translation": "sw"}))
    assert "911" in emergency and emergency.endswith("(tafsiri ya mashine)")


async def test_a_refused_translation_sends_the_english_text_with_every_number(translating_settings: Settings) -> None:
    nlg = CatalogNLG(settings=translating_settings)
    english = await text_of(nlg, "utter_emergency", conversation({"language": "en", "jurisdiction": "US"}))
    # the en -> pl model repeats itself: the person gets the reviewed English, not its output
    polish = await text_of(nlg, "utter_emergency", conversation({"language": "en", "jurisdiction": "US", "machine_translation": "pl"}))
    assert polish == english and "911" in polish
    # no model at all (removed since the conversation began): English as well
    assert await text_of(nlg, "utter_emergency", conversation({"language": "en", "jurisdiction": "US", "machine_translation": "am"})) == english


async def test_catalog_languages_and_texts_an_action_words_itself_are_never_machine_translated(translating_settings: Settings) -> None:
    nlg = CatalogNLG(settings=translating_settings)
    tagalog = await text_of(nlg, "utter_greet_again", conversation({"language": "tl"}))
    assert "(isinalin ng makina)" not in tagalog  # reviewed catalog text, though an en -> tl model is installed
    asked = await text_of(nlg, "utter_greet_again", conversation({"language": "en", "machine_translation": "sw"}), language="es")
    assert asked == await text_of(nlg, "utter_greet_again", conversation({"language": "es"}))


def test_notices_outside_a_turn_are_translated_the_same_way(translating_settings: Settings) -> None:
    from bot.dialogue.nlg import Notices
    from bot.translation.engine import MachineTranslator

    translator = MachineTranslator(translating_settings.translation_models_dir, timeout_s=30)
    try:
        notices, plain = Notices(translating_settings, translator), Notices(translating_settings)
        english = plain.text("utter_conversation_closed", "en", "US")
        assert notices.text("utter_conversation_closed", "sw", "US").endswith("(tafsiri ya mashine)")
        assert plain.text("utter_conversation_closed", "sw", "US") == english  # no translator: English
        assert notices.text("utter_conversation_closed", "am", "US") == english  # no model for Amharic: English
        assert notices.text("utter_conversation_closed", "es", "US") == plain.text("utter_conversation_closed", "es", "US")  # a catalog: never MT
    finally:
        translator.close()
