"""Rasa natural-language generator: responses come from ``translations/<lang>.yml``.

Configured in ``endpoints.yml`` (``nlg: type: bot.dialogue.nlg.CatalogNLG``). The language is the
``language`` keyword an action passes, else the conversation's ``language`` slot, else the
default; ``{emergency}``, ``{hotline}`` and ``{place}`` come from the knowledge base for the
``jurisdiction`` (keyword or slot). Everything else an action passes fills the other placeholders.

A person who writes in a language the line has no catalog for, but a translation model into
(slot ``machine_translation``), gets the English text machine-translated and marked
(:mod:`bot.translation.replies`), unless the action named the language itself.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker

from bot.catalog import Catalogs
from bot.config import Settings, load_settings
from bot.knowledge import KnowledgeBase
from bot.translation.engine import MachineTranslator, shared_translator
from bot.translation.marking import marked_within_budget
from bot.translation.replies import reply_source_language, translated_reply

logger = logging.getLogger(__name__)


def context_values(knowledge: KnowledgeBase, language: str, jurisdiction: Optional[str]) -> Dict[str, str]:
    """Placeholder values that depend only on where the person is and their language."""
    place = knowledge.get(jurisdiction)
    return {
        "emergency": knowledge.emergency_text(jurisdiction, language),
        "hotline": knowledge.hotline_text(jurisdiction, language),
        "emergency_number": knowledge.emergency_number(jurisdiction),
        "hotline_number": knowledge.hotline_number(jurisdiction),
        "place": place.name.get(language, "") if place else "",
    }


class CatalogNLG(NaturalLanguageGenerator):
    """Renders response names from the language catalogs."""

    def __init__(self, endpoint_config: Any = None, domain: Any = None, settings: Optional[Settings] = None) -> None:
        """Rasa builds it from ``endpoints.yml`` (settings then come from the environment)."""
        settings = settings or load_settings()
        self.settings = settings
        self.catalogs = Catalogs.load(settings.translations_dir, settings.languages, settings.default_language)
        self.knowledge = KnowledgeBase.load(settings.knowledge_dir, settings.languages)
        self.translator = shared_translator(settings.translation_models_dir, settings.translation_timeout_s)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[Dict[str, Any]]:
        translated_into = None if kwargs.get("language") else tracker.get_slot("machine_translation")
        if translated_into:
            kwargs["language"] = reply_source_language(self.settings.languages, self.settings.default_language)
        language = kwargs.get("language") or tracker.get_slot("language") or self.settings.default_language
        if language not in self.settings.languages:
            language = self.settings.default_language
        jurisdiction = kwargs.get("jurisdiction") or tracker.get_slot("jurisdiction") or self.settings.default_jurisdiction
        values = context_values(self.knowledge, language, jurisdiction)
        values.update({k: str(v) for k, v in kwargs.items() if isinstance(v, (str, int, float))})
        text = self.catalogs.render(language, utter_action, values)
        if text is None:
            logger.error("No response named '%s' in any catalog.", utter_action)
            return None
        if translated_into:
            text = (await translated_reply(self.translator, text, language, translated_into)).text
        return {"text": text, "custom": None}


class Notices:
    """The same catalogs for texts the line sends outside a bot turn (queue updates, closing notices).

    With a ``translator``, a notice to a person whose language has no catalog is machine-translated
    from English and marked, as the bot's replies are; else (or when that fails) it goes in English."""

    def __init__(self, settings: Settings, translator: Optional[MachineTranslator] = None) -> None:
        self.settings = settings
        self.translator = translator
        self.catalogs = Catalogs.load(self.settings.translations_dir, self.settings.languages, self.settings.default_language)
        self.knowledge = KnowledgeBase.load(self.settings.knowledge_dir, self.settings.languages)

    def text(self, key: str, language: str, jurisdiction: Optional[str], **values: Any) -> str:
        wanted = language
        if language not in self.settings.languages:
            language = reply_source_language(self.settings.languages, self.settings.default_language)
        filled: Dict[str, Any] = context_values(self.knowledge, language, jurisdiction or self.settings.default_jurisdiction)
        filled.update(values)
        text = self.catalogs.render(language, key, filled)
        if text is None:
            raise KeyError(f"no response named {key!r} in any catalog")
        if wanted != language and self.translator is not None and self.translator.can_translate(language, wanted):
            translation = self.translator.translate_blocking(text, language, wanted)
            marked = marked_within_budget(translation.text, wanted) if translation.text else None
            return marked or text
        return text
