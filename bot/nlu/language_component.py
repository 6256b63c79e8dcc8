"""Rasa NLU component: adds ``language`` and ``language_confidence`` to every parse result.

The language is one of the recognised ones (``bot/languages.yml``), which may be one the bot
does not write in: actions then answer in the default language and ask a counselor to help.
The language the line's number is set to (channel metadata ``language``) settles a message that
reads the same in two languages of one script.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language import LanguageIdentifier, recognised_languages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Detects each message's language among the recognised ones."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"languages": None}

    def __init__(self, identifier: LanguageIdentifier) -> None:
        self._identifier = identifier

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        languages = config.get("languages") or recognised_languages()
        return cls(LanguageIdentifier(languages))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            # The language the line's number is set to (channel metadata), when it has one.
            metadata = message.get("metadata") or {}
            expected = metadata.get("language") if isinstance(metadata, dict) else None
            detection = self._identifier.detect(message.get(TEXT) or "", expected if isinstance(expected, str) else None)
            message.set("language", detection.language, add_to_output=True)
            message.set("language_confidence", round(detection.confidence, 4), add_to_output=True)
        return messages
