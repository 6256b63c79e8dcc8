"""Rasa NLU component: whole-message keywords (HELP, AYUDA, RIGHTS, LANGUAGE, a language's name) win.

The bot tells people to reply with single words; when a message is exactly one of those words
the intent is certain, so this component sets it with confidence 1.0 (also over
``nlu_fallback``). The words are data, per language: ``bot/nlu/keywords/<lang>.yml``
(:mod:`bot.nlu.keywords`); a message that is only a language's name asks for that language.
A whole-message answer word ("стоп"), a one- or two-digit number or a message that is only a
place name ("USA", "Dubai": the answer to "which country are you in?") is marked ``command:
answer``: typed as told, it is never danger by itself.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language_menu import is_bare_number
from bot.language_names import is_only_a_language_name
from bot.nlu.keywords import Keywords, keywords


def is_short_number(text: str) -> bool:
    """A message of one or two digits (a pick from the language menu, an age, a count): an
    answer. (A longer number, "911" say, is left to the danger model.)"""
    return is_bare_number(text) and len(text.strip().rstrip(".)")) <= 2


def command_intent(text: str, words: Keywords) -> Optional[str]:
    """The intent of a message that is exactly one keyword or one language's name, else None."""
    return words.command_intent(text) or ("change_language" if is_only_a_language_name(text) else None)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KeywordCommands(GraphComponent):
    """Sets the intent of single-keyword messages with full confidence."""

    def __init__(self, words: Keywords, is_only_a_place: Callable[[str], bool] = lambda text: False) -> None:
        self._words = words
        self._is_only_a_place = is_only_a_place

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KeywordCommands":
        from bot.config import load_settings
        from bot.knowledge import KnowledgeBase

        settings = load_settings()
        return cls(keywords(), KnowledgeBase.load(settings.knowledge_dir, settings.languages).is_only_a_place)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = command_intent(message.get(TEXT) or "", self._words)
            if intent:
                message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
                message.set("command", intent, add_to_output=True)
            elif self._is_answer(message.get(TEXT) or ""):
                message.set("command", "answer", add_to_output=True)  # typed as told: never danger by itself
        return messages

    def _is_answer(self, text: str) -> bool:
        return self._words.is_answer(text) or is_short_number(text) or self._is_only_a_place(text)
